"""File exports of a report: the JSON document, a flat CSV of scores, and per-sample JSONL.

All three are written atomically (a temporary file in the target directory, then ``os.replace``), so
an interrupted ``multitrust report`` never leaves a half-written file where a previous good one was.
JSON has no NaN or infinity; non-finite floats are written as ``null`` so every export is standard
JSON that any reader accepts. The schema is documented in ``docs/report-schema.md``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from multitrust.core.files import atomic_write
from multitrust.core.taxonomy import ASPECTS, SUBASPECTS, TASK_BY_ID, TASKS

__all__ = ["CSV_COLUMNS", "csv_rows", "finite", "write_csv", "write_json", "write_samples_jsonl"]

#: Columns of the scores CSV. ``level`` is task, subaspect, aspect or overall; cells that do not apply
#: to a level (e.g. ``task`` on an aspect row) and missing scores are empty. ``state`` and ``reason`` are the
#: task's state (scored, excluded, not_scored, no_data, not_requested; see ``report/states.py``) and why.
CSV_COLUMNS: tuple[str, ...] = (
    "level",
    "run_dir",
    "model",
    "task",
    "name",
    "aspect",
    "subaspect",
    "score",
    "ci_lo",
    "ci_hi",
    "n_samples",
    "n_errors",
    "state",
    "reason",
)


def finite(value: Any) -> Any:
    """Non-finite floats → None, recursively, so the output is standard JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def _atomic_write(path: str | Path, write: Any) -> Path:
    """Call ``write(fh)`` on a temp file next to ``path`` and move it into place when it succeeded (the file
    mode policy of :mod:`multitrust.core.files`)."""
    return atomic_write(path, write)


def write_json(report: Mapping[str, Any], path: str | Path) -> Path:
    """Write the ``multitrust.report/1`` document (indented, UTF-8, trailing newline); returns the path."""
    text = json.dumps(finite(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return _atomic_write(path, lambda fh: fh.write(text))


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return value


def _ci(entry: Any, fallback: Any = None) -> tuple[Any, Any]:
    """``entry["ci"]`` as two cells, else ``fallback`` (an interval from the run's ``scorecard_ci``)."""
    ci = entry.get("ci") if isinstance(entry, Mapping) else None
    for cand in (ci, fallback):
        if isinstance(cand, (list, tuple)) and len(cand) == 2:
            return _cell(cand[0]), _cell(cand[1])
    return "", ""


def csv_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The CSV rows as dicts: per run, all 32 tasks (empty score when not run), then sub-aspects, aspects, overall.

    Every task gets a row even when it was not run, so a spreadsheet shows the gap instead of silently
    having fewer rows for one model than another; the same holds for incomplete aggregates.
    """
    rows: list[dict[str, Any]] = []
    for run in report.get("runs") or []:
        base = {"run_dir": run.get("run_dir", ""), "model": run.get("model", "")}
        tasks = run.get("tasks") or {}
        card = run.get("scorecard") or {}
        # run_report keeps the aggregate intervals apart from the scorecard (aggregate_replicates' output).
        block = run.get("scorecard_ci") if isinstance(run.get("scorecard_ci"), Mapping) else {}
        states = run.get("task_states") or {}
        extra = sorted(tid for tid in {*tasks, *states} if tid not in TASK_BY_ID)
        for tid in [t.id for t in TASKS] + extra:
            info = TASK_BY_ID.get(tid)
            entry = tasks.get(tid)
            state = states.get(tid) or {}
            lo, hi = _ci(entry)
            rows.append(
                {
                    "level": "task",
                    **base,
                    "task": tid,
                    "name": info.name if info else (entry or {}).get("name", ""),
                    "aspect": info.aspect if info else (entry or {}).get("aspect", ""),
                    "subaspect": info.subaspect if info else (entry or {}).get("subaspect", ""),
                    "score": _cell((entry or {}).get("score")),
                    "ci_lo": lo,
                    "ci_hi": hi,
                    "n_samples": _cell((entry or {}).get("n_samples")),
                    "n_errors": _cell((entry or {}).get("n_errors")),
                    "state": state.get("state") or ("scored" if entry else "not_requested"),
                    "reason": state.get("reason") or "",
                }
            )
        subs = card.get("subaspects") or {}
        for sub in SUBASPECTS:
            entry = subs.get(sub.key) or {}
            lo, hi = _ci(entry, (block.get("subaspects") or {}).get(sub.key))
            rows.append(
                {
                    "level": "subaspect",
                    **base,
                    "task": "",
                    "name": sub.name,
                    "aspect": sub.aspect,
                    "subaspect": sub.key,
                    "score": _cell(entry.get("score")),
                    "ci_lo": lo,
                    "ci_hi": hi,
                    "n_samples": "",
                    "n_errors": "",
                    "state": "",
                    "reason": "",
                }
            )
        aspects = card.get("aspects") or {}
        for aspect in ASPECTS:
            entry = aspects.get(aspect) or {}
            lo, hi = _ci(entry, (block.get("aspects") or {}).get(aspect))
            rows.append(
                {
                    "level": "aspect",
                    **base,
                    "task": "",
                    "name": aspect.capitalize(),
                    "aspect": aspect,
                    "subaspect": "",
                    "score": _cell(entry.get("score")),
                    "ci_lo": lo,
                    "ci_hi": hi,
                    "n_samples": "",
                    "n_errors": "",
                    "state": "",
                    "reason": "",
                }
            )
        lo, hi = _ci(card, block.get("overall"))
        present = [t for t in tasks.values() if isinstance(t, Mapping)]
        rows.append(
            {
                "level": "overall",
                **base,
                "task": "",
                "name": "Overall",
                "aspect": "",
                "subaspect": "",
                "score": _cell(card.get("overall")),
                "ci_lo": lo,
                "ci_hi": hi,
                "n_samples": sum(int(t.get("n_samples") or 0) for t in present),
                "n_errors": sum(int(t.get("n_errors") or 0) for t in present),
                "state": "",
                "reason": "",
            }
        )
    return rows


#: A text cell starting with one of these is read as a formula by spreadsheets (``=cmd|' /C calc'!A0``).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a leading ``'`` (OWASP's
    advice for CSV injection). Numbers, negative scores included, are written as numbers."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def write_csv(report: Mapping[str, Any], path: str | Path) -> Path:
    """Write :func:`csv_rows` with the header :data:`CSV_COLUMNS` (UTF-8, ``\\n`` line ends); returns the path.
    Text cells that a spreadsheet would run as a formula are written with a leading ``'`` (see :func:`_inert`).
    A row with a carriage return in a cell is written fully quoted: ``csv`` quotes only the line terminator's
    characters, and a bare ``\\r`` would end the row for every reader."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    quoted = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for row in csv_rows(report):
        cells = {k: _inert(v) for k, v in row.items()}
        (quoted if any(isinstance(v, str) and "\r" in v for v in cells.values()) else writer).writerow(cells)
    text = buf.getvalue()
    return _atomic_write(path, lambda fh: fh.write(text))


def write_samples_jsonl(samples: Iterable[Mapping[str, Any]], path: str | Path) -> int:
    """Write one JSON object per line (the per-sample dicts, keys in their given order); returns the count.

    Streams: ``samples`` may be a generator over a large run. Values that are not JSON-native (e.g. a
    tuple target) are converted by ``json`` as usual; anything else falls back to ``str``.
    """
    count = 0

    def write(fh: Any) -> None:
        nonlocal count
        for s in samples:
            fh.write(json.dumps(finite(dict(s)), ensure_ascii=False, allow_nan=False, default=str))
            fh.write("\n")
            count += 1

    _atomic_write(path, write)
    return count
