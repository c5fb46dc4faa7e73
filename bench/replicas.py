"""Throughput of one model served by 1, 2 and 3 replicas, through the real runner and a replica pool.

Each replica is the loopback server in its own process with a fixed capacity (``--capacity`` answers served
at once, each taking ``--latency-ms``), like a GPU server whose batch is full: one replica can answer at
most capacity / latency requests per second, and k replicas k times that. The runner keeps
k × capacity requests in flight. Prints, per k, requests/s of the generation phase and the ratio to linear
scaling (k × the 1-replica rate), and the ratio to the servers' ideal (k × capacity / latency); target for
the linear ratio >= 0.90.

Usage: python bench/replicas.py [--n 1200] [--capacity 8] [--latency-ms 200] [--max-replicas 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from multitrust.engine.config import RunConfig
from multitrust.engine.runner import Runner
from multitrust.testing.server import spawn_server
from multitrust.testing.trees import write_t6_tree


def run_k(urls: list[str], data: Path, out: Path, concurrency: int) -> tuple[int, float, list[dict[str, object]]]:
    cfg = RunConfig(
        model=f"openai-compat:{','.join(urls)}@bench",
        tasks=["T.6"],
        data=str(data),
        out=str(out),
        concurrency=concurrency,
        shared_cache=False,
        bootstrap=0,
    )
    summary = asyncio.run(Runner(cfg).run())
    if summary.call_errors:
        raise SystemExit(f"{summary.call_errors} requests failed; the benchmark needs a clean run")
    return summary.calls_made, summary.phases["generate_s"], summary.replicas or []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1200)
    ap.add_argument("--capacity", type=int, default=8)
    ap.add_argument("--latency-ms", type=float, default=200.0)
    ap.add_argument("--max-replicas", type=int, default=3)
    args = ap.parse_args()
    per_replica = args.capacity / (args.latency_ms / 1000)
    with tempfile.TemporaryDirectory(prefix="mt-bench-") as tmp, contextlib.ExitStack() as stack:
        tmpdir = Path(tmp)
        os.environ["MULTITRUST_CACHE_DIR"] = str(tmpdir / "cache")
        data = write_t6_tree(tmpdir / "data", args.n)
        servers = [
            stack.enter_context(spawn_server(latency_ms=args.latency_ms, reply="yes", capacity=args.capacity))
            for _ in range(args.max_replicas)
        ]
        print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
        print(
            f"requests: {args.n} per run; each replica serves {args.capacity} at once, {args.latency_ms:.0f} ms each "
            f"(ideal {per_replica:.1f} requests/s per replica); runner concurrency = replicas x capacity"
        )
        base = None
        for k in range(1, args.max_replicas + 1):
            n, gen, reps = run_k([s.url for s in servers[:k]], data, tmpdir / f"run-{k}", k * args.capacity)
            rate = n / gen
            base = base or rate
            split = " ".join(str(r["answered"]) for r in reps) or str(n)
            print(
                f"replicas {k}: {rate:.1f} requests/s  linear_ratio {rate / (k * base):.3f}  "
                f"ideal_ratio {rate / (k * per_replica):.3f}  (answered per replica: {split})"
            )


if __name__ == "__main__":
    main()
