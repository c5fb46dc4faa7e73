"""RichProgress hands counts to rich at most every MIN_UPDATE_S per bar, and never loses a count."""

from __future__ import annotations

import io
import time
from typing import Any

from rich.console import Console
from rich.progress import Task

from multitrust.engine import progress as progress_mod
from multitrust.engine.progress import RichProgress


def _bar(sink: RichProgress, key: str) -> Task:
    return sink.progress._tasks[sink.ids[key]]


def test_counts_are_batched_but_complete() -> None:
    sink = RichProgress(Console(file=io.StringIO(), force_terminal=True))
    updates = 0
    update = sink.progress.update

    def counting(*args: Any, **kwargs: Any) -> None:
        nonlocal updates
        updates += 1
        update(*args, **kwargs)

    sink.progress.update = counting  # type: ignore[method-assign]
    sink.add("T.6", "T.6 generate", 1000)
    sink.add("judge", "judge calls", None)
    t0 = time.monotonic()
    for i in range(999):
        sink.advance("T.6", error=i % 100 == 0)
        sink.advance("judge")
    elapsed = time.monotonic() - t0
    bar = _bar(sink, "T.6")
    # not handed over one by one (that would be 1,998 updates)
    assert updates <= 2 * (4 + 2 * elapsed / progress_mod.MIN_UPDATE_S)  # two rich updates per hand-over
    sink.advance("T.6")  # the last one completes the bar: handed over at once
    assert bar.completed == 1000 and bar.fields["errors"] == 10
    sink.retry("judge")
    sink.close()  # hands over what is pending
    judge = _bar(sink, "judge")
    assert judge.completed == 999 and judge.fields["retries"] == 1
