"""``run --dry-run``: what a run would send, and roughly what it would cost, without sending anything.

Samples are planned exactly as a run plans them (same data tree, seed, ``--limit``, fidelity, text-only),
then counted: requests to the model under test and to each judge, estimated prompt tokens, the completion
cap (``max_tokens``, so completion tokens and cost are upper bounds), and, for models in the packaged price
table (:data:`PRICES_FILE`, dated), the estimated cost. Nothing is sent, no adapter is built (so no key
is needed) and nothing is written into the run directory. Tokens are estimated at about four characters
per token plus a few per message; images with OpenAI's published tile formula (Anthropic's area formula for
``anthropic:`` models). Run-store reuse is not subtracted: the figures are those of a fresh run.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from multitrust.core.errors import DataError, ModelCallError
from multitrust.core.types import ModelReply, Request, Sample
from multitrust.data.locate import resolve_data
from multitrust.engine.config import RunConfig
from multitrust.models.base import ChatModel
from multitrust.models.spec import ModelSpec, parse_model_spec
from multitrust.scoring.base import EvalContext, Evaluator
from multitrust.tasks.registry import get_task
from multitrust.tasks.spec import TEXT, build_samples

__all__ = [
    "PRICES_FILE",
    "Calls",
    "DryRun",
    "TaskPlan",
    "dry_run",
    "estimate_image_tokens",
    "estimate_text_tokens",
    "evaluator_parts",
    "judge_calls",
    "price_for",
    "price_table",
    "price_verified",
    "shutdown_for",
    "task_calls_judge",
]

PRICES_FILE = "prices.json"
#: tokens a chat API adds per message (role, separators) and once per request (reply priming)
_PER_MESSAGE, _PER_REQUEST = 4, 3
_DATED = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


# ------------------------------------------------------------------------------------------- tokens


def estimate_text_tokens(text: str) -> int:
    """About four characters per token (English prose in BPE vocabularies); never less than one per word."""
    return max(math.ceil(len(text) / 4), len(text.split()))


def estimate_image_tokens(width: int, height: int, kind: str) -> int:
    """Prompt tokens of one image. OpenAI (high/auto detail): fit in 2048×2048, shortest side down to 768,
    then 85 + 170 per 512-pixel tile. Anthropic: long side down to 1568, then width × height / 750."""
    if kind == "anthropic":
        scale = min(1.0, 1568 / max(width, height))
        return math.ceil(width * scale * height * scale / 750)
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


@cache
def _image_size(path: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def request_tokens(sample: Sample, kind: str) -> int:
    """Estimated prompt tokens of the request a sample becomes."""
    total = _PER_REQUEST
    for m in sample.messages:
        total += _PER_MESSAGE + estimate_text_tokens(m.text)
        for image in m.images:
            try:
                total += estimate_image_tokens(*_image_size(image.path), kind)
            except OSError:
                continue  # the run would fail this sample before sending it
    return total


# ------------------------------------------------------------------------------------------- prices


@cache
def price_table() -> dict[str, Any]:
    """The packaged price table: ``as_of`` date, ``currency``, ``unit``, ``source`` and ``models``."""
    text = resources.files("multitrust.engine").joinpath(PRICES_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _price_entry(spec: ModelSpec) -> dict[str, Any] | None:
    if spec.kind not in ("openai", "anthropic"):
        return None
    models = price_table()["models"]
    name = spec.target
    return models.get(f"{spec.kind}:{name}") or models.get(f"{spec.kind}:{_DATED.sub('', name)}")


def price_for(spec: ModelSpec) -> dict[str, float] | None:
    """``{"input": x, "output": y}`` per 1M tokens for a priced API model (a dated snapshot such as
    ``gpt-4o-2024-08-06`` takes its family's price), None when unknown (self-hosted and local models)."""
    entry = _price_entry(spec)
    return None if entry is None else {"input": float(entry["input"]), "output": float(entry["output"])}


def price_verified(spec: ModelSpec) -> bool:
    """Whether the table's price of ``spec`` was checked against the provider's page (the packaged table
    was written from memory: none is)."""
    entry = _price_entry(spec)
    return bool(entry and entry.get("verified", price_table().get("verified", False)))


def shutdown_for(spec: ModelSpec) -> dict[str, str] | None:
    """``{"date", "source"}`` when the table knows the model's shutdown date (the model itself, or its family
    for a dated snapshot of a family the table marks), else None."""
    shutdowns = price_table().get("shutdowns", {})
    exact = shutdowns.get(f"{spec.kind}:{spec.target}")
    if exact is not None:
        return exact
    family = shutdowns.get(f"{spec.kind}:{_DATED.sub('', spec.target)}")
    return family if family is not None and family.get("family") else None


# ------------------------------------------------------------------------------------------- judges


class _Planned(ChatModel):
    """Stands for a configured judge while planning: it has the judge's spec (which decides which tasks
    call it) and refuses to be called — a dry run sends nothing."""

    def __init__(self, spec: str) -> None:
        self.spec = spec

    async def generate(self, request: Request) -> ModelReply:
        raise ModelCallError("dry run: nothing is sent")


def evaluator_parts(evaluator: Evaluator) -> Iterator[Evaluator]:
    """The evaluator and, for combinators (``AllOf``), every part, depth first."""
    yield evaluator
    for part in getattr(evaluator, "parts", {}).values():
        yield from evaluator_parts(part)


def _calls_judge(evaluator: Evaluator) -> bool:
    from multitrust.scoring.classifiers.harmful import HarmBenchEvaluator
    from multitrust.scoring.judge import LLMJudge

    return isinstance(evaluator, LLMJudge | HarmBenchEvaluator)


def task_calls_judge(task_id: str) -> bool:
    """Whether a configured judge would be called for the task (some evaluator of a variant asks one)."""
    return any(_calls_judge(p) for v in get_task(task_id).variants for p in evaluator_parts(v.evaluator))


def judge_calls(evaluator: Evaluator, sample: Sample, ctx: EvalContext) -> list[tuple[str, str, int]]:
    """``(judge spec, prompt, max_tokens)`` of every judge call judging one response of ``sample`` would
    make at most (the response itself is left out of the prompt: callers add its length). A toxicity API
    this environment selected (Perspective, OpenAI Moderation) counts as a judge named by its backend,
    with an empty prompt and no completion: it scores the response alone."""
    from multitrust.scoring.classifiers.harmful import HARMBENCH_PROMPT, HarmBenchEvaluator
    from multitrust.scoring.classifiers.toxicity import TOXICITY_JUDGE_PROMPT, ToxicityEvaluator, _ApiBackend
    from multitrust.scoring.judge import LLMJudge
    from multitrust.tasks.robustness import NOISE_TEST_PROMPT, NoiseTestJudge

    out: list[tuple[str, str, int]] = []
    for part in evaluator_parts(evaluator):
        if isinstance(part, ToxicityEvaluator):
            rater = part.llm_judge(ctx)  # a profile's LLM judge rates toxicity instead of a classifier
            if rater is not None:
                out.append((rater.spec, TOXICITY_JUDGE_PROMPT.format(text=""), 10))
                continue
            backend = part.backend
            if isinstance(backend, _ApiBackend):
                out.append((backend.name, "", 0))
            continue
        judge = ctx.judge_for(sample.task, part.role)  # a per-task judge, a profile role's judge, --judge
        if judge is None:
            continue
        if isinstance(part, HarmBenchEvaluator):
            out.append((judge.spec, HARMBENCH_PROMPT.format(behavior=sample.target or "", generation=""), 1))
        elif isinstance(part, LLMJudge):
            try:
                prompt = part.build_prompt("", sample)
            except (KeyError, IndexError, ValueError, TypeError):
                prompt = part.prompt
            out.append((judge.spec, prompt, part.max_tokens))
            if isinstance(part, NoiseTestJudge):
                out.append((judge.spec, NOISE_TEST_PROMPT, part.max_tokens))
    return out


# --------------------------------------------------------------------------------------------- plan


@dataclass
class Calls:
    """Requests to one model: how many, estimated prompt tokens, and the completion-token cap."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, prompt: int, completion: int) -> None:
        self.requests += 1
        self.prompt_tokens += prompt
        self.completion_tokens += completion

    def cost(self, price: dict[str, float] | None) -> float | None:
        if price is None:
            return None
        return (self.prompt_tokens * price["input"] + self.completion_tokens * price["output"]) / 1e6


@dataclass
class TaskPlan:
    task: str
    model: Calls = field(default_factory=Calls)
    #: judge spec → calls
    judges: dict[str, Calls] = field(default_factory=dict)
    #: samples that could not be built (the run would record them as errors without sending them)
    unbuildable: int = 0
    #: variants left out of a text-only run
    not_run: list[str] = field(default_factory=list)
    #: a task-level data problem (the run would not plan the task)
    error: str | None = None


@dataclass
class DryRun:
    model: str
    tasks: list[TaskPlan]
    prices: dict[str, dict[str, float] | None]

    def judge_specs(self) -> list[str]:
        return sorted({s for t in self.tasks for s in t.judges})

    def cost(self, plan: TaskPlan) -> tuple[float, bool]:
        """(estimated cost of a task, whether every model it calls is priced)."""
        total, complete = 0.0, True
        for spec, calls in [(self.model, plan.model), *plan.judges.items()]:
            value = calls.cost(self.prices.get(spec)) if calls.requests else 0.0
            if value is None:
                complete = False
            else:
                total += value
        return total, complete

    def total(self, attr: str) -> int:
        return sum(getattr(t.model, attr) + sum(getattr(c, attr) for c in t.judges.values()) for t in self.tasks)


def dry_run(cfg: RunConfig) -> DryRun:
    """Plan ``cfg`` and count what it would send (see the module docstring); sends and writes nothing."""
    spec = parse_model_spec(cfg.model)
    role_specs: dict[str, str | None] = {}
    default = cfg.judge
    if cfg.judge_profile:  # the profile's judges, with load_judging's precedence (no adapter is built)
        from multitrust.scoring.profiles import load_profile, resolve

        resolved = resolve(load_profile(cfg.judge_profile))
        role_specs = dict(resolved.role_specs)
        if cfg.judge:  # --judge fills the roles the profile leaves to their offline fallback
            role_specs = {role: s for role, s in role_specs.items() if s}
        default = cfg.judge or resolved.default
    named = [default, *cfg.task_judges.values(), *role_specs.values()]
    judge_specs = {s: parse_model_spec(s) for s in named if s}
    planned = {s: _Planned(p.canonical) for s, p in judge_specs.items()}
    ctx = EvalContext(
        fidelity=cfg.fidelity,
        refusal_list=cfg.refusal_list,
        judge=planned.get(default) if default else None,
        task_judges={t: planned[s] for t, s in cfg.task_judges.items()},
        role_judges={role: planned[s] if s else None for role, s in role_specs.items()},
    )
    prices: dict[str, dict[str, float] | None] = {spec.canonical: price_for(spec)}
    for p in judge_specs.values():
        prices[p.canonical] = price_for(p)
    tree = resolve_data(cfg.data, seed=cfg.seed)
    plans = [_plan_task(tid, tree, spec, ctx, cfg, prices) for tid in cfg.tasks]
    return DryRun(spec.canonical, plans, prices)


def _plan_task(
    tid: str, tree: Any, spec: ModelSpec, ctx: EvalContext, cfg: RunConfig, prices: dict[str, Any]
) -> TaskPlan:
    task = get_task(tid)
    plan = TaskPlan(tid)
    try:
        for variant in task.variants:
            if cfg.text_only and variant.image_mode(cfg.fidelity) != TEXT:
                plan.not_run.append(variant.name)
                continue
            cap = min(variant.max_tokens, cfg.max_tokens or variant.max_tokens)
            for build in _builds(task, variant, tree, cfg):
                if build.error:
                    plan.unbuildable += 1
                    continue
                plan.model.add(request_tokens(build.sample, spec.kind), cap)
                for judge_spec, prompt, max_tokens in judge_calls(variant.evaluator, build.sample, ctx):
                    if not prompt:  # a scoring API (toxicity): free, sent the response alone
                        prices.setdefault(judge_spec, {"input": 0.0, "output": 0.0})
                        plan.judges.setdefault(judge_spec, Calls()).add(cap, 0)
                        continue
                    tokens = _PER_REQUEST + _PER_MESSAGE + estimate_text_tokens(prompt) + cap
                    plan.judges.setdefault(judge_spec, Calls()).add(tokens, max_tokens)
    except DataError as exc:
        plan.error = str(exc)
    return plan


def _builds(task: Any, variant: Any, tree: Any, cfg: RunConfig) -> Iterable[Any]:
    return build_samples(task, variant, tree, seed=cfg.seed, limit=cfg.limit, fidelity=cfg.fidelity)
