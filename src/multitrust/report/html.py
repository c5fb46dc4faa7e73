"""The self-contained HTML trust report: scores, intervals, a sub-aspect radar, provenance, flips and samples.

One file, no network at view time: CSS and JS are inlined, the radar chart is SVG computed here (no
charting library to vendor), and image thumbnails are embedded as JPEG data URLs. A Content-Security-
Policy forbids every network fetch and allows only *our* script (pinned by its SHA-256), so even if
something slipped past escaping it could neither run nor phone home.

Model output is untrusted. Everything goes through jinja2 autoescaping; samples travel as JSON inside
``<script type="application/json">`` with ``<``, ``>`` and ``&`` written as ``\\u003c`` etc. so the data
can never close its script element, and the page's JS only ever assigns ``textContent``.

The layer sees plain dicts only (the report of :func:`multitrust.report.run_report.build_report` and
the per-sample dicts the API exports), so it imports nothing but ``multitrust.core`` and the JSON helper
:func:`multitrust.report.export.finite`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from multitrust.core.files import write_text
from multitrust.core.taxonomy import ASPECTS, SUBASPECTS, TASK_BY_ID, TASKS
from multitrust.report.export import finite

__all__ = [
    "DEFAULT_MAX_SAMPLES_PER_RUN",
    "DEFAULT_TITLE",
    "PII_PATTERNS",
    "embed_json",
    "redact_pii",
    "render_html",
    "sample_quota",
    "thumbnail_data_url",
    "write_html",
]

DEFAULT_TITLE = "MultiTrust trust report"

#: The sample browser keeps the file small (a few MB at most); the page says when samples were left out.
DEFAULT_MAX_SAMPLES_PER_RUN = 2000

#: Long responses are cut for display; the JSONL export keeps them whole.
DEFAULT_MAX_TEXT_CHARS = 4000

#: Thumbnails are at most this many pixels on their longer side.
THUMB_PX = 160

#: Label and regex source of each kind of PII the redact switch masks, applied in this order. The same
#: sources run in Python (``re.ASCII``) and in the page's JS (``new RegExp(src, "g")``), so they use only
#: syntax both engines read the same way: classes, ``\\b``, lookaheads; no lookbehind or named groups.
PII_PATTERNS: tuple[tuple[str, str], ...] = (
    ("EMAIL", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    # 13–19 digits, optionally grouped by spaces or dashes (payment cards); masked only when the digits pass
    # the Luhn check that every card number carries, so "2019-2020-2021-2022" stays a list of years.
    ("CARD", r"\b\d(?:[ -]?\d){12,18}\b"),
    ("SSN", r"\b\d{3}-\d{2}-\d{4}\b"),
    ("PHONE", r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\b\d{3}[ .-]?)\d{3}[ .-]?\d{4}\b"),
    # API keys, tokens, passwords: 20+ word characters mixing letters and digits.
    ("SECRET", r"\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{20,}\b"),
)

_PII_RES = tuple((label, re.compile(src, re.ASCII)) for label, src in PII_PATTERNS)

#: Colour-blind-safe palette (Okabe–Ito, reordered for contrast on white); runs cycle through it.
_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F", "#000000")

_TEMPLATES = Path(__file__).parent / "templates"
_TASK_ORDER = {t.id: i for i, t in enumerate(TASKS)}
#: a sample's outcome: it counted for (favourable) or against (unfavourable) the model by the task's own
#: polarity, or neither (neutral: a task scored by a statistic over all samples); error; unscored
_OUTCOMES = ("favourable", "unfavourable", "neutral", "error", "unscored")
#: outcomes of per-sample exports written before the task polarity was used
_LEGACY_OUTCOMES = {"correct": "favourable", "incorrect": "unfavourable", "refused": "favourable", "scored": "neutral"}
_LEGACY_BADGES = {"correct": "correct", "incorrect": "wrong", "refused": "refused", "scored": "counted"}


# --------------------------------------------------------------------------------------------------
# Escaping, redaction, thumbnails


def embed_json(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` element that no string inside can break out of.

    HTML ends a script element at the first ``</script`` whatever the JSON means, so ``<``, ``>`` and
    ``&`` (and the JS line separators) are written as ``\\uXXXX`` escapes, which ``JSON.parse`` turns
    back into the same characters. Non-finite floats become ``null`` (JSON has no NaN). The result is
    marked safe only because of that escaping: it must not be HTML-escaped, since the browser does not
    decode entities inside a script element.
    """
    text = json.dumps(finite(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return Markup(text)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a card number (non-digits ignored)."""
    nums = [int(c) for c in digits if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(nums)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return bool(nums) and total % 10 == 0


def redact_pii(text: str, known: Iterable[Sequence[str]] = ()) -> str:
    """Mask the PII a record planted (``known``: (label, value) pairs, e.g. the passport numbers stated in a
    P.6 prompt) and then what the patterns find — e-mails, card numbers (Luhn-checked), SSNs, phone numbers,
    long secrets — as ``[LABEL]``.

    Privacy tasks (P.4–P.6) put synthetic but realistic PII into prompts and, when a model leaks it,
    into responses; a report shared beyond the team should not carry it. Patterns are
    :data:`PII_PATTERNS`, identical to the page's redact switch.
    """
    for label, value in sorted(((str(p[0]), str(p[1])) for p in known if len(p) == 2), key=lambda p: -len(p[1])):
        if value:
            text = re.sub(re.escape(value), f"[{label}]", text, flags=re.IGNORECASE)
    for label, rx in _PII_RES:
        if label == "CARD":
            text = rx.sub(lambda m: "[CARD]" if luhn_ok(m.group(0)) else m.group(0), text)
        else:
            text = rx.sub(f"[{label}]", text)
    return text


def thumbnail_data_url(path: str | Path, max_px: int = THUMB_PX) -> str | None:
    """A ``data:image/jpeg;base64,…`` thumbnail of ``path`` (longer side ≤ ``max_px``), None if unreadable.

    JPEG at moderate quality keeps a thumbnail at a few KB so thousands fit in one file; transparency
    is flattened onto white because JPEG has no alpha.
    """
    return _thumbnail_cached(str(path), int(max_px))


@lru_cache(maxsize=4096)
def _thumbnail_cached(path: str, max_px: int) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.thumbnail((max_px, max_px))
            if im.mode in ("RGBA", "LA", "P"):
                rgba = im.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                im2 = flat
            else:
                im2 = im.convert("RGB")
            buf = io.BytesIO()
            im2.save(buf, format="JPEG", quality=72, optimize=True)
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# --------------------------------------------------------------------------------------------------
# View model: plain dicts the template renders without logic of its own


def _fmt(x: Any, digits: int = 2) -> str:
    return "—" if not _is_num(x) else f"{float(x):.{digits}f}"


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def _ci(entry: Mapping[str, Any] | None, *keys: str) -> tuple[float, float] | None:
    """The ``[lo, hi]`` interval stored under the first of ``keys`` present in ``entry``, if well-formed."""
    if not isinstance(entry, Mapping):
        return None
    for key in keys:
        ci = entry.get(key)
        if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_is_num(v) for v in ci):
            return float(ci[0]), float(ci[1])
    return None


def _as_ci(value: Any) -> tuple[float, float] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_num(v) for v in value):
        return float(value[0]), float(value[1])
    return None


def _aggregate_ci(run: Mapping[str, Any], group: str, key: str | None = None) -> tuple[float, float] | None:
    """Interval of an aggregate: the entry's own ``ci`` if present, else the run's ``scorecard_ci`` block.

    ``run_report`` stores the aggregate intervals apart from the scorecard (``scorecard_ci``, the output
    of :func:`~multitrust.report.scorecard.aggregate_replicates`); hand-made reports may put ``ci`` on
    each entry instead. Both are read so either producer renders.
    """
    card = run.get("scorecard") or {}
    block = run.get("scorecard_ci") if isinstance(run.get("scorecard_ci"), Mapping) else {}
    if group == "overall":
        return _ci(card, "ci", "overall_ci") or _as_ci(block.get("overall"))
    entry = (card.get(group) or {}).get(key) if key else None
    return _ci(entry, "ci") or _as_ci((block.get(group) or {}).get(key))


def _cell(score: Any, ci: tuple[float, float] | None = None) -> dict[str, Any]:
    """A score as displayed: text, the exact value for data attributes, interval text and a heat hue."""
    ok = _is_num(score)
    value = float(score) if ok else None
    return {
        "present": ok,
        "text": _fmt(score),
        "value": "" if value is None else repr(value),
        # Bar length is |score|; a negative score (P.3 and what it pulls down) gets a bar of its own colour.
        "pct": 0.0 if value is None else min(100.0, abs(value)),
        "neg": value is not None and value < 0,
        # 0 → red (hue 5), 100 → green (hue 140): a quiet background cue, the number stays primary.
        "hue": 0 if value is None else round(5 + 1.35 * max(0.0, min(100.0, value))),
        "ci": None if ci is None else f"{ci[0]:.2f}–{ci[1]:.2f}",
        "ci_lo": "" if ci is None else repr(ci[0]),
        "ci_hi": "" if ci is None else repr(ci[1]),
    }


def _run_labels(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Model names, disambiguated by run directory when two runs share a model."""
    models = [str(r.get("model", "?")) for r in runs]
    return [
        m if models.count(m) == 1 else f"{m} ({r.get('run_dir', i)})"
        for i, (m, r) in enumerate(zip(models, runs, strict=True))
    ]


def _run_view(i: int, run: Mapping[str, Any], label: str) -> dict[str, Any]:
    card = run.get("scorecard") or {}
    partial = card.get("partial") or {}
    aspects = card.get("aspects") or {}
    subs = card.get("subaspects") or {}
    placement = run.get("published_placement")
    missing = list(card.get("missing_tasks") or [])
    # Missing tasks grouped by sub-aspect, so a note reads "Toxicity: S.2, S.3" rather than a bare list.
    missing_by_sub = [
        {"name": s.name, "tasks": list((subs.get(s.key) or {}).get("missing_tasks") or [])}
        for s in SUBASPECTS
        if (subs.get(s.key) or {}).get("missing_tasks")
    ]
    task_notes = [
        {"task": tid, "name": (t or {}).get("name", ""), "notes": notes}
        for tid, t in _ordered_tasks(run.get("tasks") or {})
        if (notes := [*_task_note_lines(t, (run.get("task_states") or {}).get(tid)), *_calib(t)])
    ]
    calls = run.get("calls") or {}
    causes = [
        {
            "kind": {"model": "model call", "judge": "judge call", "build": "sample"}.get(str(c.get("kind")), "call"),
            "cause": str(c.get("cause", "")),
            "count": int(c.get("count") or 0),
            "example": str(c.get("example", "")),
            "tasks": ", ".join(str(t) for t in c.get("tasks") or []),
        }
        for c in run.get("failure_causes") or []
        if isinstance(c, Mapping)
    ]
    judges = [
        {"spec": str(spec), **{k: int((c or {}).get(k) or 0) for k in ("calls", "retries", "failed")}}
        for spec, c in (run.get("judges") or {}).items()
    ]
    counts = run.get("state_counts") or {}
    handling = run.get("image_handling") if isinstance(run.get("image_handling"), Mapping) else {}
    return {
        "images_sent": [{"how": str(how), "n": int(n or 0)} for how, n in (handling.get("images") or {}).items() if n],
        "max_image_side": handling.get("max_image_side"),
        "index": i,
        "label": label,
        "color": _PALETTE[i % len(_PALETTE)],
        "model": str(run.get("model", "?")),
        "run_dir": str(run.get("run_dir", "")),
        "fidelity": str(run.get("fidelity", "")),
        "seed": run.get("seed", ""),
        "calls": {k: calls.get(k, 0) for k in ("made", "reused", "errors")},
        "complete": bool(card.get("complete")),
        "overall": _cell(card.get("overall"), _aggregate_ci(run, "overall")),
        "partial": {
            "cell": _cell(partial.get("overall"), _ci(partial, "ci")),
            "coverage_pct": f"{100 * float(partial.get('coverage') or 0):.0f}",
            "present": partial.get("tasks_present", len(TASKS) - len(missing)),
            "total": partial.get("tasks_total", len(TASKS)),
            "note": str(partial.get("note", "")),
        },
        "aspects": {a: _cell((aspects.get(a) or {}).get("score"), _aggregate_ci(run, "aspects", a)) for a in ASPECTS},
        "subaspects": {
            s.key: _cell((subs.get(s.key) or {}).get("score"), _aggregate_ci(run, "subaspects", s.key))
            for s in SUBASPECTS
        },
        "missing_tasks": missing,
        "missing_by_sub": missing_by_sub,
        "task_notes": task_notes,
        "causes": causes,
        "judges": judges,
        "state_counts": [
            {"state": st, "words": _STATE_WORDS[st], "n": int(counts.get(st) or 0)}
            for st in _STATE_WORDS
            if counts.get(st)
        ],
        "placement": _placement_view(placement) if isinstance(placement, Mapping) else None,
    }


_STATE_WORDS = {
    "scored": "scored",
    "excluded": "excluded from the aggregates",
    "not_scored": "run but not scored",
    "no_data": "without data",
    "not_requested": "not requested",
}


def _task_note_lines(task: Any, state: Any) -> list[str]:
    """The notes of a task: its state with the reason and the failure cause behind it (from the one task-state
    decision), then the scorer's own notes that the state does not already say."""
    task = task if isinstance(task, Mapping) else {}
    state = state if isinstance(state, Mapping) else {}
    lines: list[str] = []
    reason, detail = state.get("reason"), state.get("detail")
    why = f"{reason}: {detail}" if reason and detail else (reason or detail or "")
    if state.get("state") == "not_scored":
        lines.append(f"run, not scored: {why}")
    elif state.get("state") == "excluded":
        lines.append(f"excluded from the aggregates: {why}")
    elif task.get("excluded") and not state:
        lines.append(str(task["excluded"]))
    for note in task.get("notes") or []:
        if state.get("state") == "not_scored" and str(note).startswith("not scored:"):
            continue  # said above, with the reason
        lines.append(str(note))
    return lines


def _placement_view(p: Mapping[str, Any]) -> dict[str, Any]:
    def entry(e: Any) -> dict[str, str] | None:
        if not isinstance(e, Mapping):
            return None
        return {"model": str(e.get("model", "")), "overall": _fmt(e.get("overall")), "rank": str(e.get("rank", ""))}

    return {
        "rank": str(p.get("rank", "")),
        "total": str(p.get("total", "")),
        "overall": _fmt(p.get("overall")),
        "above": entry(p.get("above")),
        "below": entry(p.get("below")),
        "caveat": str(p.get("caveat", "")),
        "source": str(p.get("source", "")),
    }


def _ordered_tasks(tasks: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return sorted(tasks.items(), key=lambda kv: (_TASK_ORDER.get(kv[0], len(_TASK_ORDER)), kv[0]))


def _task_rows(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """All 32 tasks in taxonomy order (plus any unknown ids), one cell per run; absent tasks say so."""
    ids = [t.id for t in TASKS]
    extra = sorted({tid for r in runs for tid in (r.get("tasks") or {}) if tid not in TASK_BY_ID})
    rows = []
    for tid in ids + extra:
        info = TASK_BY_ID.get(tid)
        cells = []
        variants = []
        for i, r in enumerate(runs):
            t = (r.get("tasks") or {}).get(tid)
            st = (r.get("task_states") or {}).get(tid) or {}
            if not isinstance(t, Mapping):
                no_data = (r.get("no_data") or {}).get(tid)
                state = str(st.get("state") or ("no_data" if no_data else "not_requested"))
                words = {"no_data": "no data", "not_requested": "not requested"}.get(state, state.replace("_", " "))
                reason = st.get("reason") or no_data or ""
                cells.append(
                    {"run": i, "ran": False, "state": state, "words": words, "reason": reason, "no_data": no_data}
                )
                continue
            cell = _cell(t.get("score"), _ci(t, "ci"))
            cell.update(run=i, ran=True, n_samples=t.get("n_samples", ""), n_errors=t.get("n_errors", 0) or 0)
            cell.update(state=str(st.get("state") or t.get("state") or "scored"), reason=str(st.get("reason") or ""))
            cell["unscored"] = t.get("unscored", 0) or 0
            cells.append(cell)
            for vname, v in (t.get("variants") or {}).items():
                v = v or {}
                metrics = ", ".join(f"{k} {_fmt_metric(m)}" for k, m in (v.get("metrics") or {}).items())
                variants.append(
                    {
                        "run": i,
                        "variant": str(vname),
                        "metrics": metrics or "—",
                        "n": f"{v.get('n_scored', '?')}/{v.get('n_samples', '?')}",
                        "errors": v.get("n_errors", 0) or 0,
                        "unscored": v.get("n_unscored", 0) or 0,
                    }
                )
        rows.append(
            {
                "id": tid,
                "name": info.name
                if info
                else str(next((r["tasks"][tid].get("name") for r in runs if tid in (r.get("tasks") or {})), "")),
                "sub": next((s.code for s in SUBASPECTS if info and s.key == info.subaspect), ""),
                "subaspect": info.subaspect if info else "",
                "aspect": info.aspect if info else "",
                "cells": cells,
                "variants": variants,
                "ran_any": any(c["ran"] for c in cells),
            }
        )
    return rows


def _fmt_metric(x: Any) -> str:
    """Variant metrics are fractions or counts of varying scale; 3 significant decimals read best."""
    if not _is_num(x):
        return "—"
    return f"{float(x):.3f}".rstrip("0").rstrip(".") if float(x) != int(float(x)) else str(int(float(x)))


def _provenance_cell(prov: Any) -> dict[str, Any] | None:
    """Normalise a task's provenance into evaluators plus the backends actually seen on its verdicts.

    Two shapes are accepted: the scorer's dict ``{"evaluators": [...], "paper", "observed_backends":
    {backend: count}, "fidelity"}`` and a bare list of ``{"evaluator", "backend", "paper"}``.
    """
    if isinstance(prov, Mapping):
        evaluators = prov.get("evaluators")
        observed = prov.get("observed_backends")
    elif isinstance(prov, list):
        evaluators, observed = prov, None
    else:
        return None
    entries = [
        {
            "evaluator": str(e.get("evaluator", "")),
            "backend": str(e.get("backend", "")),
            "paper": bool(e.get("paper")),
            "paper_backend": "" if e.get("paper") or not e.get("paper_backend") else str(e.get("paper_backend")),
        }
        for e in (evaluators if isinstance(evaluators, list) else [])
        if isinstance(e, Mapping)
    ]
    seen = (
        [{"backend": str(k), "count": v} for k, v in observed.items() if _is_num(v)]
        if isinstance(observed, Mapping)
        else []
    )
    if not entries and not seen:
        return None
    # Verdict backends are worth a line only when they differ from the configured ones (e.g. a judge
    # outage that sent some verdicts to a fallback); otherwise they repeat the evaluator line.
    configured = {e["backend"] for e in entries}
    if {b["backend"] for b in seen} <= configured:
        seen = []
    return {"entries": entries, "seen": seen}


def _provenance_rows(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per task, per run, the evaluators and backends that judged it; one merged cell when all runs agree."""
    rows = []
    for tid, _ in _ordered_tasks({tid: None for r in runs for tid in (r.get("tasks") or {})}):
        cells = [_provenance_cell(((r.get("tasks") or {}).get(tid) or {}).get("provenance")) for r in runs]
        if any(cells):
            # Merge across runs when they were judged the same way; verdict counts naturally differ.
            keys = [None if c is None else (c["entries"], [b["backend"] for b in c["seen"]]) for c in cells]
            same = len(runs) > 1 and all(k == keys[0] for k in keys)
            rows.append(
                {"id": tid, "name": TASK_BY_ID[tid].name if tid in TASK_BY_ID else "", "cells": cells, "same": same}
            )
    return rows


def _flip_tables(runs: Sequence[Mapping[str, Any]], labels: Sequence[str]) -> list[dict[str, Any]]:
    tables = []
    for i, r in enumerate(runs):
        for tid, t in _ordered_tasks(r.get("tasks") or {}):
            flips = (t or {}).get("flips")
            if not isinstance(flips, Mapping):
                continue
            for pair, counts in flips.items():
                if not isinstance(counts, Mapping):
                    continue
                a, _, b = str(pair).partition(" vs ")
                c = {k: int(counts.get(k) or 0) for k in ("a_only", "b_only", "both", "neither")}
                total = sum(c.values())
                tables.append(
                    {
                        "run": labels[i],
                        "color": _PALETTE[i % len(_PALETTE)],
                        "task": tid,
                        "name": TASK_BY_ID[tid].name if tid in TASK_BY_ID else "",
                        "a": a or "a",
                        "b": b or "b",
                        **c,
                        "total": total,
                        # Share of pairs whose outcome changes between the two variants.
                        "flip_pct": "—" if not total else f"{100 * (c['a_only'] + c['b_only']) / total:.1f}%",
                    }
                )
    return tables


def _rank_swaps(report: Mapping[str, Any]) -> list[dict[str, str]]:
    swaps = report.get("rank_swaps")
    if not isinstance(swaps, list):
        return []
    out = []
    for s in swaps:
        if isinstance(s, Mapping) and _is_num(s.get("fraction")):
            frac = float(s["fraction"])
            out.append({"a": str(s.get("a", "")), "b": str(s.get("b", "")), "pct": f"{100 * frac:.1f}%", "frac": frac})
    return sorted(out, key=lambda s: -s["frac"])


def _radar(run_views: Sequence[Mapping[str, Any]], width: int = 640, height: int = 540) -> dict[str, Any]:
    """Geometry of the sub-aspect radar: rings, axes, labels, and per run the drawable segments.

    A run's outline is drawn only between neighbouring axes that both have a score, so a missing
    sub-aspect leaves a visible gap (and a hollow marker on its axis) instead of a polygon that quietly
    skips it. Only a complete run gets a filled polygon.
    """
    n = len(SUBASPECTS)
    cx, cy = width / 2, height / 2 + 6
    radius = height / 2 - 72  # room for the three-line axis labels above and below
    # The centre is 0 unless a score is negative (privacy awareness with a negative P.3): then the axes
    # start at the next multiple of 20 below the lowest score, and the 0 ring is drawn as such.
    lowest = min(
        (float(v["value"]) for rv in run_views for v in rv["subaspects"].values() if v["present"]), default=0.0
    )
    floor = min(0.0, 20.0 * math.floor(lowest / 20.0))

    def pt(k: float, value: float) -> tuple[float, float]:
        ang = -math.pi / 2 + 2 * math.pi * k / n
        r = radius * (max(floor, value) - floor) / (100.0 - floor)
        return round(cx + r * math.cos(ang), 2), round(cy + r * math.sin(ang), 2)

    # Ring labels sit between the first two axes, where no axis label or data point competes with them.
    rings = [
        {
            "level": lvl,
            "points": " ".join(f"{x},{y}" for x, y in (pt(k, lvl) for k in range(n))),
            "lx": pt(0.5, lvl)[0],
            "ly": pt(0.5, lvl)[1],
            "zero": lvl == 0,
        }
        for lvl in range(int(floor) + 20, 101, 20)
    ]
    axes = []
    for k, s in enumerate(SUBASPECTS):
        x2, y2 = pt(k, 100)
        lx, ly = pt(k, 100 + 18 * (100 - floor) / radius)
        cos = math.cos(-math.pi / 2 + 2 * math.pi * k / n)
        anchor = "middle" if abs(cos) < 0.2 else ("start" if cos > 0 else "end")
        missing_for = [rv["label"] for rv in run_views if not rv["subaspects"][s.key]["present"]]
        axes.append(
            {
                "key": s.key,
                "code": s.code,
                "name": s.name,
                "aspect": s.aspect.capitalize(),
                "x2": x2,
                "y2": y2,
                "lx": lx,
                # Three lines (code, name, aspect): centre them vertically on the label point.
                "ly": round(ly - 12 + 12 * math.sin(-math.pi / 2 + 2 * math.pi * k / n), 2),
                "anchor": anchor,
                "missing_for": missing_for,
            }
        )
    series = []
    for rv in run_views:
        vals = [rv["subaspects"][s.key] for s in SUBASPECTS]
        pts = [pt(k, min(100.0, float(v["value"]))) if v["present"] else None for k, v in enumerate(vals)]
        segments = []
        for k in range(n):
            p, q = pts[k], pts[(k + 1) % n]
            if p is not None and q is not None:
                segments.append({"x1": p[0], "y1": p[1], "x2": q[0], "y2": q[1]})
        series.append(
            {
                "label": rv["label"],
                "color": rv["color"],
                "index": rv["index"],
                "polygon": " ".join(f"{p[0]},{p[1]}" for p in pts) if all(p is not None for p in pts) else None,
                "segments": segments,
                "dots": [
                    {"x": p[0], "y": p[1], "key": SUBASPECTS[k].key, "text": vals[k]["text"]}
                    for k, p in enumerate(pts)
                    if p is not None
                ],
                "missing": [
                    {"x": pt(k, 100)[0], "y": pt(k, 100)[1], "code": SUBASPECTS[k].code, "name": SUBASPECTS[k].name}
                    for k, p in enumerate(pts)
                    if p is None
                ],
            }
        )
    return {
        "width": width,
        "height": height,
        "cx": cx,
        "cy": cy,
        "floor": floor,
        "rings": rings,
        "axes": axes,
        "series": series,
    }


# --------------------------------------------------------------------------------------------------
# Samples


def sample_quota(counts: Mapping[str, int], max_per_run: int | None) -> dict[str, int]:
    """How many samples of each task (``counts``: task → samples of one run) the browser keeps: all of them up
    to the cap, past it a round-robin over tasks in taxonomy order, so every task stays visible. A caller that
    knows the counts can read just the first ``quota[task]`` samples of each task (the API does)."""
    total = sum(counts.values())
    if max_per_run is None or total <= max_per_run:
        return dict(counts)
    quota = dict.fromkeys(counts, 0)
    ordered = sorted(counts, key=lambda t: (_TASK_ORDER.get(t, 999), t))
    left = max_per_run
    while left > 0:
        for t in ordered:
            if quota[t] < counts[t] and left > 0:
                quota[t] += 1
                left -= 1
    return quota


def _select_samples(
    samples: Iterable[Mapping[str, Any]], max_per_run: int | None, totals: Mapping[str, int] | None = None
) -> tuple[dict[str, list[Mapping[str, Any]]], dict[str, int]]:
    """Group samples by run and keep each task's first :func:`sample_quota` samples. ``totals`` (run → its
    number of samples) says how many a run has when ``samples`` is already the kept part of it."""
    by_run_task: dict[str, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    seen: dict[str, int] = defaultdict(int)
    for s in samples:
        if not isinstance(s, Mapping):
            continue
        run = str(s.get("run", ""))
        by_run_task[run][str(s.get("task", ""))].append(s)
        seen[run] += 1
    kept: dict[str, list[Mapping[str, Any]]] = {}
    for run, tasks in by_run_task.items():
        quota = sample_quota({t: len(group) for t, group in tasks.items()}, max_per_run)
        ordered = sorted(tasks, key=lambda t: (_TASK_ORDER.get(t, 999), t))
        kept[run] = [s for t in ordered for s in tasks[t][: quota[t]]]
    return kept, {run: max(n, (totals or {}).get(run, 0)) for run, n in seen.items()}


def _clip(text: Any, limit: int) -> str | None:
    if text is None:
        return None
    s = text if isinstance(text, str) else json.dumps(finite(text), ensure_ascii=False)
    if len(s) > limit:
        return s[:limit] + f"… [{len(s) - limit:,} more characters not shown]"
    return s


def _legacy_verdict(value: Any) -> str | None:
    """A verdict value of an export without words: say it plainly rather than as JSON."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return "; ".join(f"{k} {v}" for k, v in value.items()) or None
    return f"value {value}"


def _sample_payload(
    samples: Iterable[Mapping[str, Any]] | None,
    runs: Sequence[Mapping[str, Any]],
    labels: list[str],
    *,
    max_per_run: int | None,
    max_text_chars: int,
    redact: bool,
    image_root: Path | None,
    thumb_px: int,
    sample_totals: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Everything the sample browser needs as one JSON object; images are deduplicated across runs."""
    if samples is None:
        return {"runs": [], "samples": [], "thumbs": [], "caps": [], "total": 0}
    kept, totals = _select_samples(samples, max_per_run, sample_totals)
    # Samples name their run by run_dir (the API's choice); fall back to the model name, then to a new entry.
    run_index: dict[str, int] = {}
    for i, r in enumerate(runs):
        run_index.setdefault(str(r.get("run_dir", "")), i)
    for i, r in enumerate(runs):
        run_index.setdefault(str(r.get("model", "")), i)
    run_names = list(labels)
    thumbs: list[str | None] = []
    thumb_ids: dict[str, int] = {}
    out = []
    caps = []
    for run, items in kept.items():
        if run not in run_index:
            run_index[run] = len(run_names)
            run_names.append(run or "(unnamed run)")
        ri = run_index[run]
        if len(items) < totals[run]:
            caps.append({"run": run_names[ri], "shown": len(items), "total": totals[run]})
        for s in items:
            task = str(s.get("task", ""))
            private = redact and task.startswith("P.")
            imgs = []
            for p in s.get("images") or []:
                key = str(p)
                if key not in thumb_ids:
                    path = Path(key)
                    if image_root is not None and not path.is_absolute():
                        path = image_root / path
                    thumb_ids[key] = len(thumbs)
                    thumbs.append(thumbnail_data_url(path, thumb_px))
                imgs.append({"thumb": thumb_ids[key], "name": Path(key).name})

            known = [p for p in s.get("pii") or [] if isinstance(p, (list, tuple)) and len(p) == 2]

            def text(
                field: str, *, _s: Mapping[str, Any] = s, _private: bool = private, _known: list[Any] = known
            ) -> str | None:
                value = _clip(_s.get(field), max_text_chars)
                return redact_pii(value, _known) if (_private and value is not None) else value

            outcome = str(s.get("outcome") or "")
            badge = str(s.get("badge") or _LEGACY_BADGES.get(outcome, outcome or "counted"))
            outcome = _LEGACY_OUTCOMES.get(outcome, outcome)
            out.append(
                {
                    "run": ri,
                    "task": task,
                    "variant": str(s.get("variant") or ""),
                    "id": str(s.get("sample_id") or ""),
                    "subset": None if s.get("subset") is None else str(s.get("subset")),
                    "prompt": text("prompt"),
                    "images": imgs,
                    "target": text("target"),
                    "response": text("response"),
                    "generation_error": text("generation_error"),
                    "verdict": text("verdict_text") or _legacy_verdict(s.get("verdict")),
                    "verdict_raw": text("verdict_raw"),
                    "backend": None if s.get("backend") is None else str(s.get("backend")),
                    "judge_error": text("judge_error"),
                    "outcome": outcome if outcome in _OUTCOMES else "neutral",
                    "badge": badge,
                    # the page's redact switch masks these too; a file redacted at export carries none
                    "pii": [] if redact or not task.startswith("P.") else [[str(a), str(b)] for a, b in known],
                }
            )
    return {"runs": run_names, "samples": out, "thumbs": thumbs, "caps": caps, "total": sum(totals.values())}


# --------------------------------------------------------------------------------------------------
# Rendering


@lru_cache(maxsize=4)
def _env(cache_dir: str | None = None) -> jinja2.Environment:
    """The template environment; with ``cache_dir`` (the user's own cache directory) compiled templates are
    kept there, so a command that writes a report does not compile the page template again (jinja2 keys each
    cached template by the checksum of its source, so an edited template is compiled anew)."""
    cache = None
    if cache_dir is not None:
        try:
            Path(cache_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
            cache = jinja2.FileSystemBytecodeCache(cache_dir)
        except OSError:  # an unwritable cache only costs the compile
            cache = None
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=cache,
    )
    return env


@lru_cache(maxsize=1)
def _script() -> tuple[Markup, str]:
    """The page script and its CSP hash. It is static code from the package, never data, hence Markup."""
    js = (_TEMPLATES / "report.js").read_text(encoding="utf-8")
    if "</script" in js.lower():  # would end the element early
        raise ValueError("report.js must not contain '</script'")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return Markup(js), f"'sha256-{digest}'"


def render_html(
    report: Mapping[str, Any],
    samples: Iterable[Mapping[str, Any]] | None = None,
    *,
    title: str = DEFAULT_TITLE,
    max_samples_per_run: int | None = DEFAULT_MAX_SAMPLES_PER_RUN,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    redact: bool = False,
    image_root: str | Path | None = None,
    thumb_px: int = THUMB_PX,
    sample_totals: Mapping[str, int] | None = None,
    template_cache: str | Path | None = None,
) -> str:
    """Render a ``multitrust.report/1`` dict (and optionally per-sample dicts) as one self-contained HTML page.

    ``samples`` are the API's per-sample dicts (see ``docs/report-schema.md``); at most
    ``max_samples_per_run`` per run are embedded (None = all), and the page says how many were left
    out. ``redact=True`` masks PII in the texts of privacy tasks before they are written, so the file
    itself holds none; otherwise the page's redact switch masks on display only. Relative image paths
    are resolved against ``image_root`` (default: the working directory). ``sample_totals`` (run → number of
    samples) lets a caller pass only the samples :func:`sample_quota` keeps and still have the page say how
    many there are. ``template_cache`` is a directory where the compiled page template is kept between
    processes.
    """
    runs = [r for r in report.get("runs") or [] if isinstance(r, Mapping)]
    labels = _run_labels(runs)
    run_views = [_run_view(i, r, labels[i]) for i, r in enumerate(runs)]
    payload = _sample_payload(
        samples,
        runs,
        labels,
        max_per_run=max_samples_per_run,
        max_text_chars=max_text_chars,
        redact=redact,
        image_root=None if image_root is None else Path(image_root),
        thumb_px=thumb_px,
        sample_totals=sample_totals,
    )
    config = {
        "pii": [list(p) for p in PII_PATTERNS],
        "redacted": redact,
        "page_size": 20,
        "colors": [_PALETTE[i % len(_PALETTE)] for i in range(len(payload["runs"]))],
    }
    script, script_hash = _script()
    task_rows = _task_rows(runs)
    bootstrap = report.get("bootstrap") if isinstance(report.get("bootstrap"), Mapping) else {}
    if not bootstrap:
        # run_report records level and B with each run's aggregate intervals.
        bootstrap = next((r["scorecard_ci"] for r in runs if isinstance(r.get("scorecard_ci"), Mapping)), {})
    level = bootstrap.get("level") if _is_num(bootstrap.get("level")) else 0.95
    return (
        _env(None if template_cache is None else str(template_cache))
        .get_template("report.html.j2")
        .render(
            title=title,
            generated_by=str(report.get("generated_by", "")),
            schema=str(report.get("schema", "")),
            runs=run_views,
            aspects=[
                {"key": a, "name": a.capitalize(), "subs": [s for s in SUBASPECTS if s.aspect == a]} for a in ASPECTS
            ],
            tasks=task_rows,
            provenance=_provenance_rows(runs),
            flips=_flip_tables(runs, labels),
            rank_swaps=_rank_swaps(report),
            rank_swaps_basis=str(report.get("rank_swaps_basis") or "bootstrap replicates"),
            radar=_radar(run_views),
            ci_caption=f"{100 * float(level):.0f}% bootstrap interval"
            + (f", B = {bootstrap['B']}" if _is_num(bootstrap.get("B")) else ""),
            has_ci=any(
                c["ci"]
                for rv in run_views
                for c in [rv["overall"], *rv["aspects"].values(), *rv["subaspects"].values()]
            )
            or any(c.get("ci") for row in task_rows for c in row["cells"] if c["ran"]),
            samples=payload,
            sample_count=len(payload["samples"]),
            max_samples_per_run=max_samples_per_run,
            redacted=redact,
            samples_json=embed_json(payload),
            config_json=embed_json(config),
            script=script,
            script_hash=script_hash,
            outcomes=_OUTCOMES,
        )
    )


def write_html(
    report: Mapping[str, Any], path: str | Path, samples: Iterable[Mapping[str, Any]] | None = None, **kwargs: Any
) -> Path:
    """Render with :func:`render_html` and write the page to ``path`` (parents created); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, render_html(report, samples, **kwargs))  # atomic, the run's file mode (core.files)
    return out


def _calib(task: Any) -> list[str]:
    """The calibration of each judging role's judge for a task (from its provenance)."""
    prov = task.get("provenance") if isinstance(task, Mapping) else None
    calib = prov.get("calibration") if isinstance(prov, Mapping) else None
    if not isinstance(calib, Mapping):
        return []
    return [f"judge calibration, {role}: {text}" for role, text in calib.items()]
