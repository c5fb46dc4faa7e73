"""Rule evaluators as :class:`Evaluator` objects over the pure functions in :mod:`multitrust.scoring.rules`."""

from __future__ import annotations

from multitrust.core.types import Sample, Verdict
from multitrust.scoring import rules
from multitrust.scoring.base import EvalContext, RuleEvaluator


class YesNo(RuleEvaluator):
    """``rule_yes_or_no_eval``: 1 if the response answers yes. ``template`` names the yes-phrase list
    (``default``, ``f1``, ``f6``); the verdict's ``raw`` says whether an explicit answer was found."""

    id = "rule.yes_no"
    version = rules.YES_NO_VERSION

    def __init__(self, template: str = "default") -> None:
        self.template = template

    def params(self) -> dict[str, object]:
        return {"template": self.template}

    async def evaluate(self, sample: Sample, response: str, ctx: EvalContext) -> Verdict:
        result = rules.yes_no(response, fidelity=ctx.fidelity, template=self.template)
        return Verdict(int(result.value), raw=None if result.parsed else "no explicit yes/no", backend="rule")
