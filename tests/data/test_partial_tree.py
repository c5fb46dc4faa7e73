"""``run --data DIR`` on a tree that holds only some tasks' data: those run, the others are "no data" in the
terminal, report.json and report.html; naming a task without data in ``--tasks`` fails before anything runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.data.fake_release import cli

from multitrust.core.taxonomy import TASKS

PRESENT = ("T.5", "F.6")


@pytest.fixture(scope="module")
def partial_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("partial") / "data"
    r = cli("data", "build", "--out", str(out), "--tasks", ",".join(PRESENT))
    assert r.returncode == 0, r.stderr
    return out


def test_all_tasks_on_a_partial_tree_runs_what_is_there_and_reports_the_rest_as_no_data(
    partial_tree: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    r = cli(
        "run", "--model", "scripted:random", "--data", str(partial_tree), "--tasks", "all",
        "--out", str(run), "--bootstrap", "0", "-q",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    absent = [t.id for t in TASKS if t.id not in PRESENT]
    # terminal: one line per task without data, naming what is missing
    assert "no data T.6: truthfulness/query_misleading/query_d_confusion.json is not in the data tree" in r.stdout
    for tid in absent:
        assert f"no data {tid}: " in r.stdout
    # JSON: the two tasks scored, every other task "no data: <path>", none of them a score of 0
    report = json.loads((run / "report.json").read_text())["runs"][0]
    assert sorted(report["tasks"]) == sorted(PRESENT)
    assert all(report["tasks"][t]["score"] is not None for t in PRESENT)
    assert sorted(report["no_data"]) == sorted(absent)
    assert report["no_data"]["P.4"] == "no data: privacy/celeb/celebrities.csv"
    assert report["no_data"]["S.2"] == "no data: safety/nsfw"
    assert report["scorecard"]["overall"] is None
    # HTML: the cells of those tasks say "no data", with the missing path as their title
    html = (run / "report.html").read_text()
    cell = re.search(r'data-no-data="T\.6"[^>]*title="([^"]*)">no data<', html)
    assert cell is not None and "truthfulness/query_misleading/query_d_confusion.json" in cell.group(1)
    assert html.count('data-no-data="') == len(absent)


def test_naming_a_task_whose_data_is_absent_fails_at_once(partial_tree: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    r = cli("run", "--model", "scripted:random", "--data", str(partial_tree), "--tasks", "T.5,T.6", "--out", str(run))
    assert r.returncode == 2
    assert "T.6: no data in" in r.stderr
    assert "missing truthfulness/query_misleading/query_d_confusion.json" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not run.exists()  # nothing started
    # through an aspect, the same task is just "no data"
    r = cli(
        "run", "--model", "scripted:random", "--data", str(partial_tree), "--tasks", "T.5,fairness",
        "--out", str(run), "--bootstrap", "0", "-q", "--no-report",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no data F.1: fairness/stereo_generation_images" in r.stdout
