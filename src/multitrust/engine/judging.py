"""Judge calls made visible: calls, retries and failures per judge, counted as they happen and shown live.

The evaluators call ``judge.generate`` themselves, so the meter wraps that method on each judge adapter for
the duration of a scoring (and takes the adapter's ``on_retry`` hook), then puts both back. Counts are per
judge spec, summed into the invocation row of the run store and into the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from typing import Any

from multitrust.core.errors import ModelCallError
from multitrust.core.types import ModelReply, Request
from multitrust.engine.progress import NullProgress, ProgressSink
from multitrust.models.base import ChatModel

JUDGE_PROGRESS_KEY = "judging"
log = logging.getLogger(__name__)


class JudgeMeter:
    """Counts every judge's calls, retries and failures; one progress line ("judging") for all of them."""

    def __init__(self, progress: ProgressSink | None = None) -> None:
        self.progress = progress or NullProgress()
        self.stats: dict[str, dict[str, int]] = {}
        self._attached: list[tuple[ChatModel, Any]] = []
        self._line = False

    def attach(self, judges: Iterable[ChatModel | None]) -> JudgeMeter:
        seen: set[int] = set()
        for judge in judges:
            if judge is None or id(judge) in seen:
                continue
            seen.add(id(judge))
            self._wrap(judge)
        return self

    def _wrap(self, judge: ChatModel) -> None:
        spec = judge.spec
        counts = self.stats.setdefault(spec, {"calls": 0, "retries": 0, "failed": 0})
        original = judge.generate  # the bound method (or an earlier wrapper)
        previous_hook = judge.on_retry
        # the judge spec's ?concurrency=N caps its calls in flight, whatever the scorer's worker count
        limit = asyncio.Semaphore(judge.concurrency_limit) if judge.concurrency_limit else contextlib.nullcontext()

        async def generate(request: Request) -> ModelReply:
            self._ensure_line()
            counts["calls"] += 1
            started = time.perf_counter()
            try:
                async with limit:
                    reply = await original(request)
            except ModelCallError as exc:
                counts["failed"] += 1
                self.progress.advance(JUDGE_PROGRESS_KEY, error=True)
                log.info("judge %s: call %s failed: %s", spec, request.hash[:12], exc)
                raise
            self.progress.advance(JUDGE_PROGRESS_KEY)
            log.info("judge %s: call %s answered in %.2fs", spec, request.hash[:12], time.perf_counter() - started)
            return reply

        def on_retry(request: Request, attempt: int, reason: str) -> None:
            log.info("judge %s: call %s, attempt %d failed: %s", spec, request.hash[:12], attempt, reason)
            counts["retries"] += 1
            self.progress.retry(JUDGE_PROGRESS_KEY)
            if previous_hook is not None:
                previous_hook(request, attempt, reason)

        judge.generate = generate  # type: ignore[method-assign]
        judge.on_retry = on_retry
        self._attached.append((judge, previous_hook))

    def _ensure_line(self) -> None:
        if not self._line:
            self._line = True
            names = ", ".join(self.stats) or "judge"
            self.progress.add(JUDGE_PROGRESS_KEY, f"judging ({names})"[:40], None)

    def detach(self) -> None:
        """Give the judges back their own ``generate`` and retry hook."""
        for judge, hook in reversed(self._attached):
            judge.__dict__.pop("generate", None)
            judge.on_retry = hook
        self._attached.clear()

    def totals(self) -> dict[str, int]:
        return {k: sum(c[k] for c in self.stats.values()) for k in ("calls", "retries", "failed")}
