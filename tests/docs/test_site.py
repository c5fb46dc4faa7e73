"""The documentation site: generated task pages and CLI reference, and a strict MkDocs build."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from multitrust.core.taxonomy import TASKS
from multitrust.tasks.registry import IMPLEMENTED

ROOT = Path(__file__).resolve().parents[2]


def _hook():
    spec = importlib.util.spec_from_file_location("gen_pages", ROOT / "docs" / "hooks" / "gen_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_task_has_a_page_written_from_its_declaration() -> None:
    pages = _hook().generated_pages()
    task_pages = {p for p in pages if p.startswith("tasks/") and p != "tasks/index.md"}
    assert len(task_pages) == 32
    for info in TASKS:
        page = pages[f"tasks/{info.id.replace('.', '')}.md"]
        task = IMPLEMENTED[info.id]
        assert page.startswith(f"# {info.id} {info.name}\n")
        for variant in task.variants:
            assert f"`{variant.name}`" in page
            for f in variant.source.files:
                assert f"`{f}`" in page
            if isinstance(variant.prompt, str):  # prompts verbatim, inside a fenced block
                assert variant.prompt in page
        assert (task.score.__doc__ or "(no formula docstring)").strip().split("\n")[0] in page
        assert "## Paper mode and the original's bugs" in page
        assert f"[{info.id}]({info.id.replace('.', '')}.md)" in pages["tasks/index.md"]


def test_a_changed_declaration_changes_its_page() -> None:
    """Pages are generated from the live declarations, so an edit shows up without a manual step."""
    hook = _hook()
    task = IMPLEMENTED["T.6"]
    before = hook.task_markdown(task)
    from dataclasses import replace

    edited = replace(task, variants=(replace(task.variants[0], max_tokens=77, prompt="Is it {query}?"),))
    after = hook.task_markdown(edited)
    assert "| `confusion` | 77 |" in after and "| `confusion` | 77 |" not in before
    assert "Is it {query}?" in after


def test_paper_bug_notes_reach_the_affected_tasks() -> None:
    pages = _hook().generated_pages()
    assert "lexicographic" in pages["tasks/T3.md"]  # spec §10.4
    assert "first 10 samples" in pages["tasks/S6.md"]  # spec §10.1
    assert "os.listdir" in pages["tasks/F4.md"]  # spec §10.3
    assert "refusal keyword list changed" in pages["tasks/S4.md"]  # a refusal-scored task, spec §10.6


def test_cli_reference_lists_every_command_and_option() -> None:
    """Generated from the typer app: every registered command and each of its options appears."""
    import typer

    from multitrust.cli import app

    page = _hook().cli_reference()
    group = typer.main.get_command(app)

    def walk(cmd, prefix):
        yield prefix, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, f"{prefix} {name}")

    commands = list(walk(group, "multitrust"))
    assert len(commands) > 8
    for prefix, cmd in commands:
        assert f"`{prefix}`" in page
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert f"`{opt}" in page or f" {opt}" in page, (prefix, opt)


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="needs the docs extra (mkdocs)")
def test_site_builds_strict_with_a_page_per_task(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    built = sorted(p.parent.name for p in (tmp_path / "tasks").glob("*/index.html"))
    assert built == sorted(t.id.replace(".", "") for t in TASKS)
    cli = (tmp_path / "cli" / "index.html").read_text(encoding="utf-8")
    assert "multitrust run" in cli and "--fidelity" in cli
    api = (tmp_path / "api" / "index.html").read_text(encoding="utf-8")
    assert "ChatModel" in api and "register_task" in api
    for tutorial, defined in (
        ("add-model", "ShoutingModel"),
        ("add-judge", "KeywordJudge"),
        ("add-task", "build_data"),
    ):
        html = (tmp_path / "tutorials" / tutorial / "index.html").read_text(encoding="utf-8")
        assert defined in html and "--8&lt;--" not in html  # the code file is included, not a dangling include
