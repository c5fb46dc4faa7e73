"""Calibration figures worked out by hand, scripted judges over small sets and the packaged sets, the
stored figures, and the profile-driven role routing."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from tests.cli_run import run_cli

from multitrust.cli_judges import calibration_evaluator
from multitrust.models.spec import load_model
from multitrust.scoring import calibration
from multitrust.scoring.base import EvalContext
from multitrust.scoring.calibration import Item, figures


def test_figures_by_hand() -> None:
    # TP 2 (0, 4), FP 1 (1), FN 1 (3), TN 2 (2, 5): accuracy 4/6; both rates 1/2 → p_e = 1/2 → κ = (2/3−1/2)/(1/2)
    f = figures([1, 1, 0, 0, 1, 0], [1, 0, 0, 1, 1, 0])
    assert f["accuracy"] == pytest.approx(4 / 6)
    assert f["kappa"] == pytest.approx(1 / 3)
    assert f["precision"] == pytest.approx(2 / 3) and f["recall"] == pytest.approx(2 / 3)
    assert f["bias"] == pytest.approx(0.0)


def test_constant_judge_has_zero_kappa() -> None:
    f = figures([1, 1, 1, 1, 1], [1, 1, 0, 0, 1])
    assert f["accuracy"] == pytest.approx(0.6) and f["kappa"] == pytest.approx(0.0)
    assert f["precision"] == pytest.approx(0.6) and f["recall"] == pytest.approx(1.0)
    assert f["bias"] == pytest.approx(0.4)
    assert figures([1, 1], [1, 1])["kappa"] is None  # chance agreement 1: κ undefined


ITEMS = [
    Item("a", 1, "Paris", fields={"truth": "Paris"}),
    Item("b", 1, "The capital is Paris.", fields={"truth": "Paris"}),
    Item("c", 0, "Lyon", fields={"truth": "Paris"}),
    Item("d", 0, "Marseille", fields={"truth": "Paris"}),
    Item("e", 1, "It's Paris.", fields={"truth": "Paris"}),
    Item("f", 1, "Paris, of course.", fields={"truth": "Paris"}),
]


def test_scripted_replay_judge_by_hand(tmp_path: Path) -> None:
    # judge replies per item: a Yes (label 1 ✓), b No (1 ✗), c No (0 ✓), d [Yes] (0 ✗), e babble (unscored),
    # f "Yes, consistent" (1 ✓). Scored: pred 1,0,0,1,1 vs gold 1,1,0,0,1 → accuracy 3/5; TP 2, FP 1, FN 1;
    # both rates 3/5 → p_e = 0.36 + 0.16 = 0.52 → κ = (0.6 − 0.52)/0.48 = 1/6; bias 0.
    replies = {"a": "Yes", "b": "No", "c": "No", "d": "[Yes]", "e": "I'm ready to assist you.", "f": "Yes, consistent"}
    replay = tmp_path / "judge.jsonl"
    replay.write_text(
        "".join(json.dumps({"id": f"T.5/calibration/{k}", "response": v}) + "\n" for k, v in replies.items())
    )
    task, ev = calibration_evaluator("consistency")
    assert (task, ev.id) == ("T.5", "judge.consistency")
    ctx = EvalContext(judge=load_model(f"scripted:replay:{replay}"))
    c = asyncio.run(calibration.calibrate("consistency", ev, task, ctx, items=ITEMS, set_hash="x", rounds=200))
    assert c.n == 6 and c.unscored == 1 and c.errors == 0
    assert c.figures["accuracy"] == pytest.approx(0.6)
    assert c.figures["kappa"] == pytest.approx(1 / 6)
    assert c.figures["precision"] == pytest.approx(2 / 3) and c.figures["recall"] == pytest.approx(2 / 3)
    assert c.figures["bias"] == pytest.approx(0.0)
    assert sorted(c.misjudged) == ["b", "d"]
    lo, hi = c.intervals["accuracy"]
    assert lo <= 0.6 <= hi
    again = asyncio.run(calibration.calibrate("consistency", ev, task, ctx, items=ITEMS, set_hash="x", rounds=200))
    assert again.intervals == c.intervals  # seeded


def test_packaged_sets_are_large_and_hand_labelled() -> None:
    assert {"consistency", "harm", "refusal", "stereotype"} <= set(calibration.roles_with_sets())
    for role in calibration.roles_with_sets():
        items, _ = calibration.load_set(role)
        assert len(items) >= 120
        assert len({i.id for i in items}) == len(items)
        labels = [i.label for i in items]
        assert 0.3 < sum(labels) / len(labels) < 0.7  # both classes well represented


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env)


def test_calibrate_cli_with_a_scripted_profile_and_stored_figures(tmp_path: Path) -> None:
    profile = tmp_path / "yes.yaml"
    profile.write_text("name: yes-man\nroles:\n  consistency: {judge: 'scripted:yes'}\n")
    store = tmp_path / "calibration.json"
    items, _ = calibration.load_set("consistency")
    n_pos = sum(i.label for i in items)  # the set's own labels; a judge that always says yes:
    # accuracy = precision = n_pos/n, recall 1, κ 0, bias 1 − n_pos/n
    result = _cli(
        "judges",
        "calibrate",
        "--judge-profile",
        str(profile),
        "--role",
        "consistency",
        "--rounds",
        "100",
        env={"MULTITRUST_CALIBRATION_FILE": str(store)},
    )
    assert result.returncode == 0, result.stderr
    acc = n_pos / len(items)
    assert f"{acc:.3f}" in result.stdout and "0.000" in result.stdout and f"+{1 - acc:.3f}" in result.stdout
    entry = next(iter(json.loads(store.read_text())["entries"].values()))
    assert entry["judge"] == "scripted:yes" and entry["figures"]["kappa"] == pytest.approx(0.0)
    assert calibration.lookup("consistency", "scripted:yes", "fixed", calibration.load_stored(store)).startswith(
        "κ 0.00, accuracy"
    )
    assert calibration.lookup("consistency", "scripted:no", "fixed", calibration.load_stored(store)) == (
        "not calibrated"
    )


def test_calibrate_offline_profile_runs_every_set(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    result = _cli("judges", "calibrate", "--rounds", "50", env={"MULTITRUST_CALIBRATION_FILE": str(store)})
    assert result.returncode == 0, result.stderr
    entries = json.loads(store.read_text())["entries"].values()
    judged = {(e["role"], e["judge"]) for e in entries}
    assert {("consistency", "offline"), ("harm", "offline"), ("refusal", "rule:fixed"), ("stereotype", "offline")} <= (
        judged
    )
    assert {r for r, _ in judged} == set(calibration.roles_with_sets())  # every shipped set
    assert "unknown" not in result.stdout


def test_calibrate_unknown_role_is_one_line(tmp_path: Path) -> None:
    result = _cli("judges", "calibrate", "--role", "nope", env={"MULTITRUST_CALIBRATION_FILE": str(tmp_path / "c")})
    assert result.returncode == 2 and "no calibration set for role 'nope'" in result.stderr


@pytest.mark.usefixtures("profile_env")
def test_run_report_shows_the_calibration_of_the_judge_that_scored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multitrust import api
    from multitrust.engine.config import RunConfig

    store = tmp_path / "c.json"
    monkeypatch.setenv("MULTITRUST_CALIBRATION_FILE", str(store))
    cfg = RunConfig(
        model="scripted:yes", tasks=["T.5", "S.4"], out=str(tmp_path / "run"), limit=2, judge_profile="offline"
    )
    before = api.run(cfg).scores
    assert before["T.5"].provenance["calibration"] == {"consistency": "offline: not calibrated"}
    task, ev = calibration_evaluator("consistency")
    c = asyncio.run(calibration.calibrate("consistency", ev, task, EvalContext(), items=ITEMS, rounds=10))
    calibration.save([c], store)  # offline answer-match on ITEMS: a, b, e, f contain "Paris" → all 6 right
    assert c.figures["accuracy"] == pytest.approx(1.0) and c.figures["kappa"] == pytest.approx(1.0)
    stats = api.score(tmp_path / "run")
    assert stats.by_task["T.5"].provenance["calibration"] == {"consistency": "offline: κ 1.00, accuracy 1.00 (n 6)"}
    s4 = stats.by_task["S.4"].provenance["calibration"]
    assert s4 == {"harm": "offline: not calibrated", "refusal": "rule:fixed: not calibrated"}
    entry = api.report([tmp_path / "run"])["runs"][0]["tasks"]["T.5"]
    assert entry["provenance"]["calibration"]["consistency"].startswith("offline: κ 1.00")
