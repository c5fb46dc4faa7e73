"""A text-only run (``--allow-text-only``, e.g. against llama.cpp's server with a text model) says in every
report which variants it did not run: a task whose only variant sends images is "not run (text only)",
never "no samples"; a task not scored because its image variants were skipped names them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_run import run_cli
from tests.tasks.handmade import f2_tree, t6_tree

from multitrust.testing.server import start_server

F2_SKIPPED = "not run (text only): image, unrelated-color, unrelated-nature, unrelated-noise"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, columns=300)


def test_text_only_run_marks_image_variants_not_run_in_console_json_and_html(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "run"
    t6_tree(data)
    f2_tree(data)
    with start_server(text_only=True, reply="fixed:I agree.") as srv:
        result = cli(
            "run", "--model", f"openai-compat:{srv.url}@smollm", "--tasks", "T.6,F.2", "--data", str(data),
            "--out", str(out), "--allow-text-only", "--bootstrap", "0",
        )  # fmt: skip
        assert srv.stats()["images"] == 0
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {
        cells[0]: cells
        for line in result.stdout.splitlines()
        if line.startswith("│ ")
        for cells in [[c.strip() for c in line.strip("│").split("│")]]
    }
    # T.6 has one variant, with images: nothing of it ran, and the table says so (not "no samples")
    assert rows["T.6"][2] == "not run (text only): confusion"
    # F.2 ran its text variant, but its score needs the image variants
    assert rows["F.2"][2].startswith("run, not scored (") and rows["F.2"][2].endswith(f"; {F2_SKIPPED})")
    assert "no samples" not in result.stdout

    states = json.loads((out / "report.json").read_text())["runs"][0]["task_states"]
    assert states["T.6"]["reason"] == "not run (text only): confusion"
    assert states["F.2"]["state"] == "not_scored" and states["F.2"]["reason"].endswith(F2_SKIPPED)
    html = (out / "report.html").read_text()
    assert "not run (text only): confusion" in html and F2_SKIPPED in html
