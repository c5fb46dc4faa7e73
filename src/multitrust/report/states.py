"""One decision per task: scored, excluded from the aggregates, run but not scored, no data, or not requested.

Every surface that talks about a run — the ``run`` console table and summary line, ``multitrust report``,
report.json, the HTML page and the CSV — reads :func:`task_states`, so they cannot disagree about which
task counts and why. The input is plain data (task scores, the tasks the run asked for, data errors and
the failed samples with their causes); this module needs nothing but ``core``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from multitrust.core.taxonomy import TASKS
from multitrust.core.types import TaskScore

__all__ = [
    "EXCLUDED",
    "MAX_ERROR_RATE",
    "NOT_REQUESTED",
    "NOT_RUN_TEXT_ONLY",
    "NOT_SCORED",
    "NO_DATA",
    "SCORED",
    "STATES",
    "Failure",
    "TaskState",
    "exclusion",
    "failure_causes",
    "state_counts",
    "task_state",
    "task_states",
    "usable_scores",
]

SCORED = "scored"
#: the task has a score of its own, but it rests on too few answers to enter sub-aspect/aspect/overall
EXCLUDED = "excluded"
#: samples were planned and sent, but no score came out (every call of a needed variant failed, …)
NOT_SCORED = "not_scored"
#: the task was asked for but its data has no samples (missing files, no records)
NO_DATA = "no_data"
NOT_REQUESTED = "not_requested"
#: how a reason starts when a text-only run (``--allow-text-only``) skipped the task's image variants
NOT_RUN_TEXT_ONLY = "not run (text only)"
STATES = (SCORED, EXCLUDED, NOT_SCORED, NO_DATA, NOT_REQUESTED)

#: a task whose samples failed (generation, image or judge errors) beyond this fraction — or whose judge
#: replies were not verdicts beyond it — is left out of the aggregates; its own score is still shown
MAX_ERROR_RATE = 0.2

#: failure kinds: a sample that could not be built (image, record), a failed call to the model under test,
#: a failed judge call (LLM judge or classifier)
FAILURE_KINDS = ("build", "model", "judge")


@dataclass(frozen=True)
class Failure:
    """One sample that failed, and why (the stored error message, without the sample id)."""

    task: str
    variant: str
    sample_id: str
    kind: str
    cause: str


@dataclass(frozen=True)
class TaskState:
    """What a task is in a run and why; ``score`` is the task's own score (shown even when excluded)."""

    task: str
    state: str
    reason: str = ""
    #: the failure cause behind ``reason`` (e.g. the error message of the failed calls), for notes
    detail: str = ""
    score: float | None = None
    n_samples: int = 0
    n_errors: int = 0
    n_unscored: int = 0
    #: the task is not scored or excluded because calls (model or judge) failed: ``run`` exits 3
    call_failures: bool = False
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def usable(self) -> float | None:
        """The score the aggregates may use."""
        return self.score if self.state == SCORED else None

    @property
    def ran(self) -> bool:
        return self.state in (SCORED, EXCLUDED, NOT_SCORED)

    def label(self) -> str:
        """Short text for a terminal cell: the score, or what happened instead."""
        score = "—" if self.score is None else f"{self.score:.2f}"
        if self.state == SCORED:
            return score
        if self.state == EXCLUDED:
            return f"{score} (excluded: {self.reason})"
        if self.state == NOT_SCORED:
            return f"run, not scored ({self.reason})"
        if self.state == NO_DATA:
            return f"no data ({self.reason})" if self.reason else "no data"
        return "not requested"

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "reason": self.reason or None,
            "detail": self.detail or None,
            "usable": self.usable is not None,
            "call_failures": self.call_failures,
            "failures": dict(self.failures),
        }


def _num(x: float | None) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(x)


def _unscored(ts: TaskScore) -> int:
    """Judge replies that were not verdicts (0 where the score predates that count)."""
    return int(getattr(ts, "unscored", 0) or 0)


def exclusion(ts: TaskScore, max_error_rate: float = MAX_ERROR_RATE) -> str | None:
    """Why a scored task may not enter the aggregates, or None."""
    if not ts.n_samples:
        return None
    if ts.n_errors / ts.n_samples > max_error_rate:
        return f"{ts.n_errors} of {ts.n_samples} samples failed, more than {max_error_rate:.0%}"
    unscored = _unscored(ts)
    if unscored / ts.n_samples > max_error_rate:
        return (
            f"{unscored} of {ts.n_samples} verdicts unscored (the judge's reply was not a verdict), "
            f"more than {max_error_rate:.0%}"
        )
    return None


def _cause_text(failures: Sequence[Failure]) -> str:
    """The most frequent cause among ``failures`` (with how many others there are)."""
    counts = Counter(f.cause for f in failures)
    cause, _ = counts.most_common(1)[0]
    more = len(counts) - 1
    return cause + (f" (and {more} other cause{'s' if more > 1 else ''})" if more else "")


def _calls(kind_counts: Counter[str], n: int) -> str:
    parts = []
    if kind_counts.get("model"):
        parts.append(f"{kind_counts['model']} failed call{'s' if kind_counts['model'] != 1 else ''}")
    if kind_counts.get("judge"):
        parts.append(f"{kind_counts['judge']} failed judge call{'s' if kind_counts['judge'] != 1 else ''}")
    if kind_counts.get("build"):
        parts.append(f"{kind_counts['build']} sample{'s' if kind_counts['build'] != 1 else ''} not built")
    return ", ".join(parts) or f"{n} failed samples"


def _not_scored_reason(ts: TaskScore, failures: Sequence[Failure]) -> tuple[str, str]:
    """Why a task that ran has no score — (short reason, failure cause): which variant is missing and what
    its samples failed with."""
    kinds = Counter(f.kind for f in failures)
    if failures and len(failures) >= ts.n_samples:
        return _calls(kinds, len(failures)), _cause_text(failures)
    for name, v in ts.variants.items():
        if v.n_samples and not v.n_scored:
            mine = [f for f in failures if f.variant == name]
            if mine:
                return f"all {v.n_samples} samples of {name} failed", _cause_text(mine)
            unscored = int(getattr(v, "n_unscored", 0) or 0)
            if unscored:
                return f"all {v.n_samples} verdicts of {name} unscored", "the judge's reply was not a verdict"
    for note in ts.notes:
        if note.startswith("not scored: "):
            return note.removeprefix("not scored: "), ""
    if failures:
        return _calls(kinds, len(failures)), _cause_text(failures)
    return "no score", ""


def task_state(
    task: str,
    ts: TaskScore | None,
    *,
    requested: bool = True,
    data_error: str | None = None,
    failures: Sequence[Failure] = (),
    max_error_rate: float = MAX_ERROR_RATE,
    not_run: Sequence[str] = (),
) -> TaskState:
    """The state of one task (see the module docstring). ``not_run`` names its variants a text-only run
    skipped because they send images: a task left without samples by that is "not run (text only)", not
    "no samples", and a task not scored for it says so."""
    kinds = dict(Counter(f.kind for f in failures))
    skipped = f"{NOT_RUN_TEXT_ONLY}: {', '.join(not_run)}" if not_run else ""
    if ts is None:
        if data_error:
            return TaskState(task, NO_DATA, data_error)
        if requested and skipped:
            return TaskState(task, NO_DATA, skipped)
        if requested:
            return TaskState(task, NO_DATA, "nothing planned for it yet")
        return TaskState(task, NOT_REQUESTED)
    base = {
        "score": _num(ts.score),
        "n_samples": ts.n_samples,
        "n_errors": ts.n_errors,
        "n_unscored": _unscored(ts),
        "failures": kinds,
    }
    calls = bool(kinds.get("model") or kinds.get("judge"))
    if not ts.n_samples:
        return TaskState(task, NO_DATA, data_error or skipped or "no samples", **base)  # type: ignore[arg-type]
    if base["score"] is None:
        reason, detail = _not_scored_reason(ts, failures)
        if skipped:
            reason = f"{reason}; {skipped}"
        return TaskState(task, NOT_SCORED, reason, detail, call_failures=calls, **base)  # type: ignore[arg-type]
    why = exclusion(ts, max_error_rate)
    if why is not None:
        failed_calls = calls and ts.n_errors / ts.n_samples > max_error_rate
        detail = _cause_text(failures) if failures else ""
        return TaskState(task, EXCLUDED, why, detail, call_failures=failed_calls, **base)  # type: ignore[arg-type]
    return TaskState(task, SCORED, **base)  # type: ignore[arg-type]


def task_states(
    scores: Mapping[str, TaskScore],
    *,
    requested: Iterable[str] | None = None,
    data_errors: Mapping[str, str] | None = None,
    failures: Iterable[Failure] = (),
    max_error_rate: float = MAX_ERROR_RATE,
    not_run: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, TaskState]:
    """The state of every taxonomy task (in T, S, R, F, P order) plus any extra task the run scored.

    ``requested`` is the tasks the run asked for (None: the tasks that have scores); ``data_errors`` maps a
    task to why its data could not be read; ``failures`` are the run's failed samples; ``not_run`` maps a
    task to its variants a text-only run (``--allow-text-only``) did not run."""
    skipped = dict(not_run or {})
    wanted = set(scores) if requested is None else set(requested)
    errors = dict(data_errors or {})
    by_task: dict[str, list[Failure]] = {}
    for f in failures:
        by_task.setdefault(f.task, []).append(f)
    order = [t.id for t in TASKS]
    order += sorted(t for t in {*scores, *wanted, *errors} if t not in order)
    return {
        tid: task_state(
            tid,
            scores.get(tid),
            requested=tid in wanted or tid in errors,
            data_error=errors.get(tid),
            failures=by_task.get(tid, ()),
            max_error_rate=max_error_rate,
            not_run=skipped.get(tid, ()),
        )
        for tid in order
    }


def usable_scores(states: Mapping[str, TaskState]) -> dict[str, float | None]:
    """What the aggregates may use: the score of every scored task, None for every other task that ran."""
    return {tid: st.usable for tid, st in states.items() if st.ran}


def state_counts(states: Mapping[str, TaskState]) -> dict[str, int]:
    """How many tasks are in each state (every state named, zeros included)."""
    counts = Counter(st.state for st in states.values())
    return {s: counts.get(s, 0) for s in STATES}


def failure_causes(failures: Iterable[Failure], *, examples: int = 1) -> list[dict[str, Any]]:
    """Every distinct failure cause once: kind, cause, count, an example sample id and the tasks it hit;
    most frequent first."""
    groups: dict[tuple[str, str], list[Failure]] = {}
    for f in failures:
        groups.setdefault((f.kind, f.cause), []).append(f)
    out = [
        {
            "kind": kind,
            "cause": cause,
            "count": len(items),
            "example": items[0].sample_id,
            "examples": [f.sample_id for f in items[:examples]],
            "tasks": sorted({f.task for f in items}, key=_task_key),
        }
        for (kind, cause), items in groups.items()
    ]
    return sorted(out, key=lambda c: (-c["count"], c["kind"], c["cause"]))


_TASK_INDEX = {t.id: i for i, t in enumerate(TASKS)}


def _task_key(tid: str) -> tuple[int, str]:
    return (_TASK_INDEX.get(tid, len(_TASK_INDEX)), tid)
