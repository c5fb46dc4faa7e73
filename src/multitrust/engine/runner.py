"""The async runner: plan samples → skip finished requests → generate with N in flight → judge → score.

Every generation is committed as it arrives. Re-running the same command on the same run directory
resumes: finished requests are never sent again, failed ones are retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from multitrust import __version__
from multitrust.core.errors import DataError, ModelCallError, StoreError
from multitrust.core.file_hashes import file_hashes
from multitrust.core.files import write_text
from multitrust.core.hashing import sha256_hex
from multitrust.core.redact import redact_spec, redact_text
from multitrust.core.types import Generation, Request, Sample, TaskScore
from multitrust.data.locate import cache_root, persist_file_hashes, resolve_data
from multitrust.data.tree import DataTree
from multitrust.engine.config import RunConfig
from multitrust.engine.judging import JudgeMeter
from multitrust.engine.plan_reuse import PLAN_INPUTS_KEY, data_state, plan_fingerprint
from multitrust.engine.preflight import Probe, preflight
from multitrust.engine.progress import NullProgress, ProgressSink
from multitrust.engine.scorer import Judging, load_judging, score_tasks
from multitrust.engine.shared_cache import FILE_NAME, SharedCache, shareable
from multitrust.engine.store import RunLock, RunStore
from multitrust.models.base import ChatModel, merge_image_handling, without_images
from multitrust.models.remote import remote_parts
from multitrust.models.spec import load_model, parse_model_spec
from multitrust.tasks.needs import no_data
from multitrust.tasks.registry import get_task
from multitrust.tasks.spec import TEXT, SourceOptions, build_samples

CONFIG_FILE = "config.json"
log = logging.getLogger(__name__)


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
    #: tasks whose data the tree does not hold → the first missing path (not run, not scored)
    no_data: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0
    judge_calls: int = 0
    #: judge spec → {"calls", "retries", "failed"} of this invocation
    judges: dict[str, dict[str, int]] = field(default_factory=dict)
    #: generations copied from the shared cache of other runs (included in calls_reused)
    shared_hits: int = 0
    #: seconds spent planning samples, generating (all requests in flight) and judging + scoring; and
    #: ``plan_and_generate_cpu_s``, the CPU seconds of planning and generation
    phases: dict[str, float] = field(default_factory=dict)
    #: per replica of a replicated model (requests, answered, errors, mean latency); None for one endpoint
    replicas: list[dict[str, object]] | None = None
    #: endpoints that stopped a kind of request (fail fast): role, model, endpoint, shape, cause, count
    stopped: list[dict[str, object]] = field(default_factory=list)
    #: task → variants not run because the run is text only (``--allow-text-only``)
    not_run: dict[str, list[str]] = field(default_factory=dict)
    #: tasks whose stored plan was kept unchanged: same plan fingerprint, every request answered
    plans_reused: int = 0


def record_scoring(
    store: RunStore,
    fidelity: str,
    refusal_list: str | None,
    judge: str | None,
    task_judges: dict[str, str],
    *,
    judge_profile: str | None = None,
) -> None:
    """Remember how the run was last scored (spec strings as given, options included: they name env vars),
    so ``multitrust score`` without options re-scores the same way. Credentials typed into a judge spec are
    redacted: such a judge has to be named again to re-score."""
    store.set_meta(
        "scoring",
        {
            "fidelity": fidelity,
            "refusal_list": refusal_list,
            "judge": redact_spec(judge),
            "task_judges": {t: redact_spec(s) for t, s in task_judges.items()},
            "judge_profile": judge_profile,
        },
    )


def redacted_config(cfg: RunConfig) -> dict[str, object]:
    """The run configuration as recorded (store, config.json, reports): model and judge specs without
    credentials."""
    dump = cfg.model_dump()
    dump["model"] = redact_spec(cfg.model)
    dump["judge"] = redact_spec(cfg.judge)
    dump["task_judges"] = {t: redact_spec(s) for t, s in cfg.task_judges.items()}
    return dump


def record_no_data(store: RunStore, task_ids: list[str], missing: dict[str, str]) -> None:
    """Store ``{task: "no data: <missing path>"}`` for the tasks this invocation found without data (entries of
    tasks it did not look at are kept; a task that has data now loses its entry), so reports can say why a
    task has no score."""
    prev = {t: v for t, v in (store.get_meta("no_data") or {}).items() if t not in task_ids}
    store.set_meta("no_data", {**prev, **{t: f"no data: {path}" for t, path in missing.items()}})


def record_data_errors(store: RunStore, tasks: list[str], errors: dict[str, str]) -> None:
    """Remember which requested tasks had no readable data (and why); a task planned again clears its entry."""
    previous = store.get_meta("data_errors") or {}
    kept = {t: e for t, e in previous.items() if t not in tasks}
    store.set_meta("data_errors", {**kept, **errors})


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


def image_variants_of(task_id: str, fidelity: str) -> list[str]:
    """The variants of a task that send an image under ``fidelity``."""
    return [v.name for v in get_task(task_id).variants if v.image_mode(fidelity) != TEXT]


def plan_task(
    task_id: str, tree: DataTree, model: ChatModel, cfg: RunConfig
) -> list[tuple[Sample, Request | None, str | None]]:
    """Every sample of every variant of a task, with its request (None when the sample failed to build);
    a text-only run (``cfg.text_only``) plans no variant that sends an image."""
    task = get_task(task_id)
    planned: list[tuple[Sample, Request | None, str | None]] = []
    for variant in task.variants:
        if cfg.text_only and variant.image_mode(cfg.fidelity) != TEXT:
            continue
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


def scoring_apis(task_ids: list[str]) -> list[object]:
    """The remote toxicity backends (Perspective, OpenAI Moderation) the selected tasks would call."""
    from multitrust.engine.dryrun import evaluator_parts
    from multitrust.scoring.classifiers.toxicity import ToxicityEvaluator, _ApiBackend

    found: dict[int, object] = {}
    for tid in task_ids:
        for variant in get_task(tid).variants:
            for part in evaluator_parts(variant.evaluator):
                if isinstance(part, ToxicityEvaluator) and isinstance(part.backend, _ApiBackend):
                    found.setdefault(id(part.backend), part.backend)
    return list(found.values())


def stopped_endpoints(
    model: ChatModel,
    judge: ChatModel | None,
    task_judges: dict[str, ChatModel],
    role_judges: Mapping[str, ChatModel | None] | None = None,
) -> list[dict[str, object]]:
    """Every request shape an endpoint of this run stopped (fail fast), once per adapter: the model under
    test, ``--judge``, per-task judges and the judges of a profile's roles."""
    out: list[dict[str, object]] = []
    seen: set[int] = set()
    roles = [("model under test", model), ("judge", judge), *(("judge", j) for j in task_judges.values())]
    roles += [("judge", j) for j in (role_judges or {}).values()]
    for role, m in [(role, part) for role, x in roles if x is not None for part in remote_parts(x)]:
        if id(m) in seen:
            continue
        seen.add(id(m))
        for stop in m.stopped():
            out.append(
                {
                    "role": role,
                    "model": m.model,
                    "endpoint": m.endpoint,
                    "shape": stop.shape,
                    "cause": stop.cause,
                    "message": stop.message,
                    "count": stop.count,
                }
            )
    return out


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


def _chain(exc: BaseException) -> str:
    """An exception and its causes, one line (``A: text <- B: text``), for the verbose console; the console's
    filter takes credentials out."""
    parts, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


def _undo_lock(lock: RunLock, fresh: bool, created: list[Path]) -> None:
    """Give back a run directory the run never used: its lock file when this run created it (removed while
    still locked, so no other process can be holding it) and the directories made for it, deepest first."""
    if fresh:
        lock.path.unlink(missing_ok=True)
    lock.release()
    for directory in created:
        try:
            directory.rmdir()
        except OSError:
            break  # not empty (or not ours to remove): leave it and everything above it


class Runner:
    def __init__(
        self,
        cfg: RunConfig,
        *,
        progress: ProgressSink | None = None,
        model: ChatModel | None = None,
        judge: ChatModel | None = None,
        preflight: bool = False,
    ) -> None:
        self.cfg = cfg
        self.progress = progress or NullProgress()
        self.model = model
        self.judge = judge
        #: probe every endpoint before planning (:mod:`multitrust.engine.preflight`); the CLI turns it on
        self.preflight = preflight
        # state of the generation pipeline (reset by _pipeline)
        self._task_of: dict[str, str] = {}
        self._first_sent, self._last_done = float("inf"), 0.0
        self._shared: SharedCache | None = None

    async def run(self) -> RunSummary:
        cfg = self.cfg
        started = time.perf_counter()
        out = Path(cfg.out)
        spec = parse_model_spec(cfg.model)  # fail on a bad spec before touching the run dir
        tree = resolve_data(cfg.data, seed=cfg.seed)  # bad data fails before anything is written into out
        require_some_data(tree, cfg.tasks, seed=cfg.seed, fidelity=cfg.fidelity)
        judging = load_judging(
            cfg.judge,
            cfg.task_judges,
            profile=cfg.judge_profile,
            refusal_list=cfg.refusal_list,
            seed=cfg.seed,
            given=self.judge,
        )
        judge, task_judges = judging.judge, judging.task_judges
        model = self.model or load_model(spec, seed=cfg.seed)
        created = [p for p in (out, *out.parents) if not p.exists()]  # what a failed preflight takes back
        lock = RunLock(out, "run")
        fresh_lock = not lock.path.exists()
        try:
            # first: a run directory in use is the first thing a second process hears (before any probe), and
            # the holder keeps it through preflight, so two runs can never both pass and then collide
            lock.acquire()
            if self.preflight:
                try:
                    await preflight(self._probes(model, judging), scoring_apis(cfg.tasks))
                except BaseException:
                    _undo_lock(lock, fresh_lock, created)  # a failed preflight leaves nothing behind
                    raise
            store = RunStore.in_dir(out)
        except BaseException:
            lock.release()
            await self._close_models(model, judging)
            raise
        summary = RunSummary(out, model.spec, {})
        probed = model.image_handling()  # the preflight's probe image: not one of the run's images
        if cfg.text_only:
            summary.not_run = {t: v for t in cfg.tasks if (v := image_variants_of(t, cfg.fidelity))}
        inv = 0
        status = "failed"
        meter = JudgeMeter(self.progress).attach(judging.owned())  # the given judge included
        try:
            check_compatible(store, cfg, model.spec)
            inv = store.begin_invocation("run")
            self._record_config(store, out, model, tree)
            t1, cpu1 = time.perf_counter(), time.process_time()
            await self._pipeline(store, tree, model, summary, cfg.concurrency or model.default_concurrency)
            replica_stats = getattr(model, "replica_stats", None)
            if replica_stats is not None:  # which replica did what: recorded, never part of a hash
                summary.replicas = replica_stats()
                store.set_meta("replicas", summary.replicas)
            # how the images sent were handled (original bytes / downscaled / re-encoded), per image digest
            handling = merge_image_handling(
                [store.get_meta("image_handling"), without_images(model.image_handling(), probed)]
            )
            if handling is not None:
                store.set_meta("image_handling", handling)
            t2 = time.perf_counter()
            summary.phases["plan_and_generate_s"] = t2 - t1
            summary.phases["plan_and_generate_cpu_s"] = time.process_time() - cpu1  # this process's CPU, all threads
            if self._last_done:
                summary.phases["generate_s"] = self._last_done - self._first_sent
            ctx = judging.context(cfg.fidelity)
            planned_tasks = [t for t in cfg.tasks if t not in summary.task_errors and t not in summary.no_data]
            record_data_errors(store, cfg.tasks, summary.task_errors)
            record_scoring(
                store, cfg.fidelity, cfg.refusal_list, cfg.judge, cfg.task_judges, judge_profile=cfg.judge_profile
            )
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
            summary.judges = meter.stats
            summary.phases["score_s"] = time.perf_counter() - t2
            status = "finished"
        except (asyncio.CancelledError, KeyboardInterrupt):
            status = "interrupted"
            raise
        finally:
            self.progress.close()
            summary.stopped = stopped_endpoints(model, judge, task_judges, judging.role_judges)
            if inv:
                # what fail fast stopped in this invocation (the console line; reports may show it)
                store.set_meta("stopped_endpoints", summary.stopped)
                store.end_invocation(
                    inv,
                    status=status,
                    calls_made=summary.calls_made,
                    calls_reused=summary.calls_reused,
                    call_errors=summary.call_errors,
                    judge_calls=max(meter.totals()["calls"], summary.judge_calls),
                    judges=meter.stats,
                )
            meter.detach()
            store.close()
            lock.release()
            await self._close_models(model, judging)
            summary.wall_s = time.perf_counter() - started
        return summary

    def _probes(self, model: ChatModel, judging: Judging) -> list[Probe]:
        """The model under test (with images when a selected variant sends one), then every judge a selected
        task would call: ``--judge``, per-task judges and the judges a profile gives its roles."""
        from multitrust.engine.preflight import judge_probes

        cfg = self.cfg
        images = not cfg.text_only and any(image_variants_of(t, cfg.fidelity) for t in cfg.tasks)
        text_only = cfg.text_only

        def skipped(variant: object) -> bool:
            return text_only and variant.image_mode(cfg.fidelity) != TEXT  # type: ignore[attr-defined]

        judges = judge_probes(cfg.tasks, judging.context(cfg.fidelity), skip_variant=skipped)
        return [Probe("model under test", model, images), *judges]

    async def _close_models(self, model: ChatModel, judging: Judging) -> None:
        """Close the adapters this runner created (not the ones it was given): the model under test and every
        judge, the per-task and profile-role ones included."""
        if self.model is None:
            await model.aclose()
        for j in judging.owned(self.judge):
            await j.aclose()

    def _record_config(self, store: RunStore, out: Path, model: ChatModel, tree: DataTree) -> None:
        if self.cfg.text_only:  # what reports show as "not run" (and why)
            not_run = {t: image_variants_of(t, self.cfg.fidelity) for t in self.cfg.tasks}
            store.set_meta(
                "not_run_variants",
                {"reason": "text-only run (--allow-text-only)", "tasks": {t: v for t, v in not_run.items() if v}},
            )
        else:
            store.set_meta("not_run_variants", None)
        try:
            manifest: Path | None = tree.path("MANIFEST.json")
        except DataError:  # a manifest that points out of the data root is not read
            manifest = None
        data_info = {
            "root": str(tree.root),
            "manifest_sha256": sha256_hex(manifest.read_bytes()) if manifest and manifest.is_file() else None,
        }
        config = {
            "config": redacted_config(self.cfg),
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
        persist_file_hashes()
        summary.no_data = no_data(tree.root, self.cfg.tasks)
        record_no_data(store, self.cfg.tasks, summary.no_data)
        try:
            data = await asyncio.to_thread(data_state, tree.root)
            plans = dict(store.get_meta(PLAN_INPUTS_KEY) or {})
            for tid in self.cfg.tasks:
                if tid in summary.no_data:
                    continue
                fingerprint = plan_fingerprint(tid, data, model, self.cfg)
                if plans.get(tid) == fingerprint:
                    stored = {h: ok for h, ok in store.planned_requests(tid).items() if h not in seen}
                    if all(stored.values()):  # unchanged plan, every request answered: nothing to build or send
                        seen.update(stored)
                        summary.calls_reused += len(stored)
                        summary.plans_reused += 1
                        continue
                if plans.pop(tid, None) is not None:  # forget it before the plan changes (a crash in between)
                    store.set_meta(PLAN_INPUTS_KEY, plans)
                try:
                    planned = await asyncio.to_thread(plan_task, tid, tree, model, self.cfg)
                except DataError as exc:
                    summary.task_errors[tid] = str(exc)
                    continue
                store.replace_task_samples(tid, [(s, None if r is None else r.hash, e) for s, r, e in planned])
                plans[tid] = fingerprint
                store.set_meta(PLAN_INPUTS_KEY, plans)
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
            file_hashes.flush()
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
        if self._shared is not None:
            self._shared.group_commits(asyncio.get_running_loop())
        self._first_sent, self._last_done = float("inf"), 0.0

        def on_retry(request: Request, attempt: int, reason: str) -> None:
            store.note_attempt(request.hash)  # the retry is about to be sent (a replica pool sends it at once)
            store.flush()
            self.progress.retry(self._task_of.get(request.hash, ""))
            log.info("retry: %s request %s, attempt %d failed: %s", self._task_of.get(request.hash, "?"),
                     request.hash[:12], attempt, reason)  # fmt: skip

        model.on_retry = on_retry
        with store.group_commits():
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
            store.note_attempt(item.request.hash)
            await store.durable()  # the attempt is committed before the request is sent
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
                log.info("%s request %s: %s", item.task, item.request.hash[:12], _chain(exc))
                gen = Generation(
                    item.request.hash,
                    model.spec,
                    None,
                    latency_s=time.perf_counter() - t0,
                    error=redact_text(f"{type(exc).__name__}: {exc}"),  # an SDK's text may quote a URL or a key
                )
            if gen.error is not None:
                log.info("%s request %s failed after %s attempt(s): %s", item.task, item.request.hash[:12],
                            gen.attempts, gen.error)  # fmt: skip
            store.put_generation(gen)
            if self._shared is not None and gen.ok and shareable(model, item.request):
                self._shared.put(gen)
            self._last_done = time.perf_counter()
            summary.calls_made += 1
            if not gen.ok:
                summary.call_errors += 1
            self.progress.advance(item.task, error=not gen.ok)
