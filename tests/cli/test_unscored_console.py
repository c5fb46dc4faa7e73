"""A judge that answers, but not with verdicts (what a small chat model behind a third-party server does:
"I'm ready to assist you. What's your question?"), has not done its job: ``run`` and ``score`` show the
unscored count per task in their table, say which tasks that left out, and exit 3 — as for failed calls."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.cli_run import run_cli

from multitrust import api
from multitrust.testing.server import start_server

BABBLE = "I'm ready to assist you. What's your question?"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=300, columns=250)


@pytest.fixture(scope="module")
def t5_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built-in T.5 data cut to its first three questions (truths apple, cat, green)."""
    root = tmp_path_factory.mktemp("data")
    api.build_data(root, tasks=["T.5"])
    path = root / "truthfulness/query_misleading/query_g_mistext.json"
    records = json.loads(path.read_text(encoding="utf-8"))[:3]
    assert [r["truth"] for r in records] == ["apple", "cat", "green"]
    path.write_text(json.dumps(records), encoding="utf-8")
    return root


def _rules(path: Path, babble_for: list[str]) -> str:
    rules = [{"match": f"ground truth:{truth}", "reply": BABBLE} for truth in babble_for]
    rules.append({"match": "ground truth:", "reply": "[Yes]"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rules), encoding="utf-8")
    return str(path)


def _row(stdout: str, task: str) -> list[str]:
    line = next(li for li in stdout.splitlines() if li.startswith(f"│ {task} "))
    return [c.strip() for c in line.strip("│").split("│")]


def test_babbling_judge_is_counted_in_the_run_table_and_exits_3(t5_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    with start_server(reply="fixed:[Yes]", reply_file=_rules(tmp_path / "rules", ["apple"])) as judge:
        done = cli(
            "run", "--model", "scripted:refuse", "--tasks", "T.5", "--data", str(t5_data), "--out", str(out),
            "--judge", f"openai-compat:{judge.url}@babbler", "--bootstrap", "0",
        )  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    # the header has an unscored column, and T.5's row counts 1 of its 3 verdicts there
    header = next(li for li in done.stdout.splitlines() if li.startswith("┃ task"))
    assert [c.strip() for c in header.strip("┃").split("┃")][-1] == "unscored"
    row = _row(done.stdout, "T.5")
    assert row[-3:] == ["3", "0", "1"]  # samples, errors, unscored
    assert "excluded: 1 of 3 verdicts unscored" in row[2]  # 33% > 20%
    assert (
        "1 task(s) not scored or excluded because the judge's replies were not verdicts (1 unscored verdicts): T.5"
        in done.stdout
    )
    # re-scoring with the same judge reuses the verdicts and says the same, with the same code
    again = cli("score", str(out))
    assert again.returncode == 3, again.stdout + again.stderr
    assert _row(again.stdout, "T.5")[-1] == "1"
    assert "because the judge's replies were not verdicts" in again.stdout


def test_judge_that_answers_every_verdict_exits_0_without_the_column(t5_data: Path, tmp_path: Path) -> None:
    with start_server(reply="fixed:[Yes]") as judge:
        done = cli(
            "run", "--model", "scripted:refuse", "--tasks", "T.5", "--data", str(t5_data), "--out",
            str(tmp_path / "run"), "--judge", f"openai-compat:{judge.url}@judge", "--bootstrap", "0",
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    header = next(li for li in done.stdout.splitlines() if li.startswith("┃ task"))
    assert "unscored" not in header
    assert _row(done.stdout, "T.5")[2:] == ["100.00", "3", "0"]
    assert "not verdicts" not in done.stdout
