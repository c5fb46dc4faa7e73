"""Sweeps: models × tasks from one YAML, locally and as Ray tasks on a local Ray cluster."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from multitrust import api
from multitrust.cli import app
from multitrust.core.errors import DataError, SpecError
from multitrust.engine.config import RunConfig
from multitrust.engine.store import RunStore
from multitrust.engine.sweep import SWEEP_RECORD, load_sweep, plan_shards, run_dirs, run_sweep
from multitrust.testing.server import start_server

pytestmark = pytest.mark.timeout(300)

MODELS = ["scripted:refuse", "scripted:random"]
TASKS = ["T.6", "F.2", "S.4"]


def write_sweep(path: Path, **settings: object) -> Path:
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def scores(run_dir: Path) -> dict[str, float | None]:
    with RunStore.open_existing(run_dir) as store:
        return {tid: ts.score for tid, ts in store.scores().items()}


def single_process(tree: Path, tmp: Path, model: str, tasks: list[str], **kw: object) -> dict[str, float | None]:
    out = tmp / "single" / model.replace(":", "-")
    api.run(RunConfig(model=model, tasks=tasks, data=str(tree), out=str(out), limit=2, bootstrap=20, **kw))
    return scores(out)


def test_local_sweep_runs_every_model_and_reports_them_together(builtin_tree: Path, tmp_path: Path) -> None:
    sweep = write_sweep(
        tmp_path / "sweep.yaml",
        out=str(tmp_path / "out"),
        models=MODELS,
        tasks=",".join(TASKS),
        data=str(builtin_tree),
        limit=2,
        bootstrap=20,
    )
    report = run_sweep(sweep)
    assert [r["model"] for r in report["runs"]] == ["scripted:refuse", "scripted:random#seed=0"]
    for model, run in zip(MODELS, report["runs"], strict=True):
        want = single_process(builtin_tree, tmp_path, model, TASKS)
        assert {t: v["score"] for t, v in run["tasks"].items()} == want
    assert (tmp_path / "out" / "report.html").is_file() and (tmp_path / "out" / "report.json").is_file()
    assert "rank_swaps" in report  # two models: rank stability between them
    # resuming the finished sweep sends nothing again
    again = run_sweep(sweep)
    assert all(s["calls_made"] == 0 for s in again["shards"])


def test_shard_by_task_merges_into_one_run_per_model(builtin_tree: Path, tmp_path: Path) -> None:
    sweep = write_sweep(
        tmp_path / "sweep.yaml",
        out=str(tmp_path / "out"),
        models=MODELS[:1],
        tasks=TASKS,
        data=str(builtin_tree),
        limit=2,
        bootstrap=20,
        shard_by="task",
    )
    config, _ = load_sweep(sweep)
    shards = plan_shards(config)
    assert [s.config["tasks"] for s in shards] == [["T.6"], ["S.4"], ["F.2"]]  # taxonomy order: T, S, R, F, P
    report = run_sweep(sweep)
    (run_dir,) = run_dirs(config).values()
    assert scores(run_dir) == single_process(builtin_tree, tmp_path, MODELS[0], TASKS)
    assert report["runs"][0]["run_dir"] == str(run_dir)


def test_env_interpolation_is_never_written_back(
    builtin_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MT_SWEEP_MODEL", "scripted:yes")
    sweep = write_sweep(
        tmp_path / "sweep.yaml",
        out=str(tmp_path / "out"),
        models=["${MT_SWEEP_MODEL}"],
        tasks="T.6",
        data=str(builtin_tree),
        limit=1,
        bootstrap=0,
    )
    report = run_sweep(sweep)
    assert report["runs"][0]["model"] == "scripted:yes"
    record = json.loads((tmp_path / "out" / SWEEP_RECORD).read_text(encoding="utf-8"))
    assert record["sweep"]["models"] == ["${MT_SWEEP_MODEL}"]
    monkeypatch.delenv("MT_SWEEP_MODEL")
    with pytest.raises(SpecError, match="MT_SWEEP_MODEL is not set"):
        load_sweep(sweep)


def test_bad_sweep_files_are_one_line_errors(tmp_path: Path) -> None:
    bad = write_sweep(tmp_path / "bad.yaml", out="x", models=[], tasks="all")
    with pytest.raises(DataError, match=r"models: .*at least 1"):
        load_sweep(bad)
    unknown = write_sweep(tmp_path / "unknown.yaml", out="x", models=["scripted:yes"], colour="red")
    with pytest.raises(DataError, match="colour"):
        load_sweep(unknown)
    result = CliRunner().invoke(app, ["sweep", str(unknown)])
    assert result.exit_code == 2 and "colour" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------------------------------------ Ray

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs the ray extra")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    try:
        yield
    finally:
        ray.shutdown()


@needs_ray
def test_ray_sweep_equals_single_process_runs(ray_cluster: None, builtin_tree: Path, tmp_path: Path) -> None:
    from multitrust.engine.executors import ray_executor

    sweep = write_sweep(
        tmp_path / "sweep.yaml",
        out=str(tmp_path / "out"),
        models=MODELS,
        tasks=TASKS,
        data=str(builtin_tree),
        limit=2,
        bootstrap=20,
        shard_by="task",
    )
    report = run_sweep(sweep, executor=ray_executor())
    assert len(report["shards"]) == len(MODELS) * len(TASKS)
    assert len({s["id"] for s in report["shards"]}) == len(report["shards"])
    pids = {s["id"]: int((Path(s["out"]) / "worker.pid").read_text()) for s in report["shards"]}
    assert os.getpid() not in pids.values()  # the shards really ran in Ray workers
    for model, run in zip(MODELS, report["runs"], strict=True):
        assert {t: v["score"] for t, v in run["tasks"].items()} == single_process(builtin_tree, tmp_path, model, TASKS)


@needs_ray
def test_killed_worker_shard_is_retried_and_resumes(ray_cluster: None, builtin_tree: Path, tmp_path: Path) -> None:
    """SIGKILL the worker of a shard mid-way: Ray retries the shard, which resumes from its store — the
    result is complete and duplicate-free, and no request that was answered before the kill is sent again."""
    from multitrust.engine.executors import ray_executor

    with start_server(latency_ms=150, reply="yes") as server:
        model = f"openai-compat:{server.url}@m"
        sweep = write_sweep(
            tmp_path / "sweep.yaml",
            out=str(tmp_path / "out"),
            models=[model],
            tasks=["T.6"],
            data=str(builtin_tree),
            bootstrap=0,
            concurrency=1,
            shared_cache=False,
            shard_by="task",
        )
        config, _ = load_sweep(sweep)
        (shard,) = plan_shards(config)
        shard_dir = Path(shard.config["out"])
        outcome: dict[str, object] = {}
        worker = threading.Thread(target=lambda: outcome.update(report=run_sweep(sweep, executor=ray_executor())))
        worker.start()
        deadline = time.monotonic() + 120
        killed = None
        while killed is None and time.monotonic() < deadline:
            pid_file, store_file = shard_dir / "worker.pid", shard_dir / "run.sqlite"
            if pid_file.is_file() and store_file.is_file():
                with RunStore.open_existing(shard_dir) as store:
                    answered = store.generation_counts()["answered"]
                if answered >= 3:
                    killed = int(pid_file.read_text())
                    os.kill(killed, signal.SIGKILL)
            time.sleep(0.05)
        assert killed is not None, "the shard never got going"
        worker.join(timeout=180)
        assert not worker.is_alive()
        report = outcome["report"]
        assert int((shard_dir / "worker.pid").read_text()) != killed  # a new worker finished the shard
        run_dir = Path(report["runs"][0]["run_dir"])
        with RunStore.open_existing(run_dir) as store:
            planned = [s for s in store.samples() if s.request_hash]
            counts = store.generation_counts()
        hashes = {s.request_hash for s in planned}
        assert counts["answered"] == len(hashes) and counts["failed"] == 0  # complete
        sent = server.stats()["chat_requests"]
        # every request sent once, except the one in flight when the worker died (concurrency 1)
        assert len(hashes) <= sent <= len(hashes) + 1
        assert report["runs"][0]["tasks"]["T.6"]["score"] is not None
