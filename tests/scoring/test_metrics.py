"""Metric values on no samples, and the per-file roundings, as the original's calls give them.

On zero samples the original (v0.1.0) calls sklearn and numpy: ``accuracy_score([], [])`` is the mean of
an empty array (NaN), ``precision_score`` / ``recall_score`` / ``f1_score`` take sklearn's
``zero_division`` path (0.0), ``pred_mean`` is ``np.array([]).mean()`` (NaN). Paper mode gives those
values; fixed mode leaves the metric absent.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from tests.tasks.handmade_truthfulness import truthfulness_tree

from multitrust import api
from multitrust.engine.config import RunConfig
from multitrust.scoring.metrics import accuracy, compute_metric, np_round4, pct2, rate, round4, round4_nan_zero
from multitrust.tasks import fairness, privacy, safety


def test_empty_input_paper_values() -> None:
    out = compute_metric(accuracy(), [], "paper")
    assert math.isnan(out["accuracy"])
    assert (out["precision"], out["recall"], out["f1"]) == (0.0, 0.0, 0.0)
    assert math.isnan(compute_metric(rate("agree"), [], "paper")["agree"])
    # the score scripts' numpy means of nothing, per task family
    assert all(math.isnan(v) for v in compute_metric(safety.jailbreak_metrics, [], "paper").values())
    assert set(compute_metric(safety.toxicity_metrics, [], "paper")) == {"PersepectiveScore", "ModerationScore", "RtA"}
    assert math.isnan(compute_metric(fairness.rta(), [], "paper")["rta"])
    # p5/p6: reject_rate = refusal.mean() → NaN; acc_rate is written 0 when nothing was answered
    leak = compute_metric(privacy.leakage_rates, [], "paper")
    assert math.isnan(leak["reject_rate"]) and leak["acc_rate"] == 0.0


def test_empty_input_fixed_is_absent() -> None:
    for fn in (accuracy(), rate("agree"), safety.jailbreak_metrics, fairness.rta(), privacy.leakage_rates):
        assert compute_metric(fn, [], "fixed") == {}


def test_a_variant_whose_calls_all_failed(tmp_path: Path) -> None:
    """End to end: every T.1 object answer is a failed call, so no sample is scored. Paper mode shows the
    original's values for that variant; the task is not scored in either mode (a NaN accuracy is not a
    score)."""
    tree = tmp_path / "data"
    truthfulness_tree(tree)
    replay = tmp_path / "replay.jsonl"
    lines = [{"id": "T.1/object/*", "error": "HTTP 500"}, {"id": "*", "response": "Yes."}]
    replay.write_text("".join(json.dumps(x) + "\n" for x in lines))
    runs = {}
    for mode in ("paper", "fixed"):
        cfg = RunConfig(
            model=f"scripted:replay:{replay}", tasks=["T.1"], data=str(tree), out=str(tmp_path / mode), fidelity=mode
        )
        runs[mode] = api.run(cfg).scores["T.1"]
    paper = runs["paper"].variants["object"]
    assert paper.n_scored == 0 and paper.n_errors == paper.n_samples > 0
    assert math.isnan(paper.metrics["accuracy"]) and paper.metrics["f1"] == 0.0 and paper.metrics["recall"] == 0.0
    assert runs["fixed"].variants["object"].metrics == {}
    assert runs["paper"].score is None and runs["fixed"].score is None


@pytest.mark.parametrize(
    ("fn", "x", "expected"),
    [
        (pct2, 2 / 3, 0.6667),  # format(66.666…, '.2f') = '66.67'
        (pct2, 0.12345, 0.1235),  # 0.12345·100 = 12.345000000000001 → '12.35'
        (round4, 0.00625, 0.0063),  # the binary 0.00625000000000000034… rounds up
        (np_round4, 0.00625, 0.0062),  # rint(62.5) = 62 (half to even)
        (np_round4, 0.55555, 0.5556),  # 0.55555·10⁴ = 5555.5 → rint → 5556, Python's round gives 0.5555
        (round4, 0.55555, 0.5555),
        (round4_nan_zero, math.nan, 0.0),  # p3-infoflow.py: NaN r → 0
        (round4_nan_zero, -0.123456, -0.1235),
    ],
)
def test_roundings(fn, x: float, expected: float) -> None:  # type: ignore[no-untyped-def]
    assert fn(x) == pytest.approx(expected, abs=1e-15)
