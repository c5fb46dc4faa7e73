"""Sweeps: many models (× seeds) × tasks from one YAML file, run locally or fanned out over a Ray cluster.

A sweep is split into *shards*, each a normal run of the ordinary runner with its own store: one shard per
model and seed (``shard_by: model``), or one per model, seed and task (``shard_by: task``) so a cluster can
spread one model's tasks. Shards of one run are merged by request hash (:mod:`multitrust.engine.merge`)
into the model's run directory, which is then scored and reported; one combined report ranks the models
with rank stability. Re-running a sweep resumes every shard from its store.

``${VAR}`` in any string of the file is replaced by the environment variable when the sweep runs; the sweep
record written to ``sweep.json`` keeps the ``${VAR}`` text, so interpolated values are never written back.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from multitrust.core.errors import DataError, SpecError
from multitrust.core.redact import redact_spec, redact_tree
from multitrust.scoring.base import Fidelity

SWEEP_RECORD = "sweep.json"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SweepConfig(BaseModel):
    """What a sweep runs: every model × seed on the tasks, with one set of run settings."""

    model_config = ConfigDict(extra="forbid")

    out: str = Field(description="output root: one run directory per model (and seed) below it")
    models: list[str] = Field(min_length=1, description="model specs")
    tasks: str | list[str] = Field(default="all", description="task selector or list of task ids")
    data: str = "builtin"
    limit: int | None = Field(default=None, ge=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    fidelity: Fidelity = "fixed"
    judge: str | None = None
    task_judges: dict[str, str] = Field(default_factory=dict)
    refusal_list: str | None = None
    concurrency: int | None = Field(default=None, ge=1, le=4096)
    bootstrap: int = Field(default=200, ge=0, le=10000)
    max_tokens: int | None = Field(default=None, ge=1)
    shared_cache: bool = True
    shard_by: Literal["model", "task"] = Field(
        default="model", description="one shard per model and seed, or per model, seed and task"
    )

    @field_validator("models")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a model is listed twice")
        return v


class Shard(BaseModel):
    """One unit of work: a run configuration (a :class:`RunConfig` as a dict) and the run it belongs to."""

    id: str
    run_dir: str
    config: dict[str, Any]
    gpu: bool = False


def interpolate(value: Any, env: dict[str, str] | None = None) -> Any:
    """``${VAR}`` → the environment variable's value, in every string of a loaded YAML document; a
    variable that is not set is an error naming it."""
    env = os.environ if env is None else env
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in env:
                raise SpecError(f"sweep: environment variable {name} is not set (used as ${{{name}}})")
            return env[name]

        return _VAR.sub(sub, value)
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    return value


def load_sweep(path: str | Path) -> tuple[SweepConfig, dict[str, Any]]:
    """The validated sweep (variables expanded) and the document as written (``${VAR}`` kept)."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read sweep file ({exc.strerror})", path=str(p)) from None
    except yaml.YAMLError as exc:
        raise DataError(f"malformed YAML ({type(exc).__name__})", path=str(p)) from None
    if not isinstance(raw, dict):
        raise DataError("a sweep file must be a mapping of settings", path=str(p))
    try:
        config = SweepConfig.model_validate(interpolate(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise DataError(f"{where}: {first['msg']}", path=str(p)) from None
    return config, raw


def slug(spec: str) -> str:
    """A directory name for a model spec: readable, filesystem-safe, unique (a short hash of the spec).
    Credentials typed into the spec never reach the name (nor its hash)."""
    spec = str(redact_spec(spec))
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", spec.split("?", 1)[0]).strip("-.")[:60] or "model"
    return f"{text}-{hashlib.sha256(spec.encode()).hexdigest()[:8]}"


def needs_gpu(spec: str) -> bool:
    return spec.split(":", 1)[0] in ("hf", "vllm")


def run_dirs(config: SweepConfig) -> dict[tuple[str, int], Path]:
    """(model, seed) → its run directory under ``out``."""
    root = Path(config.out)
    many = len(config.seeds) > 1
    return {
        (m, seed): root / slug(m) / f"seed-{seed}" if many else root / slug(m)
        for m in config.models
        for seed in config.seeds
    }


def plan_shards(config: SweepConfig) -> list[Shard]:
    """The shards of a sweep, in a stable order."""
    from multitrust.tasks.registry import select_tasks

    selector = config.tasks if isinstance(config.tasks, str) else ",".join(config.tasks)
    tasks = select_tasks(selector)
    settings = config.model_dump(exclude={"out", "models", "tasks", "seeds", "shard_by"})
    shards = []
    for (model, seed), run_dir in run_dirs(config).items():
        base = {**settings, "model": model, "seed": seed}
        if config.shard_by == "model":
            shards.append(
                Shard(
                    id=f"{slug(model)}/seed-{seed}",
                    run_dir=str(run_dir),
                    config={**base, "tasks": tasks, "out": str(run_dir)},
                    gpu=needs_gpu(model),
                )
            )
            continue
        for tid in tasks:
            out = run_dir / "shards" / tid
            shards.append(
                Shard(
                    id=f"{slug(model)}/seed-{seed}/{tid}",
                    run_dir=str(run_dir),
                    config={**base, "tasks": [tid], "out": str(out)},
                    gpu=needs_gpu(model),
                )
            )
    return shards


def run_shard(shard: dict[str, Any]) -> dict[str, Any]:
    """Run one shard with the ordinary runner (resuming from its store) and return a small summary. This
    is what an executor calls, in this process or in a Ray worker; it writes ``worker.pid`` first so an
    operator (or a test) can see which process holds the shard."""
    from multitrust import api
    from multitrust.engine.config import RunConfig

    cfg = RunConfig.model_validate(shard["config"])
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "worker.pid").write_text(f"{os.getpid()}\n", encoding="utf-8")
    # as before the Python API probed by default: a sweep's many shards share their endpoints, and a probe per
    # shard would only repeat itself (a sweep-wide preflight would be the place for one)
    summary = api.run(cfg, preflight=False)
    return {
        "id": shard["id"],
        "out": str(out),
        "calls_made": summary.calls_made,
        "calls_reused": summary.calls_reused,
        "call_errors": summary.call_errors,
        "task_errors": dict(summary.task_errors),
        "scores": {tid: ts.score for tid, ts in summary.scores.items()},
    }


Executor = Callable[[Sequence[Shard]], list[dict[str, Any]]]


def local_executor(shards: Sequence[Shard]) -> list[dict[str, Any]]:
    """Shards one after another in this process (each run is concurrent inside)."""
    return [run_shard(s.model_dump()) for s in shards]


def finish_runs(config: SweepConfig, shards: Sequence[Shard]) -> list[Path]:
    """Merge each run's task shards into its run directory and score it; returns the run directories."""
    from multitrust import api
    from multitrust.engine.merge import merge_runs

    dirs: list[Path] = []
    for run_dir in dict.fromkeys(s.run_dir for s in shards):
        parts = [s.config["out"] for s in shards if s.run_dir == run_dir]
        if parts != [run_dir]:
            merge_runs(parts, run_dir)
            api.score(run_dir)
        dirs.append(Path(run_dir))
    return dirs


def run_sweep(path: str | Path, *, executor: Executor | None = None) -> dict[str, Any]:
    """Run (or resume) a sweep file; writes ``sweep.json``, ``report.json`` and ``report.html`` under the
    output root and returns the combined report."""
    import json

    from multitrust import api

    config, raw = load_sweep(path)
    root = Path(config.out)
    root.mkdir(parents=True, exist_ok=True)
    shards = plan_shards(config)
    record = {"sweep": redact_tree(raw), "shards": [s.id for s in shards]}
    (root / SWEEP_RECORD).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    results = (executor or local_executor)(shards)
    dirs = finish_runs(config, shards)
    report = api.report(dirs, json_path=root / "report.json", html_path=root / "report.html")
    report["shards"] = results
    return report
