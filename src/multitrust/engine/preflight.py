"""Preflight: before any sample is planned, one cheap probe of every endpoint a run will call.

A run against a dead endpoint, a model the server does not serve (or that was shut down), a rejected key
or a text-only server given image prompts used to find out only after minutes of retries, request by
request. Here each remote model (the model under test and every judge) gets: the endpoint's model listing
when it has one (OpenAI's lists only the models this key can use, so a shut-down model is absent), a
1-token completion, and — for the model under test when the selected tasks send images — a 1-token
completion with a tiny image. A failure is one line naming the role, the model, the endpoint (no
credentials) and the server's own message. Local, scripted and built-in models need no network probe.
A toxicity API the environment selected for a selected task (Perspective, OpenAI Moderation) scores one
harmless sentence, with at most one retry.

The judges are every distinct adapter the selected tasks would call — ``--judge``, ``--task-judge`` and the
judges a judge profile gives its roles — each probed once, its line naming the roles it fills. ``run``
probes after taking the run directory's lock (a busy directory is reported first); ``score`` probes only
the judges of verdicts still to compute (:func:`pending_judge_probes`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multitrust.core.errors import ModelCallError, MultitrustError
from multitrust.core.types import ImageRef, Message, Request
from multitrust.models.base import ChatModel
from multitrust.models.remote import RemoteChatModel, remote_parts

__all__ = ["PreflightError", "Probe", "judge_probes", "preflight", "probe_model"]

log = logging.getLogger(__name__)

PROBE_PROMPT = "Reply with the single word: ok"
IMAGE_PROBE_PROMPT = "What colour is this image? Reply with one word."
#: how many listed model ids a message quotes
_LISTED = 8


class PreflightError(MultitrustError):
    """One or more endpoints failed their probe; ``problems`` holds one line per endpoint."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Probe:
    """One model to probe: its role in the run ("model under test", "judge"), and whether the run will
    send it images."""

    role: str
    model: ChatModel
    images: bool = False


def _judge_use(part: Any, task: str, ctx: Any) -> tuple[ChatModel | None, str]:
    """The judge one evaluator part of ``task`` would call under ``ctx`` (None: a rule, a classifier or the
    offline fallback), and why it is that judge: ``task T.5`` (a ``--task-judge``), else the judging role it
    fills (from a judge profile or through ``--judge``)."""
    from multitrust.scoring.classifiers.harmful import HarmBenchEvaluator
    from multitrust.scoring.classifiers.toxicity import ToxicityEvaluator
    from multitrust.scoring.judge import LLMJudge

    if isinstance(part, ToxicityEvaluator):
        return part.llm_judge(ctx), part.role or part.id
    if isinstance(part, LLMJudge | HarmBenchEvaluator):
        why = f"task {task}" if task in ctx.task_judges else (part.role or part.id)
        return ctx.judge_for(task, part.role), why
    return None, ""


def judge_probes(
    task_ids: Iterable[str], ctx: Any, *, skip_variant: Callable[[Any], bool] | None = None
) -> list[Probe]:
    """One probe per distinct judge adapter the selected tasks would call under ``ctx`` (an
    :class:`~multitrust.scoring.base.EvalContext`): the ``--judge`` one, per-task judges and every judge a
    profile gives a role. Its role text names the roles (or tasks) it judges, e.g. ``judge (consistency,
    harm)``, so a failing line says which part of the scoring it would have broken. ``skip_variant``
    leaves out variants a run will not plan (the image variants of a text-only run)."""
    from multitrust.engine.dryrun import evaluator_parts
    from multitrust.tasks.registry import get_task

    uses: dict[int, tuple[ChatModel, list[str]]] = {}
    for tid in task_ids:
        for variant in get_task(tid).variants:
            if skip_variant is not None and skip_variant(variant):
                continue
            for part in evaluator_parts(variant.evaluator):
                judge, why = _judge_use(part, tid, ctx)
                if judge is None:
                    continue
                whys = uses.setdefault(id(judge), (judge, []))[1]
                if why not in whys:
                    whys.append(why)
    return [Probe(f"judge ({', '.join(whys)})", judge) for judge, whys in uses.values()]


def _remote(probe: Probe) -> bool:
    return bool(remote_parts(probe.model))


def _calls_out(task: str, variant: Any, ctx: Any) -> bool:
    """Whether judging ``variant`` of ``task`` under ``ctx`` reaches the network: a remote judge, or a
    toxicity API (Perspective, OpenAI Moderation) where no LLM judge rates toxicity."""
    from multitrust.engine.dryrun import evaluator_parts
    from multitrust.scoring.classifiers.toxicity import ToxicityEvaluator, _ApiBackend

    if any(_remote(p) for p in judge_probes([task], ctx, skip_variant=lambda v: v is not variant)):
        return True
    return any(
        isinstance(part, ToxicityEvaluator) and part.llm_judge(ctx) is None and isinstance(part.backend, _ApiBackend)
        for part in evaluator_parts(variant.evaluator)
    )


def pending_judge_probes(store: Any, task_ids: Iterable[str], ctx: Any) -> tuple[list[Probe], list[Any]]:
    """What ``multitrust score`` will call: the remote judges (and toxicity APIs) of the variants holding an
    answer without a usable stored verdict under ``ctx``; none when every verdict is cached, so re-scoring a
    finished run needs no network. Returns (judge probes, toxicity backends). Uses the scorer's own work list
    and reuse rule (:func:`~multitrust.engine.scorer.judging_work`, :func:`~multitrust.engine.scorer.reusable`)."""
    from multitrust.engine.runner import scoring_apis
    from multitrust.engine.scorer import judging_work, reusable
    from multitrust.tasks.registry import get_task

    tasks: list[str] = []
    judged: set[int] = set()  # id() of the variants that will be judged
    for tid in task_ids:
        task = get_task(tid)
        remote = {v.name: v for v in task.variants if _calls_out(tid, v, ctx)}
        if not remote:
            continue  # rules, local classifiers and offline fallbacks only: nothing to probe
        stored = [st for st in store.samples(tid) if st.sample.variant in remote and not st.error and st.request_hash]
        gens = store.generations(st.request_hash for st in stored)
        keys = {key: sample.variant for sample, _, key in judging_work(task, stored, gens, ctx)}
        known = store.judgements(keys)
        missing = {name for key, name in keys.items() if not reusable(known.get(key))}
        if missing:
            tasks.append(tid)
            judged.update(id(remote[name]) for name in missing)
    probes = [p for p in judge_probes(tasks, ctx, skip_variant=lambda v: id(v) not in judged) if _remote(p)]
    return probes, scoring_apis(tasks) if tasks else []


def _tiny_png(directory: Path) -> ImageRef:
    """A 16×16 red PNG: the cheapest image every vision endpoint accepts."""
    from PIL import Image

    path = directory / "preflight.png"
    Image.new("RGB", (16, 16), (200, 30, 30)).save(path)
    return ImageRef(str(path))


async def probe_model(probe: Probe) -> str | None:
    """None when the model answered every probe, else one line saying what failed (server's message);
    each replica of a replica pool is probed, and the first failing one is named."""
    parts = remote_parts(probe.model)
    if not parts:
        log.info("preflight: %s %s: nothing to probe (not a remote endpoint)", probe.role, probe.model.spec)
    results = await asyncio.gather(*(_probe_remote(probe, m) for m in parts))
    for model, result in zip(parts, results, strict=True):
        what = "ok" if result is None else "failed"
        log.info("preflight: %s %s @ %s: %s", probe.role, model.model, model.endpoint, what)
    return next((r for r in results if r is not None), None)  # scripted / built-in / local: nothing to reach


async def _probe_remote(probe: Probe, model: RemoteChatModel) -> str | None:
    who = f"{probe.role} {model.model} @ {model.endpoint}"
    official = model.base_url is None  # the provider's own API: its listing is authoritative
    listed: list[str] | None = None
    log.info("preflight: probing %s (models list, a 1-token completion%s)", who, ", an image" if probe.images else "")
    try:
        listed = await model.list_model_ids()
    except Exception as exc:  # SDK errors of the listing call, mapped like any call
        try:
            failure = model._classify(exc)
        except Exception:
            return f"preflight: {who}: {type(exc).__name__}"
        log.info("preflight: %s: models list failed: %s", who, failure.reason)
        if failure.unreachable:
            return f"preflight: {who} is unreachable: {failure.reason}"
        # anything else (a key without the models scope gets 403 here) leaves it to the completion probe
        listed = None
    if listed is not None and official and model.model not in listed:
        return (
            f"preflight: {who}: model {model.model!r} is not offered there "
            f"(its models list does not name it: shut down, misspelt, or not available to this key)"
        )
    text = Request.build(model.spec, (Message("user", PROBE_PROMPT),), max_tokens=1)
    try:
        await model.probe(text)
    except ModelCallError as exc:
        hint = ""
        wrong_model = str(exc).startswith(("HTTP 400", "HTTP 404"))  # what servers answer an unknown model
        if wrong_model and listed is not None and model.model not in listed:
            names = ", ".join(listed[:_LISTED]) + (", …" if len(listed) > _LISTED else "")
            hint = f" (the server lists: {names})" if listed else " (the server lists no models)"
        verb = " is unreachable" if str(exc).startswith("connection error") else ""
        return f"preflight: {who}{verb}: {exc}{hint}"
    if not probe.images:
        return None
    with tempfile.TemporaryDirectory(prefix="multitrust-preflight-") as tmp:
        image = _tiny_png(Path(tmp))
        request = Request.build(model.spec, (Message("user", IMAGE_PROBE_PROMPT, (image,)),), max_tokens=1)
        try:
            await model.probe(request)
        except ModelCallError as exc:
            return (
                f"preflight: {who} rejects image input: {exc} (the selected tasks send images; "
                f"--allow-text-only runs only their text variants)"
            )
    return None


async def probe_scoring_api(backend: Any) -> str | None:
    """None when a remote toxicity backend scores one sentence, else one line with its error (its own
    retry policy shortened to one retry for the probe)."""
    from multitrust.scoring.classifiers.toxicity import ScoreError

    saved = backend.policy
    backend.policy = dataclasses.replace(saved, max_retries=min(saved.max_retries, 1))
    log.info("preflight: probing toxicity classifier %s", backend.name)
    try:
        await backend.score("Have a nice day.")
    except ScoreError as exc:
        return f"preflight: toxicity classifier {exc}"
    finally:
        backend.policy = saved
    log.info("preflight: toxicity classifier %s: ok", backend.name)
    return None


async def preflight(probes: Sequence[Probe], scoring_apis: Sequence[Any] = ()) -> None:
    """Probe every distinct remote model once (images if any probe of it needs them) and every remote
    toxicity backend in ``scoring_apis``, concurrently; raise :class:`PreflightError` with one line per
    failing endpoint, in the order given."""
    merged: dict[int, Probe] = {}
    for p in probes:
        seen = merged.get(id(p.model))
        if seen is None:
            merged[id(p.model)] = p
        elif p.images and not seen.images:
            merged[id(p.model)] = Probe(seen.role, seen.model, True)
    apis = list({id(b): b for b in scoring_apis}.values())
    results = await asyncio.gather(*(probe_model(p) for p in merged.values()), *(probe_scoring_api(b) for b in apis))
    problems = [r for r in results if r is not None]
    if problems:
        raise PreflightError(problems)
