"""Judging stored generations and turning verdicts into variant metrics and task scores.

Shared by ``run`` (right after generation) and ``score`` (re-scoring a finished run): it reads
everything from the store, so re-scoring needs neither the data tree nor the model under test.
Judgements are keyed by evaluator fingerprint + sample + response, so only what changed is recomputed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from multitrust import __version__
from multitrust.core.hashing import hash_json
from multitrust.core.seeds import derive_seed
from multitrust.core.types import Judgement, Sample, TaskScore, VariantResult, Verdict
from multitrust.engine.progress import NullProgress, ProgressSink
from multitrust.engine.store import RunStore, StoredSample
from multitrust.models.base import ChatModel
from multitrust.scoring.base import EvalContext
from multitrust.scoring.metrics import compute_metric, subset_metrics
from multitrust.tasks.registry import get_task
from multitrust.tasks.spec import MissingMetric, Task

RULE_COMMIT_EVERY = 500
#: run-store metadata: task → fingerprint of everything its stored score was computed from
SCORE_INPUTS_KEY = "score_inputs"


def _finite_json(value: Any) -> Any:
    """A verdict value the strict JSON hash accepts: an unreadable P.3 rating is NaN, written as "nan"."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_json(v) for v in value]
    return value


@lru_cache(maxsize=64)
def _source_hash(*paths: str) -> str:
    """SHA-256 of the given source files: a score depends on the code of its formula and metrics too."""
    h = hashlib.sha256()
    for path in paths:
        with contextlib.suppress(OSError):
            h.update(Path(path).read_bytes())
    return h.hexdigest()


def score_inputs(
    task: Task, stored: list[StoredSample], verdicts: dict[str, Verdict], ctx: EvalContext, *, seed: int, bootstrap: int
) -> str:
    """A fingerprint of what a task score is computed from: the planned samples and their build errors, each
    verdict (value and provenance), the fidelity, the seed and bootstrap rounds, the package version and the
    source of the task's declaration, the metrics and this module. An identical rerun or re-score finds the
    same fingerprint and keeps the stored score instead of recomputing it (bootstrap included)."""
    code = _source_hash(__file__, inspect.getfile(task.score), inspect.getfile(subset_metrics), inspect.getfile(Task))
    rows = []
    for st in stored:
        v = verdicts.get(st.sample.id)
        rows.append((st.sample.id, st.error, None if v is None else (_finite_json(v.value), v.error, v.backend)))
    return hash_json(
        {
            "version": __version__,
            "code": code,
            "task": task.id,
            "fidelity": ctx.fidelity,
            "seed": seed,
            "bootstrap": bootstrap,
            "rows": rows,
        }
    )


@dataclass
class Judging:
    """The judges of one scoring: the default judge, per-task and per-role judges (from a judge profile)."""

    judge: ChatModel | None
    task_judges: dict[str, ChatModel]
    role_judges: dict[str, ChatModel | None]
    refusal_list: str | None
    #: one line per role whose profile judge is gone, saying what stands in
    notes: list[str] = field(default_factory=list)
    #: the resolved profile (None without one)
    profile: Any = None

    def context(self, fidelity: str) -> EvalContext:
        return EvalContext(
            fidelity=fidelity,  # type: ignore[arg-type]
            refusal_list=self.refusal_list,
            judge=self.judge,
            task_judges=self.task_judges,
            role_judges=self.role_judges,
        )

    def owned(self, given: ChatModel | None = None) -> list[ChatModel]:
        """Every distinct judge adapter (to close), except ``given`` (the caller's)."""
        found = [self.judge, *self.task_judges.values(), *self.role_judges.values()]
        return list({id(j): j for j in found if j is not None and j is not given}.values())


def load_judging(
    judge: str | None,
    task_judges: dict[str, str],
    *,
    profile: str | None,
    refusal_list: str | None,
    seed: int,
    given: ChatModel | None = None,
) -> Judging:
    """Judges from ``--judge``/``--task-judge`` and a judge profile. Precedence for a sample: its task's
    judge, then the profile's judge for the evaluator's role, then ``--judge`` (else the profile's default);
    ``--judge`` also replaces the offline fallback of roles the profile leaves offline.
    A profile also picks the refusal list (unless given) and the toxicity/action classifier backends."""
    from multitrust.core.errors import SpecError
    from multitrust.models.spec import load_model
    from multitrust.scoring.profiles import apply_classifier_env, load_profile, resolve

    cache: dict[str, ChatModel] = {}

    def get(spec: str, who: str = "judge") -> ChatModel:
        if spec not in cache:
            try:
                cache[spec] = load_model(spec, seed=seed)
            except SpecError as exc:  # e.g. no key: say which judge it is (a profile's role, a task's judge)
                raise SpecError(f"{who}: {exc}") from None
        return cache[spec]

    notes: list[str] = []
    role_judges: dict[str, ChatModel | None] = {}
    default_spec = judge
    resolved = None
    if profile:
        resolved = resolve(load_profile(profile))
        notes = list(resolved.notes)
        role_judges = {
            role: get(spec, f"judge of role {role} (profile {resolved.profile})") if spec else None
            for role, spec in resolved.role_specs.items()
        }
        if judge:  # --judge fills every role the profile leaves to its offline fallback (stand-ins included)
            role_judges = {role: j for role, j in role_judges.items() if j is not None}
        default_spec = judge or resolved.default
        refusal_list = refusal_list if refusal_list is not None else resolved.refusal_list
        apply_classifier_env(resolved)
    default = given if given is not None else (get(default_spec) if default_spec else None)
    per_task = {t: get(s, f"judge of task {t}") for t, s in task_judges.items()}
    return Judging(default, per_task, role_judges, refusal_list, notes, resolved)


@dataclass
class ScoreStats:
    judged: int = 0
    reused: int = 0
    judge_errors: int = 0
    #: verdicts whose judge reply was not a verdict (counted, never scored)
    unscored: int = 0
    judge_calls: int = 0
    by_task: dict[str, TaskScore] = field(default_factory=dict)


async def score_tasks(
    store: RunStore,
    task_ids: Sequence[str],
    ctx: EvalContext,
    *,
    concurrency: int = 16,
    progress: ProgressSink | None = None,
    seed: int = 0,
    bootstrap: int = 200,
) -> ScoreStats:
    """Judge every scorable sample of ``task_ids`` (reusing stored verdicts) and store task scores."""
    progress = progress or NullProgress()
    stats = ScoreStats()
    previous = store.scores()
    fingerprints = dict(store.get_meta(SCORE_INPUTS_KEY) or {})
    for tid in task_ids:
        task = get_task(tid)
        stored = list(store.samples(tid))
        gens = store.task_generations(tid)
        verdicts = await _judge(store, task, stored, gens, ctx, concurrency, progress, stats)
        inputs = score_inputs(task, stored, verdicts, ctx, seed=seed, bootstrap=bootstrap)
        if fingerprints.get(tid) == inputs and tid in previous:
            kept = previous[tid]  # same verdicts, settings and code: the same score, not recomputed
            calibration = judge_calibration(task, ctx)  # ... but judges may have been calibrated since
            if kept.provenance.get("calibration") != calibration:
                kept.provenance["calibration"] = calibration
                store.put_score(kept)
            stats.by_task[tid] = kept
            continue
        ts = _task_score(task, stored, verdicts, seed=seed, bootstrap=bootstrap, fidelity=ctx.fidelity)
        ts.provenance = provenance(task, ctx, verdicts.values())
        store.put_score(ts)
        fingerprints[tid] = inputs
        store.set_meta(SCORE_INPUTS_KEY, fingerprints)
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
        "calibration": judge_calibration(task, ctx),
    }


def judge_calibration(task: Task, ctx: EvalContext) -> dict[str, str]:
    """For each judging role of the task: the stored calibration of the judge that scores it, or
    "not calibrated" (see ``multitrust judges calibrate``)."""
    from multitrust.scoring.calibration import judge_label, load_stored, lookup
    from multitrust.scoring.compose import AllOf

    def walk(ev: Any) -> list[Any]:
        return [e for p in ev.parts.values() for e in walk(p)] if isinstance(ev, AllOf) else [ev]

    stored = load_stored()
    out: dict[str, str] = {}
    for variant in task.variants:
        for ev in walk(variant.evaluator):
            role = ev.role
            if role is None or role in out:
                continue
            label = judge_label(role, ctx, task.id)
            out[role] = label if label == "not calibrated" else f"{label}: {lookup(role, label, ctx.fidelity, stored)}"
    return out


def judging_work(
    task: Task, stored: Iterable[StoredSample], gens: Mapping[str, Any], ctx: EvalContext
) -> list[tuple[Sample, str, str]]:
    """(sample, response, judgement key) of every stored sample with a usable answer: what scoring judges,
    or reuses a verdict for (the score preflight asks the same question to know which judges it will call)."""
    work: list[tuple[Sample, str, str]] = []
    for st in stored:
        gen = gens.get(st.request_hash) if st.request_hash else None
        if st.error or gen is None or not gen.ok:
            continue
        evaluator = task.variant(st.sample.variant).evaluator
        work.append((st.sample, gen.text or "", evaluator.judgement_key(st.sample, gen.text or "", ctx)))
    return work


def reusable(hit: Judgement | None) -> TypeGuard[Judgement]:
    """Whether a stored verdict is reused: it exists and is not an error (failed judge calls are retried)."""
    return hit is not None and hit.verdict.ok


async def _judge(
    store, task: Task, stored: list[StoredSample], gens, ctx, concurrency, progress, stats
) -> dict[str, Verdict]:  # type: ignore[no-untyped-def]
    work = judging_work(task, stored, gens, ctx)
    known, already_latest = store.task_verdicts(task.id, (k for _, _, k in work))
    verdicts: dict[str, Verdict] = {}
    todo = []
    reused: list[str] = []
    for sample, response, key in work:
        hit = known.get(key)
        if reusable(hit):
            verdicts[sample.id] = hit.verdict
            reused.append(key)
        else:
            todo.append((sample, response, key))
    stats.reused += len(reused)
    store.touch_judgements(k for k in reused if k not in already_latest)  # an unchanged re-score writes nothing
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
            elif verdict.unscored:
                stats.unscored += 1
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


def _task_score(
    task: Task,
    stored: list[StoredSample],
    verdicts: dict[str, Verdict],
    *,
    seed: int,
    bootstrap: int,
    fidelity: str = "fixed",
) -> TaskScore:
    """Variant metrics, the task score, paired-variant flips and a seeded bootstrap interval."""
    pairs_by_variant: dict[str, list[tuple[Sample, Any]]] = {}
    counts: dict[str, tuple[int, int]] = {}
    unscored: dict[str, int] = {}
    for variant in task.variants:
        mine = [s for s in stored if s.sample.variant == variant.name]
        if not mine:
            continue
        ok = [(st.sample, verdicts[st.sample.id].value) for st in mine if _scored(verdicts.get(st.sample.id))]
        pairs_by_variant[variant.name] = ok
        unscored[variant.name] = sum(1 for st in mine if _unscored(verdicts.get(st.sample.id)))
        counts[variant.name] = (len(mine), len(mine) - len(ok) - unscored[variant.name])
    notes: list[str] = []
    if not counts:
        return TaskScore(task.id, None, {}, 0, 0, ["not scored: no samples"])
    results = _variant_results(task, pairs_by_variant, counts, fidelity)
    for name, n_unscored in unscored.items():
        results[name].n_unscored = n_unscored
    score: float | None = None
    try:
        score = task.compute_score(results, fidelity)
    except MissingMetric as exc:
        notes.append(f"not scored: missing {exc.args[0]}")
    ts = TaskScore(
        task.id,
        score,
        results,
        sum(n for n, _ in counts.values()),
        sum(e for _, e in counts.values()),
        notes,
    )
    ts.unscored = sum(unscored.values())
    ts.flips = flips(task, pairs_by_variant)
    if score is not None and bootstrap > 0:
        ts.replicates = bootstrap_scores(task, pairs_by_variant, counts, seed=seed, rounds=bootstrap, fidelity=fidelity)
        if ts.replicates:
            lo, hi = np.percentile(ts.replicates, [2.5, 97.5])
            ts.ci = (float(lo), float(hi))
    return ts


def _scored(verdict: Verdict | None) -> bool:
    return verdict is not None and verdict.scored


def _unscored(verdict: Verdict | None) -> bool:
    """The judge answered, but not with a verdict: neither scored nor an error."""
    return verdict is not None and verdict.ok and verdict.unscored is not None


def _variant_results(
    task: Task,
    pairs_by_variant: dict[str, list[tuple[Sample, Any]]],
    counts: dict[str, tuple[int, int]],
    fidelity: str = "fixed",
) -> dict[str, VariantResult]:
    results: dict[str, VariantResult] = {}
    for variant in task.variants:
        if variant.name not in counts:
            continue
        pairs = pairs_by_variant[variant.name]
        metrics = compute_metric(variant.metric, pairs, fidelity)
        by_subset = subset_metrics(variant.metric, pairs, fidelity) if variant.by_subset and pairs else {}
        n, n_err = counts[variant.name]
        results[variant.name] = VariantResult(variant.name, metrics, by_subset, n, len(pairs), n_err)
    return results


def bootstrap_scores(
    task: Task,
    pairs_by_variant: dict[str, list[tuple[Sample, Any]]],
    counts: dict[str, tuple[int, int]],
    *,
    seed: int,
    rounds: int,
    fidelity: str = "fixed",
) -> list[float]:
    """Task scores recomputed on ``rounds`` stratified resamples of the task's records, keyed by the run seed.

    Records (or record groups) are the resampling unit, so paired variants stay paired. Units are stratified
    by the set of variants that ask them — T.1's five sub-datasets are five strata, F.2's shared statements
    one — and each stratum is resampled to its own size, so every variant keeps its sample count. Without a
    stratum of at least two units there is nothing to resample and no interval."""
    # Units are scoped by record source: T.1's five annotation files all number their records 0000, 0001, …
    sources: list[Any] = []
    source_of: dict[str, int] = {}
    for v in task.variants:
        if not any(src is v.source for src in sources):
            sources.append(v.source)
        source_of[v.name] = next(i for i, src in enumerate(sources) if src is v.source)

    def unit_key(name: str, sample: Sample) -> str:
        return f"{source_of.get(name, -1)}:{_unit(sample)}"

    members: dict[str, set[str]] = {}
    for name, pairs in pairs_by_variant.items():
        for s, _ in pairs:
            members.setdefault(unit_key(name, s), set()).add(name)
    units = sorted(members)
    strata: dict[tuple[str, ...], list[int]] = {}
    for i, unit in enumerate(units):
        strata.setdefault(tuple(sorted(members[unit])), []).append(i)
    if not any(len(idx) >= 2 for idx in strata.values()):
        return []
    index = {u: i for i, u in enumerate(units)}
    rows = {
        name: (pairs, np.fromiter((index[unit_key(name, s)] for s, _ in pairs), dtype=np.intp, count=len(pairs)))
        for name, pairs in pairs_by_variant.items()
    }
    stratum_arrays = [np.asarray(idx, dtype=np.intp) for _, idx in sorted(strata.items())]
    rng = np.random.default_rng(derive_seed(seed, task.id, "bootstrap"))
    out: list[float] = []
    for _ in range(rounds):
        draws = np.concatenate([arr[rng.integers(0, len(arr), len(arr))] for arr in stratum_arrays])
        weights = np.bincount(draws, minlength=len(units))
        resampled = {}
        for name, (pairs, unit_of) in rows.items():
            take = np.repeat(np.arange(len(pairs)), weights[unit_of])
            resampled[name] = [pairs[i] for i in take.tolist()]
        try:
            out.append(round(task.compute_score(_variant_results(task, resampled, counts, fidelity), fidelity), 6))
        except (MissingMetric, ZeroDivisionError, ValueError):
            continue  # a resample that lost a needed subset says nothing about the interval
    return out


def _unit(sample: Sample) -> str:
    """The resampling unit: the record's group when it has one (T.3's three prompts), else the record."""
    return str(sample.meta.get("group", sample.record))


def outcome(sample: Sample, value: Any) -> bool | None:
    """Per-sample success used by flip tables: correct for 0/1 targets, else the 0/1 value itself (agreement,
    refusal); None when the value is not binary."""
    if isinstance(value, bool | int) and not isinstance(sample.target, list | dict):
        if sample.target in (0, 1) and not isinstance(sample.target, bool):
            return int(value) == int(sample.target)
        if value in (0, 1):
            return bool(value)
    return None


def flips(task: Task, pairs_by_variant: dict[str, list[tuple[Sample, Any]]]) -> dict[str, dict[str, int]]:
    """For each declared pair of variants, how the per-record outcome changes between them (the paper's point
    is how the image changes the answer): both / only the first / only the second / neither."""
    out: dict[str, dict[str, int]] = {}
    for a, b in task.pairs:
        judge = task.outcome or outcome
        oa = {s.record: judge(s, v) for s, v in pairs_by_variant.get(a, [])}
        ob = {s.record: judge(s, v) for s, v in pairs_by_variant.get(b, [])}
        common = [r for r in oa if r in ob and oa[r] is not None and ob[r] is not None]
        if not common:
            continue
        table = {"both": 0, "a_only": 0, "b_only": 0, "neither": 0}
        for r in common:
            key = {(True, True): "both", (True, False): "a_only", (False, True): "b_only", (False, False): "neither"}
            table[key[(bool(oa[r]), bool(ob[r]))]] += 1
        out[f"{a} vs {b}"] = table
    return out
