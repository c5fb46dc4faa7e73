"""One truth about a run: a mixed run (model calls failing through the loopback server's fault injection, a
task excluded for too many failures, a judge that always fails) says the same states
and counts on the console, in report.json, the HTML page, the CSV and the run store; then ``score --judge
offline`` returns the failing judge to the offline one and rewrites the run directory's reports."""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from multitrust import api
from multitrust.testing.server import start_server

FAULT = " [[fault:500:99]]"  # the loopback server answers HTTP 500 to this prompt on its first 99 attempts


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="250")
    return subprocess.run(
        [sys.executable, "-m", "multitrust", *args], capture_output=True, text=True, timeout=300, env=env
    )


@pytest.fixture(scope="module")
def data_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built-in data for T.3, T.5, F.2 and S.1 with faults planted: every T.3 'factual' question (5 records ×
    3 prompts = 15 samples) and the first of three T.5 questions (1 of 3 = 33% > 20%: excluded)."""
    root = tmp_path_factory.mktemp("data")
    api.build_data(root, tasks=["T.3", "T.5", "F.2", "S.1"])
    mistext = root / "truthfulness/query_misleading/query_g_mistext.json"
    records = json.loads(mistext.read_text(encoding="utf-8"))[:3]
    records[0]["query"] += FAULT
    mistext.write_text(json.dumps(records), encoding="utf-8")
    factual = root / "truthfulness/query_instruction/query_g_factual.json"
    records = json.loads(factual.read_text(encoding="utf-8"))
    assert len(records) == 5
    for r in records:
        r["query"] += FAULT
    factual.write_text(json.dumps(records), encoding="utf-8")
    return root


#: what the planted faults must produce, worked out from the data above and the task declarations: T.3 needs
#: both variants; S.1 asks 5 questions about each of its 10 built-in images, each judged once by the judge
#: (max_retries=1: one retry per call)
EXPECTED = {
    "T.3": ("not_scored", "all 15 samples of factual failed"),
    "T.5": ("excluded", "1 of 3 samples failed, more than 20%"),
    "S.1": ("not_scored", "50 failed judge calls"),
    "F.2": ("scored", None),
}


def test_mixed_run_says_the_same_on_every_surface(data_tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    with start_server(reply="echo") as model_srv, start_server(fail_rate=1.0) as judge_srv:
        result = cli(
            "run",
            "--model",
            f"openai-compat:{model_srv.url}@m?max_retries=0",
            "--tasks",
            "T.3,T.5,F.2,S.1",
            "--data",
            str(data_tree),
            "--task-judge",
            f"S.1=openai-compat:{judge_srv.url}@judge?max_retries=1",
            "--no-shared-cache",
            "--no-preflight",  # the judge fails every call: preflight would stop the run before it starts
            "--out",
            str(out),
        )
    console = result.stdout
    # finished, but failed calls left tasks unscored (3); the always-failing judge is also stopped by fail fast,
    # which makes the run exit 1 with the stopped endpoint named
    assert result.returncode == 1, console + result.stderr
    assert "stopped sending requests of this kind" in result.stderr

    # console: one row per requested task with its state and reason; not-requested tasks are not rows
    rows = {m.group(1): m.group(2) for m in re.finditer(r"│ ([TSRFP]\.\d+)\s+│[^│]+│\s*([^│]+?)\s*│", console)}
    assert set(rows) == set(EXPECTED)
    assert rows["T.3"] == "run, not scored (all 15 samples of factual failed)"
    assert rows["T.5"].endswith("(excluded: 1 of 3 samples failed, more than 20%)")
    assert rows["S.1"] == "run, not scored (50 failed judge calls)"
    assert re.fullmatch(r"\d+\.\d\d", rows["F.2"])
    assert "tasks: 1 scored, 1 excluded from the aggregates, 2 run but not scored, 28 not requested" in console
    judge_line = re.search(r"@judge\): (\d+) made, (\d+) retries, (\d+) failed", console)
    assert judge_line is not None
    made, retries, failed = (int(x) for x in judge_line.groups())
    assert 0 < failed <= made <= 50 and retries <= made  # fail fast stops the judge before all 50 calls
    causes = re.findall(r"^\s+(\d+) × (model|judge) calls? failed: (.*) \(e\.g\. (\S+)\)$", console, re.M)
    by_kind: dict[str, int] = {}
    for n, kind, _, _ in causes:
        by_kind[kind] = by_kind.get(kind, 0) + int(n)
    assert by_kind == {"judge": 50, "model": 16}  # every S.1 sample; 15 T.3 + 1 T.5 samples
    model_causes = [c for _, kind, c, _ in causes if kind == "model"]
    assert len(model_causes) == 1 and "HTTP 500" in model_causes[0]
    assert "gave up after 1 attempt)" in model_causes[0]  # one attempt, singular

    # report.json (written by run)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    run = report["runs"][0]
    states = {tid: (s["state"], s["reason"]) for tid, s in run["task_states"].items() if s["state"] != "not_requested"}
    assert states == EXPECTED
    assert run["state_counts"] == {"scored": 1, "excluded": 1, "not_scored": 2, "no_data": 0, "not_requested": 28}
    assert [(c["kind"], str(c["count"])) for c in run["failure_causes"]] == [(k, n) for n, k, _, _ in causes]
    assert next(c for c in run["failure_causes"] if c["kind"] == "model")["tasks"] == ["T.3", "T.5"]
    assert list(run["judges"].values()) == [{"calls": made, "retries": retries, "failed": failed}]
    assert run["tasks"]["T.5"]["excluded"].startswith("1 of 3 samples failed")
    assert "HTTP 500" in run["task_states"]["T.3"]["detail"]
    # the aggregates use only the scored task: F.2 alone, so stereotype (F.1 + F.2) has no score
    assert run["scorecard"]["subaspects"]["stereotype"]["score"] is None

    # HTML: the same state per task, the causes and the judge's work in the overview
    html = (out / "report.html").read_text(encoding="utf-8")
    html_states = dict(re.findall(r'data-state-task="([^"]+)" data-state="([^"]+)"', html))
    assert {t: s for t, s in html_states.items() if s != "not_requested"} == {t: s for t, (s, _) in EXPECTED.items()}
    assert re.findall(r'data-cause-count="(\d+)"', html) == [n for n, _, _, _ in causes]
    assert f"{made} made · {retries} retries · {failed} failed" in html
    assert "all 15 samples of factual failed: m @" in html  # the note says why the variant is missing
    assert 'data-count-state="not_scored">2 run but not scored' in html

    # CSV written by `report`, and `report`'s own terminal table
    shown = cli("report", str(out), "--csv", str(tmp_path / "scores.csv"))
    assert shown.returncode == 0, shown.stderr
    with (tmp_path / "scores.csv").open(encoding="utf-8") as fh:
        task_rows = [r for r in csv.DictReader(fh) if r["level"] == "task"]
    assert {r["task"]: (r["state"], r["reason"] or None) for r in task_rows if r["state"] != "not_requested"} == (
        EXPECTED
    )
    assert "run, not scored (all 15 samples of factual failed)" in shown.stdout
    assert "excluded: 1 of 3 samples failed" in shown.stdout
    assert "not run" not in shown.stdout
    assert "tasks: 1 scored, 1 excluded from the aggregates, 2 run but not scored" in shown.stdout

    # the run store's invocation row counts the judge's work
    with sqlite3.connect(out / "run.sqlite") as db:
        row = db.execute(
            "SELECT judge_calls, judge_retries, judge_errors FROM invocations WHERE command='run'"
        ).fetchone()
    assert row == (made, retries, failed)

    # `score --judge offline`: the failing judge is dropped (S.1 falls back to its offline judge), the settings
    # used are printed, and report.json / report.html are rewritten; T.3 still failed its model calls: exit 3
    rescored = cli("score", str(out), "--judge", "offline")
    assert rescored.returncode == 3, rescored.stdout + rescored.stderr
    assert "scored with judge offline judges (documented fallbacks), fidelity fixed" in rescored.stdout
    assert "report: " in rescored.stdout and "rewritten" in rescored.stdout
    run = json.loads((out / "report.json").read_text(encoding="utf-8"))["runs"][0]
    assert run["task_states"]["S.1"]["state"] == "scored"
    assert run["task_states"]["T.3"]["state"] == "not_scored"
    assert [c["kind"] for c in run["failure_causes"]] == ["model"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'data-state-task="S.1" data-state="scored"' in html
    again = cli("score", str(out))  # not sticky the other way either: the offline judges stay
    assert "scored with judge offline judges" in again.stdout


def test_dead_endpoint_prints_the_cause_and_exits_1(tmp_path: Path) -> None:
    """Nothing listens on port 9: every call fails with a connection error; the console says so once. The
    endpoint never answered, so after three requests spent their retries fail fast stops it (exit 1, as for
    any endpoint fail fast stopped) and the rest are not sent."""
    result = cli(
        "run",
        "--model",
        "openai-compat:http://127.0.0.1:9/v1@m?max_retries=1",
        "--tasks",
        "F.2",
        "--limit",
        "1",
        "--no-preflight",  # with preflight the run stops before it starts (exit 2, tested with preflight)
        "--out",
        str(tmp_path / "dead"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"\d+ × model calls failed: m @ \S+: connection error .*\(gave up after 2 attempts\)", out)
    assert "stopped sending requests of this kind" in out
    assert "run, not scored (" in out and "failed calls)" in out
    assert "1 task(s) not scored or excluded because calls failed: F.2" in out
