"""Live progress: one rich bar per task with done/total, rate, ETA, errors and retries, and one line
for the judge calls (total unknown up front: a judge-scored sample may need several calls).

The runner talks to a :class:`ProgressSink`; :class:`NullProgress` keeps library use and benchmarks quiet.
:class:`RichProgress` counts every answer but hands the counts to rich at most every ``MIN_UPDATE_S`` per
bar (and when a bar completes, and on close): rich's per-update work (its speed estimate walks the recent
samples) would otherwise be paid on every one of hundreds of answers a second.
"""

from __future__ import annotations

import time
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

#: the least time between two updates of one bar handed to rich (it redraws 10 times a second anyway)
MIN_UPDATE_S = 0.1


class ProgressSink(Protocol):
    def add(self, key: str, label: str, total: int | None) -> None: ...
    def advance(self, key: str, *, error: bool = False) -> None: ...
    def retry(self, key: str) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    def add(self, key: str, label: str, total: int | None) -> None:
        pass

    def advance(self, key: str, *, error: bool = False) -> None:
        pass

    def retry(self, key: str) -> None:
        pass

    def close(self) -> None:
        pass


class RichProgress:
    """A rich progress display; errors and retries are shown live so a stalled run never looks stuck."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description:<22}"),
            BarColumn(bar_width=28),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8}"),
            TextColumn("[red]err {task.fields[errors]}"),
            TextColumn("[yellow]retry {task.fields[retries]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.ids: dict[str, TaskID] = {}
        #: per bar: [errors, retries, done, done not yet handed to rich]
        self.counts: dict[str, list[int]] = {}
        self.totals: dict[str, int | None] = {}
        self._pushed: dict[str, float] = {}
        self.progress.start()

    def add(self, key: str, label: str, total: int | None) -> None:
        self.ids[key] = self.progress.add_task(label, total=total, errors=0, retries=0, rate="")
        self.counts[key] = [0, 0, 0, 0]
        self.totals[key] = total
        self._pushed[key] = time.monotonic()

    def advance(self, key: str, *, error: bool = False) -> None:
        counts = self.counts.get(key)
        if counts is None:
            return
        if error:
            counts[0] += 1
        counts[2] += 1
        counts[3] += 1
        now = time.monotonic()
        if now - self._pushed[key] >= MIN_UPDATE_S or counts[2] == self.totals[key]:
            self._push(key, now)

    def retry(self, key: str) -> None:
        counts = self.counts.get(key)
        if counts is None:
            return
        counts[1] += 1
        now = time.monotonic()
        if now - self._pushed[key] >= MIN_UPDATE_S:
            self._push(key, now)

    def _push(self, key: str, now: float) -> None:
        """Hand the bar's counts to rich."""
        tid, counts = self.ids[key], self.counts[key]
        self._pushed[key] = now
        advance, counts[3] = counts[3], 0
        self.progress.update(tid, advance=advance, errors=counts[0], retries=counts[1])
        task = self.progress.tasks[tid] if tid < len(self.progress.tasks) else None
        speed = task.speed if task is not None else None
        self.progress.update(tid, rate=f"{speed:.1f}/s" if speed else "")

    def close(self) -> None:
        now = time.monotonic()
        for key in self.ids:
            self._push(key, now)
        self.progress.stop()
