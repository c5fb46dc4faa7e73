"""The sample browser's data from real runs: badges by task polarity, verdict words, PII redaction per privacy
task from the record's own planted values, empty sections that say why, rank stability across runs of which
only some have intervals, and a footer that cites the paper."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from multitrust import api
from multitrust.core.types import TaskScore
from multitrust.engine.config import RunConfig
from multitrust.report.html import redact_pii, render_html
from multitrust.report.run_report import RunResults, build_report

TEXT_FIELDS = ("prompt", "response", "target", "verdict", "verdict_raw", "generation_error", "judge_error")


def payload(html: str) -> dict[str, Any]:
    return json.loads(re.findall(r'id="mt-samples">(.*?)</script>', html, flags=re.S)[0])


@pytest.fixture()
def privacy_run(builtin_tree: Path, tmp_path: Path) -> Path:
    """scripted:echo repeats every prompt, so each answer holds the PII its prompt planted."""
    out = tmp_path / "privacy"
    api.run(RunConfig(model="scripted:echo", tasks=["P.1", "P.2", "P.3", "P.4", "P.5", "P.6"], data=str(builtin_tree),
                      out=str(out), limit=2, bootstrap=0))  # fmt: skip
    return out


def test_redaction_masks_each_privacy_tasks_planted_values(privacy_run: Path) -> None:
    samples = list(api.export_samples(privacy_run))
    report = api.report([privacy_run])
    page = payload(render_html(report, samples, redact=True))
    by_id = {s["id"]: s for s in page["samples"]}
    for task in ("P.1", "P.2", "P.3", "P.4", "P.5", "P.6"):
        mine = [s for s in samples if s["task"] == task]
        assert mine, task
        for s in mine:
            shown = by_id[s["sample_id"]]
            assert shown["pii"] == []  # a file redacted at export carries no list of values either
            for _, value in s["pii"]:
                for f in TEXT_FIELDS:
                    assert value.lower() not in (shown[f] or "").lower(), (task, f, value)
            if task in ("P.1", "P.2", "P.3"):  # nothing planted: the texts stay as they were (no false positives)
                assert shown["prompt"] == s["prompt"], task
    # what each task planted, and how it reads once masked
    p4 = next(s for s in samples if s["task"] == "P.4")
    assert p4["pii"][0][0] == "NAME" and "[NAME]" in by_id[p4["sample_id"]]["response"]
    p5 = next(s for s in samples if s["task"] == "P.5" and s["target"])
    assert p5["pii"] == [[p5["pii"][0][0], p5["target"]]]
    p6 = next(s for s in samples if s["task"] == "P.6")
    stated = re.findall(r"'s [a-z ]+ is (.+?)\.(?=\s|$)", p6["prompt"])
    assert len(stated) == 5 and all(v in [value for _, value in p6["pii"]] for v in stated)
    assert by_id[p6["sample_id"]]["prompt"].count("[") >= 10  # five names and five values


def test_switch_data_carries_the_planted_values_only_for_privacy_tasks(privacy_run: Path) -> None:
    samples = list(api.export_samples(privacy_run))
    page = payload(render_html(api.report([privacy_run]), samples, redact=False))
    p6 = [s for s in page["samples"] if s["task"] == "P.6"]
    assert all(s["pii"] for s in p6)
    assert all(not s["pii"] for s in page["samples"] if s["task"] in ("P.1", "P.2", "P.3"))


def test_years_are_not_cards_and_cards_are() -> None:
    text = "seasons 2019-2020-2021-2022, order 1234 5678 9012 3456, card 4111 1111 1111 1111"
    out = redact_pii(text)
    assert "2019-2020-2021-2022" in out  # fails Luhn: years, not a card
    assert "1234 5678 9012 3456" in out
    assert "4111" not in out and "[CARD]" in out
    assert redact_pii("Call Victoria Graham", [("NAME", "Victoria Graham")]) == "Call [NAME]"


def test_badges_and_words_of_a_refusing_model_on_f2(builtin_tree: Path, tmp_path: Path) -> None:
    """F.2 scores 100 for a model that never agrees: every sample counted for it."""
    out = tmp_path / "f2"
    api.run(RunConfig(model="scripted:refuse", tasks=["F.2"], data=str(builtin_tree), out=str(out), limit=3))
    report = api.report([out])
    assert report["runs"][0]["tasks"]["F.2"]["score"] == 100.0
    page = payload(render_html(report, list(api.export_samples(out))))
    f2 = [s for s in page["samples"] if s["task"] == "F.2"]
    assert len(f2) == 15  # 3 statements × 5 variants
    assert {(s["outcome"], s["badge"], s["verdict"]) for s in f2} == {
        ("favourable", "disagreed", "did not agree with the stereotype")
    }


def _score(task: str, score: float, reps: list[float]) -> TaskScore:
    ts = TaskScore(task, score, {}, 10, 0)
    ts.replicates = reps
    return ts


def _run(name: str, base: float, reps: bool) -> RunResults:
    from multitrust.core.taxonomy import TASKS

    scores = {t.id: _score(t.id, base, [base - 5 + i for i in range(10)] if reps else []) for t in TASKS}
    return RunResults(f"runs/{name}", name, 0, "fixed", {}, scores)


def test_rank_stability_shows_when_one_run_has_intervals() -> None:
    runs = [_run("a", 60.0, True), _run("b", 58.0, False), _run("c", 40.0, False)]
    report = build_report(runs)
    pairs = {(p["a"], p["b"]): p["fraction"] for p in report["rank_swaps"]}
    # a's replicates are 55…64, b holds 58: a falls below b in 3 of 10 (55, 56, 57) and ties once (58, which
    # counts half, by rank_swap_matrix's definition): 3.5 / 10; below c never. b vs c: neither varies, no pair
    assert pairs == {("a", "b"): 0.35, ("a", "c"): 0.0}
    assert "without intervals (held at their point score): b, c" in report["rank_swaps_basis"]
    html = render_html(report)
    assert 'data-swap="a vs b"' in html and "35.0%" in html


def test_empty_sections_say_why_and_the_footer_cites_the_paper() -> None:
    html = render_html(build_report([_run("solo", 50.0, False)]))
    assert 'data-empty="intervals"' in html and "needs ≥ 2 records per task" in html
    assert 'data-empty="stability"' in html and "needs ≥ 2 runs" in html
    assert 'data-empty="flips"' in html
    assert "spec §" not in html and "arXiv:2406.07057" in html
