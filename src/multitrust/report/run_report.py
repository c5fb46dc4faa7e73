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
    #: task → "no data: <missing path>" for tasks the run skipped because the tree lacks their data
    no_data: dict[str, str] = field(default_factory=dict)

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


#: a task whose samples failed (generation, image or judge errors) beyond this fraction is left out of the
#: sub-aspect / aspect / overall scores — its own score is still shown, with the reason
MAX_ERROR_RATE = 0.2


def exclusion(ts: TaskScore, max_error_rate: float = MAX_ERROR_RATE) -> str | None:
    """Why the task's score may not enter the aggregates (too many failed samples, or too many judge replies
    that were not verdicts), or None."""
    if not ts.n_samples:
        return None
    if ts.n_errors / ts.n_samples > max_error_rate:
        return f"{ts.n_errors} of {ts.n_samples} samples failed (more than {max_error_rate:.0%})"
    if ts.unscored / ts.n_samples > max_error_rate:
        return (
            f"{ts.unscored} of {ts.n_samples} verdicts unscored: the judge's reply was not a verdict "
            f"(more than {max_error_rate:.0%})"
        )
    return None


def usable_score(ts: TaskScore, max_error_rate: float = MAX_ERROR_RATE) -> float | None:
    """The task score the aggregates may use: None when it is missing or rests on too few answers."""
    if exclusion(ts, max_error_rate) is not None:
        return None
    return _num(ts.score)


def run_entry(run: RunResults, *, max_error_rate: float = MAX_ERROR_RATE) -> dict[str, Any]:
    taxonomy = [t.id for t in TASKS]
    order = taxonomy + sorted(tid for tid in run.scores if tid not in taxonomy)  # extra tasks last
    tasks = {tid: task_entry(run.scores[tid]) for tid in order if tid in run.scores}
    usable = {tid: usable_score(ts, max_error_rate) for tid, ts in run.scores.items()}
    for tid, entry in tasks.items():
        ts = run.scores[tid]
        reason = exclusion(ts, max_error_rate)
        if entry["score"] is not None and reason is not None:
            entry["excluded"] = f"{reason}; left out of the aggregate scores"
    usable = {tid: score for tid, score in usable.items() if tid in taxonomy}  # extra tasks are never aggregated
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
        "tasks": tasks,
        "no_data": {tid: why for tid, why in run.no_data.items() if tid not in tasks},
        "scorecard": card.to_dict(),
        "scorecard_ci": intervals,
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
    run is complete, otherwise on the mean over the tasks all runs scored (said in the returned basis)."""
    if len(runs) < 2:
        return None
    scored = [{t for t, ts in r.scores.items() if ts.score is not None and ts.replicates} for r in runs]
    common = set.intersection(*scored)
    if not common:
        return None
    rounds = min(len(r.scores[t].replicates) for r in runs for t in common)
    complete = len(common) == len(TASKS)
    per_run: dict[str, list[float]] = {}
    points: dict[str, float] = {}
    for label, run in zip(run_labels(runs), runs, strict=True):
        if complete:
            reps = [aggregate({t: run.scores[t].replicates[b] for t in common}).overall or 0.0 for b in range(rounds)]
            points[label] = aggregate({t: run.scores[t].score for t in common}).overall or 0.0
        else:
            reps = [sum(run.scores[t].replicates[b] for t in common) / len(common) for b in range(rounds)]
            points[label] = sum(run.scores[t].score or 0.0 for t in common) / len(common)
        per_run[label] = reps
    matrix = rank_swap_matrix(per_run, points)
    labels = sorted(per_run, key=lambda m: (-points[m], m))
    pairs = [{"a": a, "b": b, "fraction": matrix[(a, b)]} for i, a in enumerate(labels) for b in labels[i + 1 :]]
    basis = "overall score" if complete else f"mean of the {len(common)} tasks every run scored"
    return pairs, basis
