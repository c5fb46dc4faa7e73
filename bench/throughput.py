"""Throughput of the real runner (OpenAI-compatible adapter, SQLite store, judging, scoring) against the
loopback server running in its own process, at each concurrency asked for (default 64 and 256).

Prints, per concurrency c, from one run of this script:
- ratio_to_ideal: ideal wall time (n × latency / c) ÷ measured wall time of the runner's generation phase,
  from the first request sent to the last answer committed to the SQLite store (every request through
  the adapter); targets ≥ 0.95 at c=64 and ≥ 0.90 at c=256
- requests_per_s: n ÷ that generation phase
- harness_cpu_ms_per_request: this process's CPU time (user + system) ÷ n over the whole ``Runner.run``
  (planning, store, HTTP client, judging, bootstrap intervals, scoring) at 0 ms server latency — the cost a
  fast local server sees from the harness; target ≤ 1.0. ``request path`` is the same for planning and
  generation only. CPU time, unlike wall time, barely changes when other processes load the machine.
- end_to_end_ratio: the ideal ÷ the wall time of the whole ``Runner.run``

and once: speedup_vs_concurrency_1 (requests/s at the first concurrency ÷ at concurrency 1, on a subset),
the machine (CPUs, load average, Python) and the command.

The default n (5,120) is a multiple of every default concurrency, so the ideal is not flattered or
penalised by a last, partly filled wave of requests.

Usage: python bench/throughput.py [--n 5120] [--concurrency 64 256] [--latency-ms 500] [--subset 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
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
    ap.add_argument("--n", type=int, default=5120)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--latency-ms", type=float, default=500.0)
    ap.add_argument("--subset", type=int, default=20, help="requests for the concurrency-1 comparison (0: skip)")
    args = ap.parse_args()
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mt-bench-") as tmp:
        tmpdir = Path(tmp)
        os.environ["MULTITRUST_CACHE_DIR"] = str(tmpdir / "cache")
        data = write_t6_tree(tmpdir / "data", args.n)
        with spawn_server(latency_ms=0, reply="yes") as fast:  # warm-up: imports, first connection
            run_once(fast.url, data, tmpdir / "warm", concurrency=8, limit=50)
        rate1 = None
        if args.subset:
            with spawn_server(latency_ms=args.latency_ms, reply="yes") as server:
                _, _, n1, phases1 = run_once(server.url, data, tmpdir / "run-1", concurrency=1, limit=args.subset)
            rate1 = n1 / phases1["generate_s"]
        first_rate = None
        for c in args.concurrency:
            with spawn_server(latency_ms=args.latency_ms, reply="yes") as server:
                wall, cpu, n, phases = run_once(server.url, data, tmpdir / f"run-{c}", concurrency=c, limit=None)
                high_water = server.stats()["max_in_flight"]
            with spawn_server(latency_ms=0, reply="yes") as fast:
                wall0, cpu0, n0, phases0 = run_once(fast.url, data, tmpdir / f"run0-{c}", concurrency=c, limit=None)
            ideal = n * args.latency_ms / 1000 / c
            gen = phases["generate_s"]
            first_rate = first_rate or n / gen
            waves = -(-n // c)
            rows += [
                f"concurrency {c}: {n} requests, server latency {args.latency_ms:.0f} ms "
                f"(max in flight seen by the server: {high_water}; {waves} waves)",
                f"  ratio_to_ideal: {ideal / gen:.3f}  (ideal {ideal:.2f} s / generation phase {gen:.2f} s)",
                f"  requests_per_s: {n / gen:.1f}",
                f"  end_to_end_ratio: {ideal / wall:.3f}  (whole Runner.run {wall:.2f} s: planning, judging, "
                f"bootstrap, scoring)",
                f"  cpu_ms_per_request at {args.latency_ms:.0f} ms: {1000 * cpu / n:.2f}",
                f"  harness_cpu_ms_per_request: {1000 * cpu0 / n0:.2f}  (zero-latency run, {n0} requests in "
                f"{wall0:.2f} s = {n0 / wall0:.0f}/s; whole Runner.run; target <= 1.0)",
            ]
            if "plan_and_generate_cpu_s" in phases0:
                rows.append(
                    f"    request path (planning + generation): {1000 * phases0['plan_and_generate_cpu_s'] / n0:.2f}"
                )
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, python {sys.version.split()[0]}"
        + (
            f", load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (wall-clock ratios suffer under load)"
            if load
            else ""
        )
    )
    print("command: " + shlex.join([os.path.basename(sys.executable), *sys.argv]))
    for row in rows:
        print(row)
    if rate1 is not None and first_rate is not None:
        c = args.concurrency[0]
        print(f"concurrency 1: {args.subset} requests at {rate1:.2f}/s; speedup at {c}: {first_rate / rate1:.1f}x")


if __name__ == "__main__":
    main()
