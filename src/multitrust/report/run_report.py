"""The per-run report: task scores with their variant metrics and counts, provenance, and the scorecard.

Input is plain data (:class:`RunResults`) so this layer needs nothing but ``core``; the API reads the
run store and builds it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from multitrust import __version__
from multitrust.core.taxonomy import TASK_BY_ID, TASKS
from multitrust.core.types import TaskScore
from multitrust.report.leaderboard import place
from multitrust.report.scorecard import aggregate, aggregate_replicates, rank_swap_matrix
from multitrust.report.states import (
    EXCLUDED,
    MAX_ERROR_RATE,
    Failure,
    TaskState,
    failure_causes,
    state_counts,
    task_state,
    task_states,
    usable_scores,
)

REPORT_SCHEMA = "multitrust.report/1"


@dataclass
class RunResults:
    run_dir: str
    model: str
    seed: int
    fidelity: str
    data: dict[str, Any]
    scores: dict[str, TaskScore]
    calls_made: int = 0
    calls_reused: int = 0
    call_errors: int = 0
    calls_from_other_runs: int = 0
    invocations: list[dict[str, Any]] = field(default_factory=list)
    #: per replica of a replicated model, as the last run recorded it (None: one endpoint)
    replicas: list[dict[str, Any]] | None = None
    #: how the images sent to the model were handled: {"max_image_side", "images": {how: [sha256, ...]}}
    image_handling: dict[str, Any] | None = None
    #: task → "no data: <missing path>" for tasks the run skipped because the tree lacks their data
    no_data: dict[str, str] = field(default_factory=dict)
    #: the tasks the run asked for (None: those it has scores for)
    requested: list[str] | None = None
    #: task → why its data could not be read (the task has no samples)
    data_errors: dict[str, str] = field(default_factory=dict)
    #: every failed sample with its cause (model call, judge call or sample build)
    failures: list[Failure] = field(default_factory=list)
    #: task → its variants a text-only run (``--allow-text-only``) did not run because they send images
    not_run: dict[str, list[str]] = field(default_factory=dict)
    #: judge spec → {"calls", "retries", "failed"} summed over the run's invocations
    judges: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.model


def _num(x: float | None) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return x


def _metrics(d: dict[str, float]) -> dict[str, float | None]:
    return {k: _num(v) for k, v in d.items()}


def task_entry(ts: TaskScore) -> dict[str, Any]:
    info = TASK_BY_ID[ts.task]
    return {
        "name": info.name,
        "aspect": info.aspect,
        "subaspect": info.subaspect,
        "score": _num(ts.score),
        "n_samples": ts.n_samples,
        "n_errors": ts.n_errors,
        "unscored": ts.unscored,
        "notes": list(ts.notes),
        "provenance": ts.provenance,
        "ci": list(ts.ci) if ts.ci else None,
        "flips": ts.flips,
        "variants": {
            name: {
                "metrics": _metrics(v.metrics),
                "by_subset": {k: _metrics(m) for k, m in v.by_subset.items()},
                "n_samples": v.n_samples,
                "n_scored": v.n_scored,
                "n_errors": v.n_errors,
                "n_unscored": v.n_unscored,
            }
            for name, v in ts.variants.items()
        },
    }


def usable_score(ts: TaskScore, max_error_rate: float = MAX_ERROR_RATE) -> float | None:
    """The task score the aggregates may use: None when it is missing or rests on too few answers."""
    return task_state(ts.task, ts, max_error_rate=max_error_rate).usable


def states_of(run: RunResults, *, max_error_rate: float = MAX_ERROR_RATE) -> dict[str, TaskState]:
    """The state of every task of ``run`` (:func:`multitrust.report.states.task_states` on its data)."""
    return task_states(
        run.scores,
        requested=run.requested,
        data_errors={**{t: why.removeprefix("no data: ") for t, why in run.no_data.items()}, **run.data_errors},
        failures=run.failures,
        max_error_rate=max_error_rate,
        not_run=run.not_run,
    )


def run_entry(run: RunResults, *, max_error_rate: float = MAX_ERROR_RATE) -> dict[str, Any]:
    taxonomy = [t.id for t in TASKS]
    states = states_of(run, max_error_rate=max_error_rate)
    tasks = {tid: task_entry(run.scores[tid]) for tid in states if tid in run.scores}
    for tid, entry in tasks.items():
        st = states[tid]
        entry.update(st.to_dict())
        if st.state == EXCLUDED:
            entry["excluded"] = f"{st.reason}; left out of the aggregate scores"
    # extra (registered) tasks are never aggregated
    usable = {tid: score for tid, score in usable_scores(states).items() if tid in taxonomy}
    card = aggregate(usable)
    intervals = _aggregate_intervals(run, usable)
    return {
        "run_dir": run.run_dir,
        "model": run.model,
        "seed": run.seed,
        "fidelity": run.fidelity,
        "data": run.data,
        "calls": {
            "made": run.calls_made,
            "reused": run.calls_reused,
            "errors": run.call_errors,
            "from_other_runs": run.calls_from_other_runs,
        },
        **({"replicas": run.replicas} if run.replicas else {}),
        **({"image_handling": image_handling_entry(run.image_handling)} if run.image_handling else {}),
        "judges": {spec: dict(c) for spec, c in run.judges.items()},
        "tasks": tasks,
        "no_data": {tid: why for tid, why in run.no_data.items() if tid not in tasks},
        "task_states": {
            tid: {"state": st.state, "reason": st.reason or None, "detail": st.detail or None, "score": st.score}
            for tid, st in states.items()
        },
        "state_counts": state_counts(states),
        "failure_causes": failure_causes(run.failures),
        "scorecard": card.to_dict(),
        "scorecard_ci": intervals,
    }


def image_handling_entry(handling: dict[str, Any]) -> dict[str, Any]:
    """The report's view of a run's image handling: ``max_image_side`` and, per way of handling, how many
    distinct images (by content) were sent that way."""
    images = handling.get("images") or {}
    return {
        "max_image_side": handling.get("max_image_side"),
        "images": {str(how): len(digests) for how, digests in images.items() if isinstance(digests, list)},
    }


def _aggregate_intervals(run: RunResults, usable: dict[str, float | None]) -> dict[str, Any] | None:
    """95% intervals for sub-aspects, aspects and overall from the tasks' bootstrap replicates (tasks are
    resampled independently, so replicate b of different tasks can be combined). A task without replicates
    (bootstrap off, or a single record) leaves the levels above it without an interval."""
    reps = {tid: ts.replicates for tid, ts in run.scores.items() if usable.get(tid) is not None and ts.replicates}
    if not reps:
        return None
    rounds = min(len(r) for r in reps.values())
    return aggregate_replicates({tid: r[:rounds] for tid, r in reps.items()})


def build_report(runs: Sequence[RunResults], *, compare_published: bool = False) -> dict[str, Any]:
    """The JSON report of one or more runs (schema ``multitrust.report/1``)."""
    entries = [run_entry(r) for r in runs]
    if compare_published:
        for entry in entries:
            overall = entry["scorecard"]["overall"]
            entry["published_placement"] = place(overall, entry["model"]).to_dict() if overall is not None else None
    report: dict[str, Any] = {"schema": REPORT_SCHEMA, "generated_by": f"multitrust {__version__}", "runs": entries}
    swaps = rank_swaps(runs)
    if swaps is not None:
        report["rank_swaps"], report["rank_swaps_basis"] = swaps
    return report


def run_labels(runs: Sequence[RunResults]) -> list[str]:
    """Model names, with the run directory added where two runs share a model."""
    models = [r.model for r in runs]
    return [m if models.count(m) == 1 else f"{m} ({r.run_dir})" for m, r in zip(models, runs, strict=True)]


def rank_swaps(runs: Sequence[RunResults]) -> tuple[list[dict[str, Any]], str] | None:
    """How often each pair of runs swaps order under the bootstrap. Compared on the overall score when every
    run is complete, otherwise on the mean over the tasks all runs scored (said in the returned basis).

    Only usable task scores count (the same states as the scorecard). A task without bootstrap replicates in a
    run (one record, or bootstrap off) holds its point score in every replicate, so runs with and without
    intervals can still be compared; a pair of runs of which neither has any replicate is left out (its order
    never varies, which says nothing about its stability). None when no pair can be compared."""
    if len(runs) < 2:
        return None
    usable = [usable_scores(states_of(r)) for r in runs]
    scored = [{t for t, v in u.items() if v is not None and t in TASK_BY_ID} for u in usable]
    common = set.intersection(*scored)
    has_reps = [any(r.scores[t].replicates for t in common) for r in runs]
    if not common or sum(has_reps) == 0:
        return None
    lengths = [len(r.scores[t].replicates) for r in runs for t in common if r.scores[t].replicates]
    rounds = min(lengths)

    def reps_of(run: RunResults, t: str) -> list[float]:
        reps = run.scores[t].replicates
        return list(reps[:rounds]) if reps else [float(run.scores[t].score or 0.0)] * rounds

    complete = len(common) == len(TASKS)
    per_run: dict[str, list[float]] = {}
    points: dict[str, float] = {}
    for label, run in zip(run_labels(runs), runs, strict=True):
        table = {t: reps_of(run, t) for t in common}
        if complete:
            reps = [aggregate({t: table[t][b] for t in common}).overall or 0.0 for b in range(rounds)]
            points[label] = aggregate({t: run.scores[t].score for t in common}).overall or 0.0
        else:
            reps = [sum(table[t][b] for t in common) / len(common) for b in range(rounds)]
            points[label] = sum(run.scores[t].score or 0.0 for t in common) / len(common)
        per_run[label] = reps
    matrix = rank_swap_matrix(per_run, points)
    varies = dict(zip(run_labels(runs), has_reps, strict=True))
    labels = sorted(per_run, key=lambda m: (-points[m], m))
    pairs = [
        {"a": a, "b": b, "fraction": matrix[(a, b)]}
        for i, a in enumerate(labels)
        for b in labels[i + 1 :]
        if varies[a] or varies[b]
    ]
    basis = "overall score" if complete else f"mean of the {len(common)} tasks every run scored"
    fixed = [label for label, v in varies.items() if not v]
    if fixed:
        basis += f"; without intervals (held at their point score): {', '.join(fixed)}"
    return pairs, basis
