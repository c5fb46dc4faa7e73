"""How long a run takes to find out that a text-only server rejects every image request.

The case from the field: llama.cpp's server with a text-only model answers every image request with
HTTP 500 "can only concatenate str (not "list") to str". This script runs the real runner (OpenAI
adapter with its default retry settings: 6 retries, 1 s exponential backoff capped at 60 s) over ``--n``
image questions against the loopback server in ``text_only`` mode, in its own process, with preflight off
(preflight would stop it before the first sample), and prints:

- wall_s: wall time of ``Runner.run`` (planning, generation, scoring)
- requests_sent: chat requests the server received (none after the endpoint is stopped)
- failed, stopped: generations stored as failed, and the count on the fail-fast line

Usage: python bench/fail_fast.py [--n 60] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from PIL import Image

from multitrust.engine.config import RunConfig
from multitrust.engine.runner import Runner
from multitrust.testing.server import spawn_server


def make_tree(root: Path, n: int) -> Path:
    images = root / "truthfulness" / "misleading_images"
    images.mkdir(parents=True)
    rows = []
    for i in range(n):
        Image.new("RGB", (32, 32), (i % 255, 80, 160)).save(images / f"q{i}.png")
        rows.append({"image": f"q{i}.png", "query": f"Question {i}?", "truth": "Yes", "kind": "semantic"})
    q = root / "truthfulness" / "query_misleading" / "query_d_confusion.json"
    q.parent.mkdir(parents=True)
    q.write_text(json.dumps(rows))
    return root


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=60)
    p.add_argument("--concurrency", type=int, default=8)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp, spawn_server(text_only=True) as srv:
        data = make_tree(Path(tmp) / "data", args.n)
        cfg = RunConfig(
            model=f"openai-compat:{srv.url}@smollm",
            tasks=["T.6"],
            data=str(data),
            out=str(Path(tmp) / "run"),
            concurrency=args.concurrency,
            shared_cache=False,
            bootstrap=0,
        )
        t0 = time.perf_counter()
        summary = asyncio.run(Runner(cfg).run())
        wall = time.perf_counter() - t0
        stats = srv.stats()
    stopped = sum(int(s["count"]) for s in summary.stopped)  # type: ignore[call-overload]
    print(f"n={args.n} concurrency={args.concurrency}")
    print(f"wall_s={wall:.2f} requests_sent={stats['chat_requests']} failed={summary.call_errors} stopped={stopped}")


if __name__ == "__main__":
    main()
