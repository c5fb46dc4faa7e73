"""Peak memory of a large run with many distinct, large images: are images streamed, or held?

Builds a T.6-layout tree of ``--n`` samples (default 20,000) over ``--images`` distinct ``--side``-pixel PNGs
(default 1,000 of 512×512: 0.75 MB each decoded, 750 MB if all were held at once) and runs
``multitrust run`` against the loopback OpenAI-compatible server (images are encoded and sent), then
prints the run's peak RSS (target < 500 MB) and wall time.

Usage: python bench/memory.py [--n 20000] [--images 1000] [--side 512] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from multitrust.testing.server import spawn_server
from multitrust.testing.trees import write_t6_tree


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--side", type=int, default=512)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mt-bench-") as tmp, spawn_server(reply="yes") as server:
        root = Path(tmp)
        env = {**os.environ, "MULTITRUST_CACHE_DIR": str(root / "cache")}
        data = write_t6_tree(root / "data", args.n, images=args.images, side=args.side)
        cmd = [sys.executable, "-m", "multitrust", "run", "--model", f"openai-compat:{server.url}@bench",
               "--tasks", "T.6", "--data", str(data), "--out", str(root / "run"), "--concurrency",
               str(args.concurrency), "--no-shared-cache", "-q"]  # fmt: skip
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"run failed: {proc.stderr.read().decode()[-2000:]}")
        sent = server.stats()["chat_requests"]
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    held = args.images * args.side * args.side * 3 / 2**20
    print(
        f"samples: {args.n} over {args.images} distinct {args.side}x{args.side} images "
        f"({held:.0f} MB if all were held decoded); {sent} requests sent to the loopback server"
    )
    print(f"peak_rss_mb: {usage.ru_maxrss / 1024:.0f}  (target < 500)  wall_s: {wall:.1f}")


if __name__ == "__main__":
    main()
