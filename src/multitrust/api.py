"""The Python API that the CLI wraps: ``run``, ``score``, ``report``, ``build_data``."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from multitrust.core.errors import StoreError
from multitrust.core.redact import redact_spec
from multitrust.core.taxonomy import in_task_order
from multitrust.core.types import Sample, Verdict
from multitrust.data.locate import cache_root
from multitrust.engine.config import RunConfig
from multitrust.engine.judging import JudgeMeter
from multitrust.engine.progress import ProgressSink
from multitrust.engine.runner import Runner, RunSummary, record_scoring
from multitrust.engine.scorer import ScoreStats, load_judging, score_tasks
from multitrust.engine.store import RunLock, RunStore
from multitrust.report.run_report import RunResults, build_report
from multitrust.report.states import Failure
from multitrust.scoring.base import Fidelity

log = logging.getLogger(__name__)


def run(cfg: RunConfig, *, progress: ProgressSink | None = None, preflight: bool = True) -> RunSummary:
    """Generate, judge and score ``cfg.tasks`` for ``cfg.model``; resumes if ``cfg.out`` holds the run.

    ``preflight`` (on by default, as on the command line) probes every remote endpoint the run will call
    — the model under test, ``--judge``, per-task judges and every judge a profile gives a role — and raises
    :class:`~multitrust.engine.preflight.PreflightError` (one line per endpoint) before any work. A probe
    costs a models listing and a 1-token completion per endpoint; ``preflight=False`` skips it (``run
    --no-preflight``)."""
    return asyncio.run(Runner(cfg, progress=progress, preflight=preflight).run())


#: ``score --judge offline`` (and ``--refusal-list default``): back to the documented defaults
OFFLINE = "offline"
DEFAULT = "default"


@dataclass
class ScoreResult(ScoreStats):
    """What a (re-)scoring did, and with which settings it did it."""

    judge: str | None = None
    task_judges: dict[str, str] = field(default_factory=dict)
    fidelity: str = "fixed"
    refusal_list: str | None = None
    #: judge spec → {"calls", "retries", "failed"}
    judges: dict[str, dict[str, int]] = field(default_factory=dict)
    interrupted: bool = False


def score(
    run_dir: str | Path,
    *,
    fidelity: Fidelity | None = None,
    refusal_list: str | None = None,
    judge: str | None = None,
    task_judges: dict[str, str] | None = None,
    progress: ProgressSink | None = None,
    concurrency: int = 16,
    judge_profile: str | None = None,
    preflight: bool = True,
) -> ScoreResult:
    """Re-judge and re-score a finished run from its stored generations; never calls the model under test.

    Settings not given are taken from how the run was last scored. ``judge="offline"`` (or ``""``; with no
    ``task_judges``, for the per-task judges too) and ``refusal_list="default"`` go back to the offline judges
    and the fidelity mode's own keyword list; ``judge_profile`` maps judging roles to judges (a packaged
    profile name or a YAML file). Only verdicts whose evaluator fingerprint changed (another judge, fidelity
    or evaluator version) are recomputed. ``preflight`` (on by default) first probes the remote judges the
    scoring will call — only those with verdicts still to compute, so a fully cached re-score sends nothing —
    and raises :class:`~multitrust.engine.preflight.PreflightError` before any judgement."""
    return asyncio.run(
        _score(run_dir, fidelity, refusal_list, judge, task_judges, progress, concurrency, judge_profile, preflight)
    )


def _settings(given: str | None, last: str | None, *, reset: str) -> str | None:
    if given is None:
        return last
    return None if given in ("", reset) else given


async def _score(  # type: ignore[no-untyped-def]
    run_dir, fidelity, refusal_list, judge, task_judges, progress, concurrency, judge_profile=None, preflight=True
) -> ScoreResult:
    RunStore.require_run_dir(run_dir)  # "not a run directory" before a lock file is created there
    with RunLock(run_dir, "score"), RunStore.open_existing(run_dir) as store:
        config = (store.get_meta("config") or {}).get("config", {})
        last = store.get_meta("scoring") or {}
        judge_spec = _settings(judge, last.get("judge", config.get("judge")), reset=OFFLINE)
        if task_judges is None and judge in ("", OFFLINE):
            task_judges = {}  # back to the offline judges everywhere
        per_task = task_judges if task_judges is not None else last.get("task_judges", config.get("task_judges"))
        per_task = {t: j for t, j in (per_task or {}).items() if j not in ("", OFFLINE)}
        profile = judge_profile if judge_profile is not None else last.get("judge_profile", config.get("judge_profile"))
        judging = load_judging(
            judge_spec,
            per_task,
            profile=profile,
            refusal_list=_settings(refusal_list, last.get("refusal_list"), reset=DEFAULT),
            seed=int(config.get("seed", 0)),
        )
        ctx = judging.context(fidelity or last.get("fidelity") or config.get("fidelity", "fixed"))
        log.info(
            "score: fidelity %s, judge %s, per-task judges %s, profile %s", ctx.fidelity, redact_spec(judge_spec),
            {t: redact_spec(j) for t, j in per_task.items()} or "none", profile or "none",
        )  # fmt: skip
        if preflight:
            await _preflight_judges(store, ctx, judging)
        inv = store.begin_invocation("score")
        status = "failed"
        meter = JudgeMeter(progress).attach(judging.owned())
        try:
            stats = await score_tasks(
                store,
                store.tasks(),
                ctx,
                concurrency=concurrency,
                progress=progress,
                seed=int(config.get("seed", 0)),
                bootstrap=int(config.get("bootstrap", 200)),
            )
            # remembered only once the scoring is done, so an interrupted or failed one is not sticky
            record_scoring(store, ctx.fidelity, ctx.refusal_list, judge_spec, dict(per_task), judge_profile=profile)
            status = "finished"
        except (asyncio.CancelledError, KeyboardInterrupt):
            status = "interrupted"
            raise
        finally:
            if progress is not None:
                progress.close()
            store.end_invocation(
                inv,
                status=status,
                judge_calls=max(ctx.counters.get("judge_calls", 0), meter.totals()["calls"]),
                judges=meter.stats,
            )
            meter.detach()
            for j in judging.owned():
                await j.aclose()
        return ScoreResult(
            **{f.name: getattr(stats, f.name) for f in fields(ScoreStats)},
            judge=redact_spec(judge_spec),  # printed by the CLI: never the credentials of a judge URL
            task_judges={t: redact_spec(j) for t, j in per_task.items()},
            fidelity=ctx.fidelity,
            refusal_list=ctx.refusal_list,
            judges=meter.stats,
        )


async def _preflight_judges(store: RunStore, ctx: Any, judging: Any) -> None:
    """Probe the judges a scoring will call before any judgement; on failure close them and raise."""
    from multitrust.engine.preflight import pending_judge_probes
    from multitrust.engine.preflight import preflight as probe

    try:
        probes, apis = pending_judge_probes(store, store.tasks(), ctx)
        if probes or apis:
            await probe(probes, apis)
    except BaseException:
        for j in judging.owned():
            await j.aclose()
        raise


def compare_fidelity(run_dir: str | Path, *, concurrency: int = 16) -> dict[str, dict[str, float | None]]:
    """Score the run in both fidelity modes and return ``{task: {"fixed": x, "paper": y}}``: what the
    original's bugs change on this run's own answers. Verdicts of both modes are stored, so this costs rule
    work (and judge calls for judge-scored tasks), never a call to the model under test; the run is left
    scored in the mode it had."""
    with RunStore.open_existing(run_dir) as store:
        last = (store.get_meta("scoring") or {}).get("fidelity", "fixed")
    both = {mode: score(run_dir, fidelity=mode, concurrency=concurrency) for mode in ("paper", "fixed")}  # type: ignore[arg-type]
    if last != "fixed":
        score(run_dir, fidelity=last, concurrency=concurrency)
    tasks = in_task_order([*both["fixed"].by_task, *both["paper"].by_task])
    return {
        t: {mode: (both[mode].by_task[t].score if t in both[mode].by_task else None) for mode in ("fixed", "paper")}
        for t in tasks
    }


def load_results(run_dir: str | Path) -> RunResults:
    """Read a run directory into plain report data."""
    with RunStore.open_existing(run_dir) as store:
        meta = store.get_meta("config") or {}
        cfg = meta.get("config", {})
        invocations = store.invocations()
        scores = store.scores()
        if not scores:
            raise StoreError(
                f"{run_dir}: the run has no scores yet (finish it with `multitrust run`, or `multitrust score`)"
            )
        runs_only = [i for i in invocations if i["command"] == "run"]
        counts = store.generation_counts()
        requested = cfg.get("tasks")
        return RunResults(
            run_dir=str(run_dir),
            model=(meta.get("model") or {}).get("spec", cfg.get("model", "?")),
            seed=int(cfg.get("seed", 0)),
            fidelity=str((store.get_meta("scoring") or cfg).get("fidelity", "fixed")),
            data=meta.get("data", {}),
            scores=scores,
            calls_made=counts["sent"],  # as the server saw them: retries and calls lost to a kill included
            calls_reused=(runs_only[-1]["calls_reused"] or 0) if runs_only else 0,
            call_errors=counts["failed"],
            calls_from_other_runs=counts["shared"],
            invocations=invocations,
            replicas=store.get_meta("replicas"),
            image_handling=store.get_meta("image_handling"),
            no_data=dict(store.get_meta("no_data") or {}),
            requested=[*requested, *(t for t in scores if t not in requested)] if requested else None,
            data_errors=dict(store.get_meta("data_errors") or {}),
            failures=collect_failures(store),
            not_run=dict((store.get_meta("not_run_variants") or {}).get("tasks") or {}),
            judges=judge_totals(invocations),
        )


def judge_totals(invocations: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Judge calls, retries and failures per judge spec, summed over a run's invocations."""
    out: dict[str, dict[str, int]] = {}
    for inv in invocations:
        for spec, counts in (inv.get("judges") or {}).items():
            acc = out.setdefault(spec, {"calls": 0, "retries": 0, "failed": 0})
            for key in acc:
                acc[key] += int(counts.get(key, 0) or 0)
    return out


def collect_failures(store: RunStore) -> list[Failure]:
    """Every sample of the current plan that failed, and why: a sample that could not be built, a failed
    (or never answered) model call, or a failed judge call on its answer (the verdict the last scoring used)."""
    judge_errors = store.latest_judge_errors()
    out: list[Failure] = []
    rows = store.db.execute(
        "SELECT s.task, s.variant, s.id, s.error, s.request_hash, g.request_hash, g.error, g.text FROM samples s "
        "LEFT JOIN generations g ON g.request_hash = s.request_hash ORDER BY s.task, s.seq"
    )
    for task, variant, sid, build_error, rh, gen_hash, gen_error, text in rows:
        if build_error:
            out.append(Failure(task, variant, sid, "build", str(build_error).removeprefix(f"{sid}: ")))
        elif rh is None or gen_hash is None:
            out.append(Failure(task, variant, sid, "model", "not generated yet (the run stopped before it)"))
        elif gen_error or text is None:
            out.append(Failure(task, variant, sid, "model", str(gen_error or "empty reply")))
        elif sid in judge_errors:
            out.append(Failure(task, variant, sid, "judge", judge_errors[sid]))
    return out


def report(
    run_dirs: Sequence[str | Path],
    *,
    json_path: str | Path | None = None,
    html_path: str | Path | None = None,
    csv_path: str | Path | None = None,
    samples_path: str | Path | None = None,
    compare_published: bool = False,
    redact: bool = False,
    max_samples: int = 2000,
) -> dict[str, Any]:
    """Build the report of one or more runs and write the requested exports."""
    from multitrust.report import export

    data = build_report([load_results(d) for d in run_dirs], compare_published=compare_published)
    for kind, path in (("JSON", json_path), ("CSV", csv_path), ("samples JSONL", samples_path), ("HTML", html_path)):
        if path is not None:
            log.info("report: writing %s to %s", kind, path)
    if json_path is not None:
        export.write_json(data, json_path)
    if csv_path is not None:
        export.write_csv(data, csv_path)
    if samples_path is not None:
        export.write_samples_jsonl((s for d in run_dirs for s in export_samples(d)), samples_path)
    if html_path is not None:
        from multitrust.report.html import sample_quota, write_html

        samples: list[dict[str, Any]] = []
        totals: dict[str, int] = {}
        for d in run_dirs:  # only the samples the page keeps are read; it still says how many there are
            with RunStore.open_existing(d) as store:
                counts = store.sample_count()
            totals[str(d)] = sum(counts.values())
            samples.extend(export_samples(d, per_task=sample_quota(counts, max_samples)))
        write_html(
            data,
            html_path,
            samples,
            redact=redact,
            max_samples_per_run=max_samples,
            sample_totals=totals,
            template_cache=cache_root() / "templates",
        )
    return data


def _outcome(
    sample: Sample, verdict: Verdict | None, error: str | None, evaluator: str | None = None
) -> dict[str, str]:
    """The sample's outcome for the sample browser: favourable / unfavourable / neutral (from the task's own
    polarity), error (generation or judging failed) or unscored (no usable verdict); the badge's word; and the
    verdict in words."""
    from multitrust.tasks.outcomes import sample_badge, verdict_words
    from multitrust.tasks.registry import IMPLEMENTED

    if error:
        return {"outcome": "error", "badge": "error", "verdict_text": "not judged: the answer failed"}
    if verdict is None:
        return {"outcome": "unscored", "badge": "not judged", "verdict_text": "not judged yet"}
    if not verdict.ok:
        return {"outcome": "error", "badge": "judge failed", "verdict_text": f"judge failed: {verdict.error}"}
    if verdict.value is None:
        why = getattr(verdict, "unscored", None) or "no verdict"
        return {"outcome": "unscored", "badge": "unscored", "verdict_text": f"unscored: {why}"}
    task = IMPLEMENTED.get(sample.task)
    badge = sample_badge(sample, verdict.value, task.outcome if task is not None else None)
    words = verdict_words(sample, verdict.value, verdict.backend, evaluator)
    return {"outcome": badge.outcome, "badge": badge.word, "verdict_text": words}


def export_samples(
    run_dir: str | Path, *, per_task: Mapping[str, int] | None = None, batch: int = 500
) -> Iterator[dict[str, Any]]:
    """One dict per planned sample: prompt, images, target, response or generation error, the latest
    stored verdict, its outcome and words, and the PII the record planted (schema: docs/report-schema.md).

    Streams: samples and generations come from one query per task, verdicts ``batch`` samples at a time, so
    a large run is never held whole. ``per_task`` (task → n) reads only the first n samples of each task (in
    plan order) and leaves out the tasks it does not name."""
    from multitrust.tasks.outcomes import planted_pii

    with RunStore.open_existing(run_dir) as store:
        model = ((store.get_meta("config") or {}).get("model") or {}).get("spec", "?")
        for task_id in store.tasks():
            limit = None if per_task is None else per_task.get(task_id, 0)
            if limit == 0:
                continue
            rows = store.samples_with_generations(task_id, limit=limit)
            while chunk := list(itertools.islice(rows, batch)):
                latest = store.latest_judgements(st.sample.id for st, _ in chunk)
                for st, gen in chunk:
                    s = st.sample
                    judgement = latest.get(s.id)
                    verdict = judgement.verdict if judgement is not None else None
                    error = st.error or (gen.error if gen is not None else "not generated yet")
                    yield {
                        "run": str(run_dir),
                        "model": model,
                        "task": s.task,
                        "variant": s.variant,
                        "sample_id": s.id,
                        "subset": s.subset,
                        "prompt": s.prompt,
                        "images": [im.path for im in s.images],
                        "target": s.target,
                        "response": gen.text if gen is not None else None,
                        "generation_error": error,
                        "verdict": verdict.value if verdict is not None else None,
                        "verdict_raw": verdict.raw if verdict is not None else None,
                        "backend": verdict.backend if verdict is not None else None,
                        "judge_error": verdict.error if verdict is not None else None,
                        **_outcome(s, verdict, error, judgement.evaluator if judgement is not None else None),
                        "pii": [list(p) for p in planted_pii(s)] if s.task.startswith("P.") else [],
                        "unscored": verdict.unscored if verdict is not None else None,
                    }


def build_data(out: str | Path, *, seed: int = 0, tasks: Sequence[str] | None = None) -> dict[str, Any]:
    """Write the built-in data tree (official layout) to ``out``."""
    from multitrust.data.builtin import build_tree

    return build_tree(Path(out), seed=seed, tasks=tasks)
