"""The Python API that the CLI wraps: ``run``, ``score``, ``report``, ``build_data``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from multitrust.core.errors import StoreError
from multitrust.core.taxonomy import in_task_order
from multitrust.core.types import Sample, Verdict
from multitrust.engine.config import RunConfig
from multitrust.engine.progress import ProgressSink
from multitrust.engine.runner import Runner, RunSummary, load_judges, record_scoring
from multitrust.engine.scorer import ScoreStats, score_tasks
from multitrust.engine.store import RunStore
from multitrust.report.run_report import RunResults, build_report
from multitrust.scoring.base import EvalContext, Fidelity


def run(cfg: RunConfig, *, progress: ProgressSink | None = None) -> RunSummary:
    """Generate, judge and score ``cfg.tasks`` for ``cfg.model``; resumes if ``cfg.out`` holds the run."""
    return asyncio.run(Runner(cfg, progress=progress).run())


def score(
    run_dir: str | Path,
    *,
    fidelity: Fidelity | None = None,
    refusal_list: str | None = None,
    judge: str | None = None,
    task_judges: dict[str, str] | None = None,
    progress: ProgressSink | None = None,
    concurrency: int = 16,
) -> ScoreStats:
    """Re-judge and re-score a finished run from its stored generations; never calls the model under test.

    Settings not given are taken from how the run was last scored. Only verdicts whose evaluator
    fingerprint changed (another judge, fidelity or evaluator version) are recomputed."""
    return asyncio.run(_score(run_dir, fidelity, refusal_list, judge, task_judges, progress, concurrency))


async def _score(run_dir, fidelity, refusal_list, judge, task_judges, progress, concurrency) -> ScoreStats:  # type: ignore[no-untyped-def]
    with RunStore.open_existing(run_dir) as store:
        config = (store.get_meta("config") or {}).get("config", {})
        last = store.get_meta("scoring") or {}
        judge_spec = judge if judge is not None else last.get("judge", config.get("judge"))
        per_task = task_judges if task_judges is not None else last.get("task_judges", config.get("task_judges"))
        default_judge, judges = load_judges(judge_spec, per_task or {}, seed=int(config.get("seed", 0)))
        ctx = EvalContext(
            fidelity=fidelity or last.get("fidelity") or config.get("fidelity", "fixed"),
            refusal_list=refusal_list if refusal_list is not None else last.get("refusal_list"),
            judge=default_judge,
            task_judges=judges,
        )
        record_scoring(store, ctx.fidelity, ctx.refusal_list, judge_spec, dict(per_task or {}))
        inv = store.begin_invocation("score")
        status = "failed"
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
            status = "finished"
        finally:
            store.end_invocation(inv, status=status, judge_calls=ctx.counters.get("judge_calls", 0))
            for j in {id(x): x for x in (default_judge, *judges.values()) if x is not None}.values():
                await j.aclose()
        return stats


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
        return RunResults(
            run_dir=str(run_dir),
            model=(meta.get("model") or {}).get("spec", cfg.get("model", "?")),
            seed=int(cfg.get("seed", 0)),
            fidelity=str((store.get_meta("scoring") or cfg).get("fidelity", "fixed")),
            data=meta.get("data", {}),
            scores=scores,
            calls_made=counts["answered"] + counts["failed"],
            calls_reused=(runs_only[-1]["calls_reused"] or 0) if runs_only else 0,
            call_errors=counts["failed"],
            calls_from_other_runs=counts["shared"],
            invocations=invocations,
            replicas=store.get_meta("replicas"),
        )


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
    if json_path is not None:
        export.write_json(data, json_path)
    if csv_path is not None:
        export.write_csv(data, csv_path)
    if samples_path is not None:
        export.write_samples_jsonl((s for d in run_dirs for s in export_samples(d)), samples_path)
    if html_path is not None:
        from multitrust.report.html import write_html

        samples = [s for d in run_dirs for s in export_samples(d)]
        write_html(data, html_path, samples, redact=redact, max_samples_per_run=max_samples)
    return data


def _outcome(sample: Sample, verdict: Verdict | None, error: str | None) -> str:
    """correct / incorrect (the task's per-sample outcome), refused (a refusal part fired), error, or scored."""
    from multitrust.engine.scorer import outcome
    from multitrust.tasks.registry import IMPLEMENTED

    if error or verdict is None:
        return "error" if error else "scored"
    if not verdict.ok:
        return "error"
    task = IMPLEMENTED.get(sample.task)
    if isinstance(verdict.value, dict) and (task is None or task.outcome is None):
        return "refused" if verdict.value.get("refusal") else "scored"
    ok = (task.outcome if task is not None and task.outcome else outcome)(sample, verdict.value)
    return "scored" if ok is None else ("correct" if ok else "incorrect")


def export_samples(run_dir: str | Path) -> Iterator[dict[str, Any]]:
    """One dict per planned sample: prompt, images, target, response or generation error, and the latest
    stored verdict (schema: docs/report-schema.md)."""
    with RunStore.open_existing(run_dir) as store:
        model = ((store.get_meta("config") or {}).get("model") or {}).get("spec", "?")
        latest = store.latest_judgements()
        for task_id in store.tasks():
            stored = list(store.samples(task_id))
            gens = store.generations(s.request_hash for s in stored if s.request_hash)
            for st in stored:
                s = st.sample
                gen = gens.get(st.request_hash) if st.request_hash else None
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
                    "outcome": _outcome(s, verdict, error),
                }


def build_data(out: str | Path, *, seed: int = 0, tasks: Sequence[str] | None = None) -> dict[str, Any]:
    """Write the built-in data tree (official layout) to ``out``."""
    from multitrust.data.builtin import build_tree

    return build_tree(Path(out), seed=seed, tasks=tasks)
