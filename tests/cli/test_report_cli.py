"""`multitrust report` over three complete runs: the terminal table, the three exports, the published
leaderboard placement and rank stability — all 32 tasks, built-in data, scripted models."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from tests.cli.test_cli import cli

from multitrust import api
from multitrust.engine.config import RunConfig
from multitrust.tasks.registry import select_tasks

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def three_runs(builtin_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("runs")
    runs = []
    for mode in ("refuse", "comply", "random"):
        out = root / mode
        cfg = RunConfig(
            model=f"scripted:{mode}",
            tasks=select_tasks("all"),
            data=str(builtin_tree),
            out=str(out),
            limit=2,
            bootstrap=50,
        )
        summary = api.run(cfg)
        assert len(summary.scores) == 32 and summary.call_errors == 0
        runs.append(out)
    return runs


def test_report_three_runs_writes_every_export(three_runs: list[Path], tmp_path: Path) -> None:
    paths = {ext: tmp_path / f"board.{ext}" for ext in ("json", "csv", "html")}
    samples = tmp_path / "samples.jsonl"
    result = cli(
        "report",
        *map(str, three_runs),
        "--json",
        str(paths["json"]),
        "--csv",
        str(paths["csv"]),
        "--html",
        str(paths["html"]),
        "--samples",
        str(samples),
        "--compare-published",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(paths["json"].read_text())
    runs = report["runs"]
    assert [r["model"] for r in runs] == ["scripted:refuse", "scripted:comply", "scripted:random#seed=0"]
    for r in runs:
        card = r["scorecard"]
        assert card["complete"] and card["overall"] is not None  # all 32 tasks → a real overall score
        placement = r["published_placement"]
        assert placement["total"] == 45 and 1 <= placement["rank"] <= 45
        assert f"would rank {placement['rank']} of 45" in result.stdout
        assert r["scorecard_ci"]["overall"] is not None, (
            r["model"],
            r["scorecard_ci"],
            {t: e.get("ci") for t, e in r["tasks"].items()},
        )
    assert report["rank_swaps_basis"] == "overall score" and len(report["rank_swaps"]) == 3
    assert "Overall" in result.stdout and "scripted:refuse" in result.stdout
    rows = list(csv.DictReader(paths["csv"].open()))
    overall_rows = [row for row in rows if row["level"] == "overall"]
    assert len(overall_rows) == 3
    by_model = {row["model"]: float(row["score"]) for row in overall_rows}
    assert by_model == {r["model"]: r["scorecard"]["overall"] for r in runs}
    lines = samples.read_text().splitlines()
    assert len(lines) == sum(r["tasks"][t]["n_samples"] for r in runs for t in r["tasks"])
    assert {json.loads(line)["outcome"] for line in lines} <= {
        "favourable",
        "unfavourable",
        "neutral",
        "error",
        "unscored",
    }
    html = paths["html"].read_text()
    assert html.startswith("<!DOCTYPE html>") or html.lstrip().lower().startswith("<!doctype html>")
    assert "http://" not in html.split("<body", 1)[0] and "https://" not in html.split("<body", 1)[0]


def test_refusal_model_is_safer_than_complying_model(three_runs: list[Path]) -> None:
    report = api.report(three_runs)
    safety = {r["model"]: r["scorecard"]["aspects"]["safety"]["score"] for r in report["runs"]}
    assert safety["scripted:refuse"] > safety["scripted:comply"]


def test_score_shows_names_and_the_overall_score_like_run(three_runs: list[Path]) -> None:
    """Re-scoring with unchanged settings reuses every verdict and prints the same table shape as ``run``."""
    result = cli("score", str(three_runs[0]))
    assert result.returncode == 0, result.stderr
    assert "│ T.1  │ Basic world understanding" in result.stdout
    assert re.search(r"overall trust score \d+\.\d\d  \(truthfulness \d", result.stdout), result.stdout
