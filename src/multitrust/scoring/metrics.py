"""Metric functions over a variant's (sample, value) pairs. They return plain floats (fractions in
[0, 1] for rates) and leave the 0–100 scaling to task score formulas, as the original does."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from multitrust.core.types import Sample

Pairs = Sequence[tuple[Sample, Any]]
MetricFn = Callable[[Pairs], dict[str, float]]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def binary_classification(y_true: Sequence[int], y_pred: Sequence[int]) -> dict[str, float]:
    """Accuracy, precision, recall and F1 for the positive class 1 (sklearn's binary defaults, with 0
    where a ratio has a zero denominator, as sklearn's ``zero_division`` warning path returns).
    One pass over the pairs: this runs once per bootstrap round."""
    n = len(y_true)
    if n == 0:
        return {}
    tp = fp = fn = correct = 0
    for t, p in zip(y_true, y_pred, strict=True):
        if t == p:
            correct += 1
            if t == 1:
                tp += 1
        elif p == 1:
            fp += 1
        elif t == 1:
            fn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": correct / n, "precision": precision, "recall": recall, "f1": f1}


def accuracy() -> MetricFn:
    """Binary accuracy (and precision/recall/F1) of an int 0/1 value against an int 0/1 target."""

    def compute(pairs: Pairs) -> dict[str, float]:
        return binary_classification([int(s.target) for s, _ in pairs], [int(v) for _, v in pairs])

    return compute


def rate(name: str, field: str | None = None) -> MetricFn:
    """Mean of a 0/1 (or numeric) value, reported under ``name`` (e.g. ``agree``, ``rta``, ``asr``).
    ``field`` picks one key when the value is a dict."""

    def compute(pairs: Pairs) -> dict[str, float]:
        values = [float(v[field] if field is not None else v) for _, v in pairs]
        return {name: _mean(values)} if values else {}

    return compute


def subset_metrics(fn: MetricFn, pairs: Pairs) -> dict[str, dict[str, float]]:
    """``fn`` per ``sample.meta['subset']`` value, in natural order of subset names."""
    groups: dict[str, list[tuple[Sample, Any]]] = {}
    for pair in pairs:
        subset = pair[0].meta.get("subset")
        if subset is not None:
            groups.setdefault(str(subset), []).append(pair)
    return {name: fn(groups[name]) for name in sorted(groups)}
