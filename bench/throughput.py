"""Throughput of the real runner (OpenAI-compatible adapter, SQLite store, judging, scoring) against the
loopback server running in its own process.

Prints, from one run of this script:
- ratio_to_ideal: ideal wall time (n × latency / concurrency) ÷ measured wall time of the runner's
  generation phase, from the first request sent to the last answer committed to the SQLite store
  (every request through the adapter); target ≥ 0.90
- end_to_end_ratio: the same ideal ÷ the wall time of the whole ``Runner.run`` (start-up, planning the
  samples, generation, judging, bootstrap intervals, scoring)
- speedup_vs_concurrency_1: requests/s at the chosen concurrency ÷ requests/s at concurrency 1 (subset)
- harness_cpu_ms_per_request: this process's CPU time ÷ n, at 0 ms server latency (the cost a fast
  local server would see from the harness, openai client included)

The default n (2,048) is a multiple of the concurrency, so the ideal is not flattered or penalised by a
last, partly filled wave of requests (with n = 2,000 at 64 in flight the last wave holds 16, and even a
perfect harness would reach only 0.977 of the formula).

Usage: python bench/throughput.py [--n 2048] [--concurrency 64] [--latency-ms 500] [--subset 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from multitrust.engine.config import RunConfig
from multitrust.engine.runner import Runner
from multitrust.testing.server import spawn_server
from multitrust.testing.trees import write_t6_tree


def run_once(
    url: str, data: Path, out: Path, *, concurrency: int, limit: int | None
) -> tuple[float, float, int, dict[str, float]]:
    """(wall seconds, CPU seconds of this process, requests made, phase seconds) for one fresh run."""
    cfg = RunConfig(  # no shared cache: every run must really send its requests
        model=f"openai-compat:{url}@bench",
        tasks=["T.6"],
        data=str(data),
        out=str(out),
        concurrency=concurrency,
        limit=limit,
        shared_cache=False,
    )
    cpu0, t0 = time.process_time(), time.perf_counter()
    summary = asyncio.run(Runner(cfg).run())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if summary.call_errors:
        raise SystemExit(f"{summary.call_errors} requests failed; the benchmark needs a clean run")
    return wall, cpu, summary.calls_made, summary.phases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--latency-ms", type=float, default=500.0)
    ap.add_argument("--subset", type=int, default=20, help="requests for the concurrency-1 comparison")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mt-bench-") as tmp:
        tmpdir = Path(tmp)
        os.environ["MULTITRUST_CACHE_DIR"] = str(tmpdir / "cache")
        data = write_t6_tree(tmpdir / "data", args.n)
        with spawn_server(latency_ms=args.latency_ms, reply="yes") as server:
            wall, _, n, phases = run_once(server.url, data, tmpdir / "run-c", concurrency=args.concurrency, limit=None)
            ideal = n * args.latency_ms / 1000 / args.concurrency
            _, _, n1, phases1 = run_once(server.url, data, tmpdir / "run-1", concurrency=1, limit=args.subset)
            high_water = server.stats()["max_in_flight"]
        with spawn_server(latency_ms=0, reply="yes") as fast:
            wall0, cpu0, n0, _ = run_once(fast.url, data, tmpdir / "run-0", concurrency=args.concurrency, limit=None)
    gen, gen1 = phases["generate_s"], phases1["generate_s"]
    rate, rate1 = n / gen, n1 / gen1
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    print(
        f"requests: {n} at concurrency {args.concurrency}, server latency {args.latency_ms:.0f} ms "
        f"(server in its own process; max in flight seen by the server: {high_water})"
    )
    waves = -(-n // args.concurrency)
    print(f"wall_s: {wall:.2f}  ideal_s: {ideal:.2f} (n x latency / concurrency; {waves} waves)")
    print(f"requests_per_s: {rate:.1f} (generation phase)")
    print(
        f"phases_s: plan {phases['plan_s']:.2f} (overlaps generation)  generate {gen:.2f}  "
        f"judge+score {phases['score_s']:.2f}"
    )
    print(f"ratio_to_ideal: {ideal / gen:.3f}  (generation phase; target >= 0.90)")
    print(f"end_to_end_ratio: {ideal / wall:.3f}  (whole Runner.run incl. planning, judging, bootstrap, scoring)")
    print(f"concurrency 1: {n1} requests generated in {gen1:.2f} s = {rate1:.2f}/s")
    print(f"speedup_vs_concurrency_1: {rate / rate1:.1f}x  (ideal {args.concurrency}x)")
    print(f"zero-latency run: {n0} requests in {wall0:.2f} s = {n0 / wall0:.0f}/s")
    print(
        f"harness_cpu_ms_per_request: {1000 * cpu0 / n0:.2f}  (runner process CPU incl. openai client, store, scoring)"
    )


if __name__ == "__main__":
    main()
