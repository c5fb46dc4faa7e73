"""The published MultiTrust leaderboard (44 models) and where a new run would sit in it.

The table is the original toolbox's ``scripts/rank.txt`` (thu-ml/MMTrustEval, commit a067801,
2025-03-26), shipped as ``multitrust/reference/published_leaderboard.csv``. Placing a run in it is
useful orientation but not a like-for-like comparison: the published numbers came from the official
data, GPT-4 judges and the paper-era code. Every placement therefore carries :data:`CAVEAT`.

Ties: the original re-sorts with pandas' default (unstable) quicksort, so the order among equal scores
is arbitrary there. Here a run is placed *after* every published entry with the same (2-decimal)
score — a run never claims a rank it only ties for — and rows with equal scores keep the published
order, then the order the runs were given in.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from multitrust.core.errors import DataError
from multitrust.report.scorecard import OVERALL_RANGE  # below 0 when a negative P.3 pulls the overall down

__all__ = [
    "CAVEAT",
    "SOURCE",
    "LeaderboardRow",
    "Placement",
    "PublishedEntry",
    "place",
    "published_leaderboard",
    "ranked_with",
]

#: Shown with every comparison against the published table.
CAVEAT = (
    "published scores used the official data, GPT-4 judges and the paper-era code; "
    "data, judges and fidelity of this run may differ"
)

#: Where the published numbers come from.
SOURCE = "thu-ml/MMTrustEval scripts/rank.txt, commit a067801 (2025-03-26)"

_RESOURCE = "reference/published_leaderboard.csv"

#: Published scores have 2 decimals; runs are compared at the same precision.
_DECIMALS = 2


@dataclass(frozen=True, slots=True)
class PublishedEntry:
    """One row of the published table: model id as the original names it, overall score, rank."""

    model: str
    overall: float
    rank: int


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a run's overall score would sit among the published models.

    ``rank`` is 1-based among ``total`` = published models + this run. ``above`` is the published
    entry directly ahead of the run (None if it would be first), ``below`` the one directly behind
    (None if last); their ``rank`` fields are the published ranks, i.e. before inserting the run.
    """

    name: str
    overall: float
    rank: int
    total: int
    above: PublishedEntry | None
    below: PublishedEntry | None
    caveat: str = CAVEAT
    source: str = SOURCE

    def to_dict(self) -> dict[str, object]:
        def entry(e: PublishedEntry | None) -> dict[str, object] | None:
            return None if e is None else {"model": e.model, "overall": e.overall, "rank": e.rank}

        return {
            "name": self.name,
            "overall": self.overall,
            "rank": self.rank,
            "total": self.total,
            "above": entry(self.above),
            "below": entry(self.below),
            "source": self.source,
            "caveat": self.caveat,
        }


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    """A row of the merged table. ``is_run`` marks your runs; ``published_rank`` is None for them."""

    rank: int
    model: str
    overall: float
    is_run: bool
    published_rank: int | None

    def to_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "model": self.model,
            "overall": self.overall,
            "is_run": self.is_run,
            "published_rank": self.published_rank,
        }


@lru_cache(maxsize=1)
def _load() -> tuple[PublishedEntry, ...]:
    """Read and validate the packaged CSV once; a broken file is a packaging bug, so fail loudly."""
    try:
        text = resources.files("multitrust").joinpath(_RESOURCE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise DataError(f"packaged leaderboard is missing ({exc})", path=_RESOURCE) from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != ["model", "overall_score", "rank"]:
        raise DataError(f"unexpected header {reader.fieldnames}", path=_RESOURCE)
    entries: list[PublishedEntry] = []
    for n, row in enumerate(reader, start=1):
        try:
            entry = PublishedEntry(row["model"].strip(), float(row["overall_score"]), int(row["rank"]))
        except (TypeError, ValueError) as exc:
            raise DataError(f"malformed row ({exc})", path=_RESOURCE, record=str(n)) from None
        if entry.rank != n:
            raise DataError(f"rank {entry.rank} where {n} was expected", path=_RESOURCE, record=str(n))
        if entries and entry.overall > entries[-1].overall:
            raise DataError("rows are not sorted by descending score", path=_RESOURCE, record=str(n))
        entries.append(entry)
    if not entries:
        raise DataError("no rows", path=_RESOURCE)
    return tuple(entries)


def published_leaderboard() -> list[PublishedEntry]:
    """The 44 published entries, best first (a fresh list; the entries themselves are immutable)."""
    return list(_load())


def _check_score(name: str, overall: float) -> float:
    lo, hi = OVERALL_RANGE
    x = float(overall)
    if not math.isfinite(x) or not lo <= x <= hi:
        raise ValueError(f"{name}: overall score {overall!r} must be a finite number in {lo:g}–{hi:g}")
    return round(x, _DECIMALS)


def place(overall: float, name: str) -> Placement:
    """Rank a run's overall score among the published models.

    The score is rounded to 2 decimals (the published precision) and placed after all published
    entries with a score greater than *or equal to* it, so ``rank = 1 + #{published >= overall}``.
    Pass a complete run's ``Scorecard.overall``; a partial score is not comparable.
    """
    score = _check_score(name, overall)
    table = _load()
    ahead = sum(1 for e in table if e.overall >= score)
    return Placement(
        name=name,
        overall=score,
        rank=ahead + 1,
        total=len(table) + 1,
        above=table[ahead - 1] if ahead > 0 else None,
        below=table[ahead] if ahead < len(table) else None,
    )


def ranked_with(runs: Mapping[str, float]) -> list[LeaderboardRow]:
    """The published table with your runs merged in, re-ranked 1..N by descending score.

    Unlike the original compute_rank.py, a run whose name matches a published model does *not*
    overwrite the published row: the two numbers come from different data/judges/code, so both are
    kept and the run is marked ``is_run``. Ties follow the module rule (published first, then runs in
    the given order), consistent with :func:`place`.
    """
    rows: list[tuple[str, float, bool, int | None]] = [(e.model, e.overall, False, e.rank) for e in _load()]
    rows += [(name, _check_score(name, score), True, None) for name, score in runs.items()]
    # sorted() is stable: equal scores keep published order, then run insertion order.
    rows.sort(key=lambda r: -r[1])
    return [
        LeaderboardRow(rank=i, model=m, overall=s, is_run=is_run, published_rank=pr)
        for i, (m, s, is_run, pr) in enumerate(rows, start=1)
    ]
