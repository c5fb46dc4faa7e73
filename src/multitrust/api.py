"""The Python API that the CLI wraps: ``run``, ``score``, ``report``, ``build_data``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from multitrust.core.errors import StoreError
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
            invocations=invocations,
        )


def report(run_dirs: Sequence[str | Path], *, json_path: str | Path | None = None) -> dict[str, Any]:
    """Build the JSON report of one or more runs, optionally writing it to ``json_path``."""
    data = build_report([load_results(d) for d in run_dirs])
    if json_path is not None:
        Path(json_path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data


def build_data(out: str | Path, *, seed: int = 0, tasks: Sequence[str] | None = None) -> dict[str, Any]:
    """Write the built-in data tree (official layout) to ``out``."""
    from multitrust.data.builtin import build_tree

    return build_tree(Path(out), seed=seed, tasks=tasks)
