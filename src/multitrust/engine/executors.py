"""Where a sweep's shards run: in this process, or as Ray tasks on a cluster (``pip install -e ".[ray]"``).

Nothing here distributes work itself: Ray schedules the shards, each shard is the ordinary runner writing
its own store, and the driver merges stores by request hash. A shard whose worker dies is retried by Ray
(``max_retries``) on any node and resumes from its store, so finished requests are never sent again. On a
multi-node cluster the output root must be on a filesystem every node sees (the usual shared scratch).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from multitrust.core.errors import MultitrustError
from multitrust.engine.sweep import Executor, Shard, local_executor, run_shard

__all__ = ["local_executor", "ray_executor"]

#: CPU share an API / scripted shard reserves (it waits on the network); a GPU shard reserves one GPU
API_SHARD_CPUS = 0.5


def shard_resources(shard: Shard) -> dict[str, float]:
    """What Ray reserves for a shard: one GPU for ``hf:``/``vllm:`` models, a CPU for the built-in local
    model, half a CPU for API models (their work is waiting on the network)."""
    if shard.gpu:
        return {"num_gpus": 1, "num_cpus": 1}
    if str(shard.config.get("model", "")).startswith("builtin:"):
        return {"num_cpus": 1}
    return {"num_cpus": API_SHARD_CPUS}


def ray_executor(
    address: str | None = None, *, max_retries: int = 3, init_kwargs: dict[str, Any] | None = None
) -> Executor:
    """An executor that runs every shard as a Ray task (``address``: ``auto``, ``ray://host:10001``, or None
    for a local cluster). Ray is imported only here."""
    try:
        import ray
    except ImportError:
        raise MultitrustError("the Ray executor needs ray: pip install -e '.[ray]'") from None

    def execute(shards: Sequence[Shard]) -> list[dict[str, Any]]:
        if not ray.is_initialized():
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, **(init_kwargs or {}))
        remote = ray.remote(max_retries=max_retries, retry_exceptions=False)(run_shard)
        refs = [remote.options(**shard_resources(s)).remote(s.model_dump()) for s in shards]
        return list(ray.get(refs))

    return execute


def executor_by_name(name: str, *, address: str | None = None) -> Executor:
    if name == "local":
        return local_executor
    if name == "ray":
        return ray_executor(address)
    raise MultitrustError(f"unknown executor {name!r} (use 'local' or 'ray')")
