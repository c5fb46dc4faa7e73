"""The async runner: plan samples → skip finished requests → generate with N in flight → judge → score.

Every generation is committed as it arrives. Re-running the same command on the same run directory
resumes: finished requests are never sent again, failed ones are retried.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from multitrust import __version__
from multitrust.core.errors import DataError, ModelCallError, StoreError
from multitrust.core.files import write_text
from multitrust.core.hashing import sha256_hex
from multitrust.core.types import Generation, Request, Sample, TaskScore
from multitrust.data.locate import cache_root, resolve_data
from multitrust.data.tree import DataTree
from multitrust.engine.config import RunConfig
from multitrust.engine.progress import NullProgress, ProgressSink
from multitrust.engine.scorer import score_tasks
from multitrust.engine.shared_cache import FILE_NAME, SharedCache, shareable
from multitrust.engine.store import RunStore
from multitrust.models.base import ChatModel
from multitrust.models.spec import load_model, parse_model_spec
from multitrust.scoring.base import EvalContext
from multitrust.tasks.registry import get_task
from multitrust.tasks.spec import SourceOptions, build_samples

CONFIG_FILE = "config.json"


@dataclass
class WorkItem:
    request: Request
    task: str


@dataclass
class RunSummary:
    out: Path
    model: str
    scores: dict[str, TaskScore]
    calls_made: int = 0
    calls_reused: int = 0
    call_errors: int = 0
    task_errors: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0
    judge_calls: int = 0
    #: generations copied from the shared cache of other runs (included in calls_reused)
    shared_hits: int = 0
    #: seconds spent planning samples, generating (all requests in flight) and judging + scoring
    phases: dict[str, float] = field(default_factory=dict)
    #: per replica of a replicated model (requests, answered, errors, mean latency); None for one endpoint
    replicas: list[dict[str, object]] | None = None


def load_judges(
    judge: str | None, task_judges: dict[str, str], *, seed: int, given: ChatModel | None = None
) -> tuple[ChatModel | None, dict[str, ChatModel]]:
    """The default judge and per-task judges; one adapter per distinct spec (so they share connections)."""
    cache: dict[str, ChatModel] = {}

    def get(spec: str) -> ChatModel:
        if spec not in cache:
            cache[spec] = load_model(spec, seed=seed)
        return cache[spec]

    default = given if given is not None else (get(judge) if judge else None)
    return default, {t: get(s) for t, s in task_judges.items()}


def record_scoring(
    store: RunStore, fidelity: str, refusal_list: str | None, judge: str | None, task_judges: dict[str, str]
) -> None:
    """Remember how the run was last scored (spec strings as given, options included: they name env vars,
    never secrets), so ``multitrust score`` without options re-scores the same way."""
    store.set_meta(
        "scoring",
        {"fidelity": fidelity, "refusal_list": refusal_list, "judge": judge, "task_judges": dict(task_judges)},
    )


def check_compatible(store: RunStore, cfg: RunConfig, model_spec: str) -> None:
    """A run directory belongs to one model and seed; other settings (tasks, limit, fidelity) may change."""
    prev = store.get_meta("identity")
    ident = {"model": model_spec, "seed": cfg.seed}
    if prev is None:
        store.set_meta("identity", ident)
    elif prev != ident:
        raise StoreError(
            f"{cfg.out} holds a run of {prev['model']} with seed {prev['seed']}; "
            f"use another --out for {model_spec} with seed {cfg.seed}"
        )


def plan_task(
    task_id: str, tree: DataTree, model: ChatModel, cfg: RunConfig
) -> list[tuple[Sample, Request | None, str | None]]:
    """Every sample of every variant of a task, with its request (None when the sample failed to build)."""
    task = get_task(task_id)
    planned: list[tuple[Sample, Request | None, str | None]] = []
    for variant in task.variants:
        for build in build_samples(task, variant, tree, seed=cfg.seed, limit=cfg.limit, fidelity=cfg.fidelity):
            if build.error:
                planned.append((build.sample, None, build.error))
                continue
            try:
                request = Request.build(
                    model.spec,
                    build.sample.messages,
                    max_tokens=min(variant.max_tokens, cfg.max_tokens or variant.max_tokens),
                    context=build.sample.id if model.per_sample else None,
                )
            except OSError as exc:  # image vanished between check and hashing
                planned.append((build.sample, None, f"{build.sample.id}: {exc}"))
                continue
            planned.append((build.sample, request, None))
    return planned


def require_some_data(tree: DataTree, task_ids: list[str], *, seed: int = 0, fidelity: str = "fixed") -> None:
    """Raise :class:`DataError` when ``tree`` holds no record for any of ``task_ids`` (an empty or wrong
    ``--data`` directory), so such a run fails before its run directory is created. A tree with data for
    some of the tasks passes: the others fail one by one as task errors. Stops at the first record found."""
    first: DataError | None = None
    options = SourceOptions(seed=seed, fidelity=fidelity)
    for tid in task_ids:
        for source in {id(v.source): v.source for v in get_task(tid).variants}.values():
            try:
                if next(iter(source.read(tree, options)), None) is not None:
                    return
            except DataError as exc:
                first = first or exc
    cause = f" (first problem: {first})" if first else ""
    raise DataError(
        f"no data for any of the selected tasks{cause}; `multitrust data check {tree.root}` lists what each task "
        "needs, or pass --data builtin",
        path=str(tree.root),
    )


class Runner:
    def __init__(
        self,
        cfg: RunConfig,
        *,
        progress: ProgressSink | None = None,
        model: ChatModel | None = None,
        judge: ChatModel | None = None,
    ) -> None:
        self.cfg = cfg
        self.progress = progress or NullProgress()
        self.model = model
        self.judge = judge
        # state of the generation pipeline (reset by _pipeline)
        self._task_of: dict[str, str] = {}
        self._first_sent, self._last_done = float("inf"), 0.0
        self._shared: SharedCache | None = None

    async def run(self) -> RunSummary:
        cfg = self.cfg
        started = time.perf_counter()
        out = Path(cfg.out)
        spec = parse_model_spec(cfg.model)  # fail on a bad spec before touching the run dir
        judge, task_judges = load_judges(cfg.judge, cfg.task_judges, seed=cfg.seed, given=self.judge)
        model = self.model or load_model(spec, seed=cfg.seed)
        tree = resolve_data(cfg.data, seed=cfg.seed)  # bad data fails before anything is written into out
        require_some_data(tree, cfg.tasks, seed=cfg.seed, fidelity=cfg.fidelity)
        out.mkdir(parents=True, exist_ok=True)
        store = RunStore.in_dir(out)
        summary = RunSummary(out, model.spec, {})
        inv = 0
        status = "failed"
        try:
            check_compatible(store, cfg, model.spec)
            inv = store.begin_invocation("run")
            self._record_config(store, out, model, tree)
            t1 = time.perf_counter()
            await self._pipeline(store, tree, model, summary, cfg.concurrency or model.default_concurrency)
            replica_stats = getattr(model, "replica_stats", None)
            if replica_stats is not None:  # which replica did what: recorded, never part of a hash
                summary.replicas = replica_stats()
                store.set_meta("replicas", summary.replicas)
            t2 = time.perf_counter()
            summary.phases["plan_and_generate_s"] = t2 - t1
            if self._last_done:
                summary.phases["generate_s"] = self._last_done - self._first_sent
            ctx = EvalContext(
                fidelity=cfg.fidelity, refusal_list=cfg.refusal_list, judge=judge, task_judges=task_judges
            )
            planned_tasks = [t for t in cfg.tasks if t not in summary.task_errors]
            record_scoring(store, cfg.fidelity, cfg.refusal_list, cfg.judge, cfg.task_judges)
            stats = await score_tasks(
                store,
                planned_tasks,
                ctx,
                concurrency=cfg.concurrency or 16,
                progress=self.progress,
                seed=cfg.seed,
                bootstrap=cfg.bootstrap,
            )
            summary.scores = stats.by_task
            summary.judge_calls = stats.judge_calls
            summary.phases["score_s"] = time.perf_counter() - t2
            status = "finished"
        except (asyncio.CancelledError, KeyboardInterrupt):
            status = "interrupted"
            raise
        finally:
            self.progress.close()
            if inv:
                store.end_invocation(
                    inv,
                    status=status,
                    calls_made=summary.calls_made,
                    calls_reused=summary.calls_reused,
                    call_errors=summary.call_errors,
                )
            store.close()
            if self.model is None:
                await model.aclose()
            owned = [x for x in (judge, *task_judges.values()) if x is not None and x is not self.judge]
            for j in {id(x): x for x in owned}.values():
                await j.aclose()
            summary.wall_s = time.perf_counter() - started
        return summary

    def _record_config(self, store: RunStore, out: Path, model: ChatModel, tree: DataTree) -> None:
        manifest = tree.path("MANIFEST.json")
        data_info = {
            "root": str(tree.root),
            "manifest_sha256": sha256_hex(manifest.read_bytes()) if manifest.is_file() else None,
        }
        config = {
            "config": self.cfg.model_dump(),
            "model": model.describe(),
            "data": data_info,
            "multitrust_version": __version__,
        }
        store.set_meta("config", config)
        write_text(out / CONFIG_FILE, json.dumps(config, indent=2, sort_keys=True) + "\n")

    async def _plan(
        self,
        store: RunStore,
        tree: DataTree,
        model: ChatModel,
        summary: RunSummary,
        queue: asyncio.Queue[WorkItem | None],
        n_workers: int,
    ) -> None:
        """Plan task after task in a worker thread (reading annotations, checking and hashing images) and
        queue each task's unfinished requests as soon as it is planned, so generation starts after the first
        task instead of after all of them. Store writes stay on the event loop's thread (one writer)."""
        seen: set[str] = set()
        started = time.perf_counter()
        try:
            for tid in self.cfg.tasks:
                try:
                    planned = await asyncio.to_thread(plan_task, tid, tree, model, self.cfg)
                except DataError as exc:
                    summary.task_errors[tid] = str(exc)
                    continue
                store.replace_task_samples(tid, [(s, None if r is None else r.hash, e) for s, r, e in planned])
                fresh = {r.hash: r for _, r, _ in planned if r is not None and r.hash not in seen}
                seen.update(fresh)
                done = store.finished_hashes(fresh)
                summary.calls_reused += len(done)
                if self._shared is not None:
                    candidates = [h for h, r in fresh.items() if h not in done and shareable(model, r)]
                    for h, gen in self._shared.lookup(candidates).items():
                        store.put_generation(gen)
                        done.add(h)
                        summary.calls_reused += 1
                        summary.shared_hits += 1
                todo = [WorkItem(r, tid) for h, r in fresh.items() if h not in done]
                if todo:
                    self.progress.add(tid, f"{tid} generate", len(todo))
                for item in todo:
                    self._task_of[item.request.hash] = tid
                    queue.put_nowait(item)
        finally:
            summary.phases["plan_s"] = time.perf_counter() - started
            for _ in range(n_workers):
                queue.put_nowait(None)  # always release the workers, also when planning failed

    async def _pipeline(
        self, store: RunStore, tree: DataTree, model: ChatModel, summary: RunSummary, concurrency: int
    ) -> None:
        """Planning and generation run together; returns when both are done (or the first one failed)."""
        queue: asyncio.Queue[WorkItem | None] = asyncio.Queue()
        self._task_of = {}
        self._shared = SharedCache(cache_root() / FILE_NAME) if self.cfg.shared_cache else None
        self._first_sent, self._last_done = float("inf"), 0.0
        model.on_retry = lambda request, attempt, reason: self.progress.retry(self._task_of.get(request.hash, ""))
        planner = asyncio.create_task(self._plan(store, tree, model, summary, queue, concurrency))
        workers = [asyncio.create_task(self._worker(store, model, queue, summary)) for _ in range(concurrency)]
        try:
            await asyncio.gather(planner, *workers)
        finally:
            for t in (planner, *workers):
                t.cancel()
            model.on_retry = None
            if self._shared is not None:
                self._shared.close()

    async def _worker(
        self, store: RunStore, model: ChatModel, queue: asyncio.Queue[WorkItem | None], summary: RunSummary
    ) -> None:
        while (item := await queue.get()) is not None:
            t0 = time.perf_counter()
            self._first_sent = min(self._first_sent, t0)
            try:
                reply = await model.generate(item.request)
                gen = Generation(
                    item.request.hash,
                    model.spec,
                    reply.text,
                    reply.finish_reason,
                    reply.usage,
                    time.perf_counter() - t0,
                    reply.attempts,
                )
            except ModelCallError as exc:
                gen = Generation(
                    item.request.hash,
                    model.spec,
                    None,
                    latency_s=time.perf_counter() - t0,
                    attempts=exc.attempts,
                    error=str(exc),
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # an adapter bug fails its request, not the run
                gen = Generation(
                    item.request.hash,
                    model.spec,
                    None,
                    latency_s=time.perf_counter() - t0,
                    error=f"{type(exc).__name__}: {exc}",
                )
            store.put_generation(gen)
            if self._shared is not None and gen.ok and shareable(model, item.request):
                self._shared.put(gen)
            self._last_done = time.perf_counter()
            summary.calls_made += 1
            if not gen.ok:
                summary.call_errors += 1
            self.progress.advance(item.task, error=not gen.ok)
