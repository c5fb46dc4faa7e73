"""Throughput of ``builtin:tiny`` (SmolLM2-135M through the HF adapter) at different batch sizes.

Prints, per batch size: wall seconds, generated tokens, tokens/s, and the speed-up over batch 1; plus the
one-time costs (GGUF conversion when the cache is cold, cached load). The same text-only prompts are sent
all at once, as the runner does, so the micro-batcher forms full batches. Greedy outputs are compared
across batch sizes (they must be identical).

Usage: python bench/local_models.py [--prompts 16] [--max-tokens 48] [--batch-sizes 1,8] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--cache-dir", help="MULTITRUST_CACHE_DIR to use (default: the user cache)")
    args = parser.parse_args()
    if args.cache_dir:
        os.environ["MULTITRUST_CACHE_DIR"] = args.cache_dir

    from multitrust.core.types import Message, Request
    from multitrust.models.builtin_tiny import BuiltinTinyModel

    topics = ["rain", "the sea", "a cat", "mountains", "trains", "bread", "stars", "autumn", "chess", "bees"]
    questions = [f"Write two sentences about {topics[i % len(topics)]} (variant {i})." for i in range(args.prompts)]
    results: dict[str, object] = {"prompts": args.prompts, "max_tokens": args.max_tokens, "cpus": os.cpu_count()}
    texts: dict[int, list[str]] = {}
    base_rate = None
    for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
        model = BuiltinTinyModel(batch_size=batch_size)

        async def go(m: BuiltinTinyModel = model) -> tuple[float, list[object]]:
            await m.load()
            reqs = [Request.build(m.spec, (Message("user", q),), max_tokens=args.max_tokens) for q in questions]
            start = time.perf_counter()
            try:
                replies = await asyncio.gather(*(m.generate(r) for r in reqs))
            finally:
                await m.aclose()
            return time.perf_counter() - start, list(replies)

        seconds, replies = asyncio.run(go())
        tokens = sum(r.usage["completion_tokens"] for r in replies)  # type: ignore[attr-defined]
        rate = tokens / seconds
        base_rate = base_rate or rate
        texts[batch_size] = [r.text for r in replies]  # type: ignore[attr-defined]
        if model.conversion_seconds is not None:
            results["conversion_s"] = round(model.conversion_seconds, 1)
        results[f"batch_{batch_size}"] = {
            "load_s": round(model.load_seconds or 0.0, 2),
            "wall_s": round(seconds, 2),
            "tokens": tokens,
            "tokens_per_s": round(rate, 1),
            "speedup_vs_first": round(rate / base_rate, 2),
            "batches": model.batches_run,
        }
    results["identical_outputs"] = len({json.dumps(t) for t in texts.values()}) == 1
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
