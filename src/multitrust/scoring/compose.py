"""Combinators: several evaluators over the same response (S.2's toxicity + moderation + refusal;
S.4's HarmBench + refusal; F.4's refusal keywords + action classifier)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from multitrust.core.types import Sample, Verdict
from multitrust.scoring.base import EvalContext, Evaluator


class AllOf(Evaluator):
    """Runs every named evaluator; the value is ``{name: value}``. If any part fails the verdict is an
    error, and if any part's judge reply was not a verdict the whole verdict is unscored (never
    half-scored); ``backend`` lists each part's backend."""

    def __init__(self, parts: Mapping[str, Evaluator], *, id: str = "all_of") -> None:
        self.parts = dict(parts)
        self.id = id
        self.version = "1"

    def fingerprint(self, sample: Sample, ctx: EvalContext) -> dict[str, Any]:
        return {"id": self.id, "parts": {k: e.fingerprint(sample, ctx) for k, e in sorted(self.parts.items())}}

    async def evaluate(self, sample: Sample, response: str, ctx: EvalContext) -> Verdict:
        names = list(self.parts)
        results = await asyncio.gather(*(self.parts[n].evaluate(sample, response, ctx) for n in names))
        value = {n: v.value for n, v in zip(names, results, strict=True)}
        errors = [f"{n}: {v.error}" for n, v in zip(names, results, strict=True) if v.error]
        raws = {n: v.raw for n, v in zip(names, results, strict=True) if v.raw}
        unscored = [f"{n}: {v.unscored}" for n, v in zip(names, results, strict=True) if v.unscored]
        backend = "|".join(f"{n}={v.backend}" for n, v in zip(names, results, strict=True))
        return Verdict(
            None if errors or unscored else value,
            raw=None if not raws else "; ".join(f"{k}: {r}" for k, r in raws.items()),
            backend=backend,
            error="; ".join(errors) or None,
            unscored=None if errors else "; ".join(unscored) or None,
        )

    def describe(self, ctx: EvalContext, task: str) -> dict[str, Any]:
        parts = {n: e.describe(ctx, task) for n, e in self.parts.items()}
        return {
            "evaluator": self.id,
            "backend": "|".join(f"{n}={p['backend']}" for n, p in parts.items()),
            "paper": all(p["paper"] for p in parts.values()),
            "paper_backend": "|".join(f"{n}={p['paper_backend']}" for n, p in parts.items()),
            "parts": parts,
        }
