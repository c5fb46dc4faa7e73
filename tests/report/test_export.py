"""Exports: the JSON document, the scores CSV (rows per run × task, then aggregates) and per-sample JSONL."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from multitrust.core.taxonomy import TASKS
from multitrust.core.types import TaskScore, VariantResult
from multitrust.report.export import CSV_COLUMNS, csv_rows, write_csv, write_json, write_samples_jsonl
from multitrust.report.run_report import REPORT_SCHEMA, RunResults, build_report


def _report() -> dict[str, Any]:
    """Two runs: one with T.6 and F.2 (T.6 with an interval), one with F.2 only and a NaN metric."""
    t6 = TaskScore("T.6", 62.5, {"image": VariantResult("image", {"accuracy": 0.625}, {}, 40, 40, 0)}, 40, 1, [])
    f2 = TaskScore("F.2", 100.0, {"text": VariantResult("text", {"agree": float("nan")}, {}, 25, 25, 0)}, 25, 0, [])
    report = build_report(
        [
            RunResults("runs/a", "model-a", 0, "fixed", {}, {"T.6": t6, "F.2": f2}),
            RunResults("runs/b", "model-b", 1, "paper", {}, {"F.2": f2}),
        ]
    )
    report["runs"][0]["tasks"]["T.6"]["ci"] = [55.0, 70.0]
    report["runs"][0]["scorecard"]["subaspects"]["stereotype"]["ci"] = [1.0, 2.0]
    return report


def test_write_json_round_trips(tmp_path: Path) -> None:
    report = _report()
    report["runs"][0]["calls"]["odd"] = float("inf")
    out = write_json(report, tmp_path / "nested" / "board.json")
    text = out.read_text(encoding="utf-8")
    assert text.endswith("\n") and "Infinity" not in text and "NaN" not in text
    data = json.loads(text)
    assert data["schema"] == REPORT_SCHEMA
    assert data["runs"][0]["calls"]["odd"] is None
    assert data["runs"][0]["tasks"]["T.6"]["score"] == 62.5
    assert [p.name for p in out.parent.iterdir()] == ["board.json"]  # no temp file left behind


def test_csv_rows_per_run_and_level(tmp_path: Path) -> None:
    out = write_csv(_report(), tmp_path / "board.csv")
    with out.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        rows = list(reader)
    # Per run: 32 tasks + 10 sub-aspects + 5 aspects + 1 overall.
    assert len(rows) == 2 * (32 + 10 + 5 + 1)
    a = [r for r in rows if r["run_dir"] == "runs/a"]
    assert [r["level"] for r in a] == ["task"] * 32 + ["subaspect"] * 10 + ["aspect"] * 5 + ["overall"]
    t6 = next(r for r in a if r["task"] == "T.6")
    assert t6 == {
        "level": "task",
        "run_dir": "runs/a",
        "model": "model-a",
        "task": "T.6",
        "name": "Visual-confusion VQA",
        "aspect": "truthfulness",
        "subaspect": "misguided_mistakes",
        "score": "62.5",
        "ci_lo": "55.0",
        "ci_hi": "70.0",
        "n_samples": "40",
        "n_errors": "1",
        # a hand-made report without task_states: a task with an entry counts as scored
        "state": "scored",
        "reason": "",
    }
    t1 = next(r for r in a if r["task"] == "T.1")  # not run: present as a row, empty score
    assert t1["score"] == "" and t1["n_samples"] == "" and t1["name"] == "Basic world understanding"
    assert t1["state"] == "not_requested"
    stereo = next(r for r in a if r["level"] == "subaspect" and r["subaspect"] == "stereotype")
    assert stereo["score"] == "" and stereo["ci_lo"] == "1.0"  # incomplete: no score
    overall = a[-1]
    assert overall["score"] == "" and overall["n_samples"] == "65" and overall["n_errors"] == "1"
    b_f2 = next(r for r in rows if r["run_dir"] == "runs/b" and r["task"] == "F.2")
    assert b_f2["score"] == "100.0" and b_f2["model"] == "model-b"


def test_csv_complete_run_aggregates_with_intervals() -> None:
    """A complete run whose tasks carry bootstrap replicates: run_report's scorecard_ci fills the aggregates."""
    scores = {}
    for t in TASKS:
        ts = TaskScore(t.id, 50.0, {}, 10, 0, [])
        ts.replicates = [48.0, 50.0, 52.0, 50.0]
        ts.ci = (48.0, 52.0)
        scores[t.id] = ts
    report = build_report([RunResults("runs/full", "m", 0, "fixed", {}, scores)])
    assert report["runs"][0]["scorecard_ci"] is not None
    rows = csv_rows(report)
    assert all(r["score"] == pytest.approx(50.0) for r in rows)
    assert all(r["ci_lo"] != "" and r["ci_hi"] != "" for r in rows)
    overall = rows[-1]
    assert overall["level"] == "overall" and overall["n_samples"] == 320
    assert (overall["ci_lo"], overall["ci_hi"]) == tuple(report["runs"][0]["scorecard_ci"]["overall"])


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_text_cells_never_start_a_formula(tmp_path: Path, start: str) -> None:
    """A run directory or model named like a formula is written with a leading ' (shown as text by
    spreadsheets); negative scores stay numbers; a carriage return in a cell does not end its row."""
    neg = TaskScore("P.3", -80.0, {}, 5, 0, [])
    name = f"{start}cmd|' /C calc'!A0"
    report = build_report([RunResults(name, f"{start}HYPERLINK(1)", 0, "fixed", {}, {"P.3": neg})])
    with write_csv(report, tmp_path / "s.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["run_dir"], r["model"]) for r in rows} == {("'" + name, f"'{start}HYPERLINK(1)")}
    assert next(r for r in rows if r["task"] == "P.3")["score"] == "-80.0"


def test_write_samples_jsonl_streams(tmp_path: Path) -> None:
    def gen() -> Any:
        yield {
            "run": "runs/a",
            "task": "T.6",
            "sample_id": "T.6/image/1",
            "response": "</script> ü",
            "target": ("a", 1),
        }
        yield {"run": "runs/a", "task": "P.6", "sample_id": "P.6/text/2", "response": None, "verdict": float("nan")}

    out = tmp_path / "s" / "samples.jsonl"
    assert write_samples_jsonl(gen(), out) == 2
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert list(first) == ["run", "task", "sample_id", "response", "target"]  # key order kept
    assert first["response"] == "</script> ü" and first["target"] == ["a", 1]
    assert second["verdict"] is None and second["response"] is None
    assert "ü" in lines[0]  # UTF-8, not \\u escapes


def test_failed_write_keeps_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "samples.jsonl"
    out.write_text("previous\n", encoding="utf-8")

    def boom() -> Any:
        yield {"ok": 1}
        raise RuntimeError("store went away")

    with pytest.raises(RuntimeError):
        write_samples_jsonl(boom(), out)
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["samples.jsonl"]
