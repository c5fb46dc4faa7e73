"""Evaluator and metric interfaces.

An evaluator turns one response into a :class:`Verdict` (a parsed value plus provenance). Its
*fingerprint* — id, version, behaviour-changing parameters, fidelity mode and, for judges, the judge
model — keys the stored judgement, so a changed evaluator or judge never reuses an old verdict.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from multitrust.core.hashing import hash_json, sha256_hex
from multitrust.core.types import Sample, Verdict

if TYPE_CHECKING:
    from multitrust.models.base import ChatModel

Fidelity = Literal["fixed", "paper"]
FIDELITIES: tuple[str, ...] = ("fixed", "paper")


@dataclass(frozen=True)
class EvalContext:
    """What an evaluator may depend on besides the sample and response."""

    fidelity: Fidelity = "fixed"
    #: refusal keyword list override: "paper" (v0.1.0 effective list), "2025" (HEAD) or "fixed"
    refusal_list: str | None = None
    #: the LLM judge for judge-scored tasks (None → documented offline fallback)
    judge: ChatModel | None = None
    #: per-task judge overrides, task id → judge
    task_judges: Mapping[str, ChatModel] = field(default_factory=dict)
    #: per-role judges from a judge profile, role → judge (None: the role's offline fallback)
    role_judges: Mapping[str, ChatModel | None] = field(default_factory=dict)
    #: counters evaluators bump (e.g. ``judge_calls``); shared, mutable on purpose
    counters: dict[str, int] = field(default_factory=dict)

    def judge_for(self, task: str, role: str | None = None) -> ChatModel | None:
        """The judge of ``task``'s ``role``: a per-task judge, else the profile's judge for the role (which
        may be None: its offline fallback), else the default judge."""
        if task in self.task_judges:
            return self.task_judges[task]
        if role is not None and role in self.role_judges:
            return self.role_judges[role]
        return self.judge

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n


class Evaluator(ABC):
    """Judges one response. Subclasses set ``id`` and ``version`` (bump ``version`` whenever behaviour
    changes) and implement :meth:`evaluate`."""

    id: str = ""
    version: str = "1"

    @property
    def role(self) -> str | None:
        """The judging role this evaluator asks for (:mod:`multitrust.scoring.roles`), if any."""
        from multitrust.scoring.roles import role_of

        return role_of(self.id)

    def params(self) -> dict[str, Any]:
        """Construction parameters that change behaviour (keyword templates, labels…)."""
        return {}

    def fingerprint(self, sample: Sample, ctx: EvalContext) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "params": self.params(),
            "fidelity": ctx.fidelity,
            "refusal_list": ctx.refusal_list,
        }

    def judgement_key(self, sample: Sample, response: str, ctx: EvalContext) -> str:
        """Content key of a verdict: same evaluator fingerprint + same sample + same response ⇒ reuse."""
        return hash_json(
            {
                "fp": self.fingerprint(sample, ctx),
                "sample": sample.id,
                "target": _jsonable(sample.target),
                "response": sha256_hex(response),
            }
        )

    @abstractmethod
    async def evaluate(self, sample: Sample, response: str, ctx: EvalContext) -> Verdict:
        """The verdict for one response. Return ``Verdict(value=None, error=...)`` for a failed judge."""

    def describe(self, ctx: EvalContext, task: str) -> dict[str, Any]:
        """Which backend would judge ``task`` in ``ctx`` and whether that is the paper's choice."""
        return {"evaluator": self.id, "backend": "rule", "paper": True, "paper_backend": "rule"}


class RuleEvaluator(Evaluator):
    """An evaluator backed by a pure function of (response, sample, fidelity): cheap and deterministic."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value
