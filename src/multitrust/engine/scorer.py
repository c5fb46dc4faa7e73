"""Judging stored generations and turning verdicts into variant metrics and task scores.

Shared by ``run`` (right after generation) and ``score`` (re-scoring a finished run): it reads
everything from the store, so re-scoring needs neither the data tree nor the model under test.
Judgements are keyed by evaluator fingerprint + sample + response, so only what changed is recomputed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from multitrust.core.types import Judgement, Sample, TaskScore, VariantResult, Verdict
from multitrust.engine.progress import NullProgress, ProgressSink
from multitrust.engine.store import RunStore, StoredSample
from multitrust.scoring.base import EvalContext
from multitrust.scoring.metrics import subset_metrics
from multitrust.tasks.registry import get_task
from multitrust.tasks.spec import MissingMetric, Task, VariantMetrics

RULE_COMMIT_EVERY = 500


@dataclass
class ScoreStats:
    judged: int = 0
    reused: int = 0
    judge_errors: int = 0
    judge_calls: int = 0
    by_task: dict[str, TaskScore] = field(default_factory=dict)


async def score_tasks(
    store: RunStore,
    task_ids: Sequence[str],
    ctx: EvalContext,
    *,
    concurrency: int = 16,
    progress: ProgressSink | None = None,
) -> ScoreStats:
    """Judge every scorable sample of ``task_ids`` (reusing stored verdicts) and store task scores."""
    progress = progress or NullProgress()
    stats = ScoreStats()
    store.set_meta(
        "scoring",
        {
            "fidelity": ctx.fidelity,
            "refusal_list": ctx.refusal_list,
            "judge": None if ctx.judge is None else ctx.judge.spec,
            "task_judges": {t: j.spec for t, j in ctx.task_judges.items()},
        },
    )
    for tid in task_ids:
        task = get_task(tid)
        stored = list(store.samples(tid))
        gens = store.generations(s.request_hash for s in stored if s.request_hash)
        verdicts = await _judge(store, task, stored, gens, ctx, concurrency, progress, stats)
        ts = _task_score(task, stored, gens, verdicts)
        ts.provenance = provenance(task, ctx, verdicts.values())
        store.put_score(ts)
        stats.by_task[tid] = ts
    stats.judge_calls = ctx.counters.get("judge_calls", 0)
    return stats


def provenance(task: Task, ctx: EvalContext, verdicts: Iterable[Verdict]) -> dict[str, Any]:
    """What judged this task: each distinct evaluator's configured backend and whether it is the paper's
    choice, plus the backends actually seen on the verdicts with their counts."""
    seen: dict[str, int] = {}
    for v in verdicts:
        if v.backend:
            seen[v.backend] = seen.get(v.backend, 0) + 1
    evaluators: list[dict[str, Any]] = []
    for variant in task.variants:
        desc = variant.evaluator.describe(ctx, task.id)
        if desc not in evaluators:
            evaluators.append(desc)
    return {
        "evaluators": evaluators,
        "paper": all(e["paper"] for e in evaluators),
        "observed_backends": dict(sorted(seen.items())),
        "fidelity": ctx.fidelity,
    }


async def _judge(
    store, task: Task, stored: list[StoredSample], gens, ctx, concurrency, progress, stats
) -> dict[str, Verdict]:  # type: ignore[no-untyped-def]
    work: list[tuple[Sample, str, str]] = []  # (sample, response, key)
    for st in stored:
        gen = gens.get(st.request_hash) if st.request_hash else None
        if st.error or gen is None or not gen.ok:
            continue
        evaluator = task.variant(st.sample.variant).evaluator
        work.append((st.sample, gen.text or "", evaluator.judgement_key(st.sample, gen.text or "", ctx)))
    known = store.judgements(k for _, _, k in work)
    verdicts: dict[str, Verdict] = {}
    todo = []
    for sample, response, key in work:
        hit = known.get(key)
        if hit is not None:
            verdicts[sample.id] = hit.verdict
            stats.reused += 1
        else:
            todo.append((sample, response, key))
    if not todo:
        return verdicts
    label = f"{task.id} judge"
    progress.add(label, label, len(todo))
    pending = iter(todo)
    since_commit = 0

    async def worker() -> None:
        nonlocal since_commit
        for sample, response, key in pending:
            evaluator = task.variant(sample.variant).evaluator
            try:
                verdict = await evaluator.evaluate(sample, response, ctx)
            except Exception as exc:  # a broken evaluator fails its sample, not the run
                verdict = Verdict(None, error=f"{type(exc).__name__}: {exc}")
            verdicts[sample.id] = verdict
            stats.judged += 1
            if not verdict.ok:
                stats.judge_errors += 1
            is_rule = verdict.backend == "rule"
            store.put_judgement(Judgement(key, sample.id, evaluator.id, evaluator.version, verdict), commit=not is_rule)
            since_commit += 1
            if is_rule and since_commit >= RULE_COMMIT_EVERY:
                store.commit()
                since_commit = 0
            progress.advance(label, error=not verdict.ok)

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    finally:
        store.commit()
    return verdicts


def _task_score(task: Task, stored: list[StoredSample], gens, verdicts: dict[str, Verdict]) -> TaskScore:  # type: ignore[no-untyped-def]
    results: dict[str, VariantResult] = {}
    total = errors = 0
    notes: list[str] = []
    for variant in task.variants:
        mine = [s for s in stored if s.sample.variant == variant.name]
        if not mine:
            continue
        pairs = []
        n_err = 0
        for st in mine:
            verdict = verdicts.get(st.sample.id)
            if verdict is None or not verdict.ok:
                n_err += 1
                continue
            pairs.append((st.sample, verdict.value))
        metrics = variant.metric(pairs) if pairs else {}
        by_subset = subset_metrics(variant.metric, pairs) if variant.by_subset and pairs else {}
        results[variant.name] = VariantResult(variant.name, metrics, by_subset, len(mine), len(pairs), n_err)
        total += len(mine)
        errors += n_err
    score: float | None = None
    if results:
        try:
            score = float(task.score(VariantMetrics(results)))
        except MissingMetric as exc:
            notes.append(f"not scored: missing {exc.args[0]}")
    else:
        notes.append("not scored: no samples")
    return TaskScore(task.id, score, results, total, errors, notes)
