"""Flip tables and bootstrap intervals of the scorer, on constructed samples with hand-counted answers."""

from __future__ import annotations

import pytest

from multitrust.core.taxonomy import TASK_BY_ID
from multitrust.core.types import Message, Sample, Verdict
from multitrust.engine.scorer import _task_score, flips, outcome
from multitrust.engine.store import StoredSample
from multitrust.scoring.evaluators import YesNo
from multitrust.scoring.metrics import accuracy
from multitrust.tasks.spec import RecordSource, Task, Variant

SOURCE = RecordSource((), lambda tree: iter(()))
TASK = Task(
    info=TASK_BY_ID["T.6"],
    variants=(
        Variant("text", SOURCE, "{q}", YesNo(), accuracy()),
        Variant("image", SOURCE, "{q}", YesNo(), accuracy()),
    ),
    score=lambda m: 100 * (m.get_metric("text", "accuracy") + m.get_metric("image", "accuracy")) / 2,
    pairs=(("text", "image"),),
)


def sample(variant: str, record: str, target: int) -> Sample:
    return Sample(f"T.6/{variant}/{record}", "T.6", variant, (Message("user", "q"),), target, {}, record)


# record: (target, text answer, image answer)
ROWS = {"r1": (1, 1, 1), "r2": (1, 1, 0), "r3": (0, 0, 1), "r4": (0, 1, 0), "r5": (1, 0, 0)}
# correct?   r1: text ✓ image ✓ (both) · r2: ✓ ✗ (a_only) · r3: ✓ ✗ (a_only) · r4: ✗ ✓ (b_only) · r5: ✗ ✗ (neither)


def stored_and_verdicts() -> tuple[list[StoredSample], dict[str, Verdict]]:
    stored, verdicts = [], {}
    for record, (target, text, image) in ROWS.items():
        for variant, value in (("text", text), ("image", image)):
            s = sample(variant, record, target)
            stored.append(StoredSample(s, "h", None))
            verdicts[s.id] = Verdict(value, backend="rule")
    return stored, verdicts


def test_outcome_rules() -> None:
    assert outcome(sample("text", "a", 1), 1) is True
    assert outcome(sample("text", "a", 0), 1) is False
    no_target = Sample("x", "F.2", "text", (Message("user", "q"),), None, {}, "a")
    assert outcome(no_target, 1) is True and outcome(no_target, 0) is False
    assert outcome(no_target, {"refusal": 1}) is None


def test_flip_table_counts_per_record() -> None:
    stored, verdicts = stored_and_verdicts()
    pairs = {
        v: [(st.sample, verdicts[st.sample.id].value) for st in stored if st.sample.variant == v]
        for v in ("text", "image")
    }
    assert flips(TASK, pairs) == {"text vs image": {"both": 1, "a_only": 2, "b_only": 1, "neither": 1}}


def test_score_interval_is_seeded_and_brackets_the_score() -> None:
    stored, verdicts = stored_and_verdicts()
    ts = _task_score(TASK, stored, verdicts, seed=3, bootstrap=300)
    # text accuracy 3/5, image accuracy 2/5 → score 100·(0.6+0.4)/2 = 50
    assert ts.score == pytest.approx(50.0)
    assert ts.flips["text vs image"]["a_only"] == 2
    assert len(ts.replicates) == 300 and ts.ci is not None
    lo, hi = ts.ci
    assert lo < 50.0 < hi and lo >= 0 and hi <= 100
    again = _task_score(TASK, stored, verdicts, seed=3, bootstrap=300)
    assert again.replicates == ts.replicates
    other = _task_score(TASK, stored, verdicts, seed=4, bootstrap=300)
    assert other.replicates != ts.replicates
    off = _task_score(TASK, stored, verdicts, seed=3, bootstrap=0)
    assert off.replicates == [] and off.ci is None


def test_failed_verdicts_are_errors_not_zeros() -> None:
    stored, verdicts = stored_and_verdicts()
    verdicts["T.6/image/r5"] = Verdict(None, error="judge failed: HTTP 500")  # r5 image was wrong (0 vs 1)
    ts = _task_score(TASK, stored, verdicts, seed=0, bootstrap=0)
    # image accuracy now 2/4 (r5 excluded, not counted as wrong): score 100·(0.6+0.5)/2 = 55
    assert ts.score == pytest.approx(55.0)
    assert ts.n_errors == 1 and ts.variants["image"].n_scored == 4


def test_unchanged_inputs_keep_the_stored_score_and_changed_ones_recompute(builtin_tree, tmp_path) -> None:
    """An identical rerun (or a re-score with the same settings) finds the same score fingerprint and keeps
    the stored score, bootstrap included, instead of recomputing it; another fidelity recomputes."""
    import sqlite3

    from multitrust import api
    from multitrust.engine.config import RunConfig
    from multitrust.engine.scorer import SCORE_INPUTS_KEY
    from multitrust.engine.store import RunStore

    out = tmp_path / "run"
    cfg = RunConfig(model="scripted:random", tasks=["T.6", "F.2"], data=str(builtin_tree), out=str(out), limit=3)

    def updated() -> dict[str, float]:
        db = sqlite3.connect(out / "run.sqlite")
        try:
            return dict(db.execute("SELECT task, updated_at FROM scores"))
        finally:
            db.close()

    first = api.run(cfg)
    stamps = updated()
    again = api.run(cfg)
    assert updated() == stamps  # not recomputed
    assert {t: s.score for t, s in again.scores.items()} == {t: s.score for t, s in first.scores.items()}
    assert {t: s.ci for t, s in again.scores.items()} == {t: s.ci for t, s in first.scores.items()}
    api.score(out)
    assert updated() == stamps
    api.score(out, fidelity="paper")
    changed = updated()
    assert all(changed[t] > stamps[t] for t in stamps)  # other verdicts: recomputed
    with RunStore.open_existing(out) as store:  # a fingerprint from other code or settings recomputes
        store.set_meta(SCORE_INPUTS_KEY, {t: "from another version" for t in stamps})
    api.score(out, fidelity="paper")
    assert all(updated()[t] > changed[t] for t in stamps)


def test_reused_verdicts_become_the_latest_and_an_unchanged_rescore_writes_none(builtin_tree, tmp_path) -> None:
    """A re-score that reuses older verdicts makes them what exports show (each sample's latest); one whose
    verdicts already are the latest leaves every verdict row as it was."""
    import sqlite3

    from multitrust import api
    from multitrust.engine.config import RunConfig
    from multitrust.engine.store import RunStore

    out = tmp_path / "run"
    api.run(RunConfig(model="scripted:random", tasks=["T.6", "F.2"], data=str(builtin_tree), out=str(out), limit=3))

    def rows() -> dict[str, tuple[str, float]]:
        db = sqlite3.connect(out / "run.sqlite")
        try:
            return {key: (sid, used) for key, sid, used in db.execute("SELECT key, sample_id, used_at FROM judgements")}
        finally:
            db.close()

    fixed = rows()
    api.score(out, fidelity="paper")
    paper = {k: v for k, v in rows().items() if k not in fixed}
    assert {sid for sid, _ in paper.values()} == {sid for sid, _ in fixed.values()}  # a second verdict each
    with RunStore.open_existing(out) as store:
        assert {j.key for j in store.latest_judgements().values()} == set(paper)
    api.score(out, fidelity="fixed")  # the fixed-mode verdicts are reused ...
    with RunStore.open_existing(out) as store:
        assert {j.key for j in store.latest_judgements().values()} == set(fixed)  # ... and are the latest again
    before = rows()
    api.score(out, fidelity="fixed")
    assert rows() == before  # nothing rewritten
