"""Re-scoring and identical reruns of a large finished run, through the CLI a user types.

Builds a T.6-layout tree of ``--n`` samples (default 20,000), runs ``multitrust run --model scripted:yes`` on
it once, then prints the wall time and peak RSS of:
- the first run (every request generated, judged and scored, report written);
- an identical rerun of the finished run (0 model calls; target < 3 s);
- ``multitrust score`` of that run (re-judging from the store; target < 3 s).
Each command runs in its own process, timed from spawn to exit (Python start-up and imports included); the
CPU time (user + system) of each child is printed beside its wall time, because on a shared, loaded machine
wall time mostly measures the other processes.

Usage: python bench/rescore.py [--n 20000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from multitrust.testing.trees import write_t6_tree


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds (user + system), peak RSS in MB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def machine() -> str:
    """CPU model, cores, Python and the load average when the benchmark ended (the machine may be shared)."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ""
    with contextlib.suppress(OSError, AttributeError):
        load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    return f"{model}, {os.cpu_count()} CPUs, python {sys.version.split()[0]}{load}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mt-bench-") as tmp:
        root = Path(tmp)
        env = {**os.environ, "MULTITRUST_CACHE_DIR": str(root / "cache")}
        data = write_t6_tree(root / "data", args.n)
        run = [sys.executable, "-m", "multitrust", "run", "--model", "scripted:yes", "--tasks", "T.6",
               "--data", str(data), "--out", str(root / "run"), "-q"]  # fmt: skip
        first = timed(run, env)
        rerun = timed(run, env)
        score = timed([sys.executable, "-m", "multitrust", "score", str(root / "run")], env)
    print(f"machine: {machine()}")
    print(f"samples: {args.n} (T.6 layout, 8 images, scripted:yes, report written by run)")
    for name, (wall, cpu, rss) in (("first run", first), ("identical rerun", rerun), ("score", score)):
        target = "  (target < 3 s)" if name != "first run" else ""
        print(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS {rss:.0f} MB{target}")


if __name__ == "__main__":
    main()
