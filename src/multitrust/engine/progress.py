"""Live progress: one rich bar per task with done/total, rate, ETA, errors and retries, and one line
for the judge calls (total unknown up front: a judge-scored sample may need several calls).

The runner talks to a :class:`ProgressSink`; :class:`NullProgress` keeps library use and benchmarks quiet.
"""

from __future__ import annotations

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
        self.counts: dict[str, list[int]] = {}
        self.progress.start()

    def add(self, key: str, label: str, total: int | None) -> None:
        self.ids[key] = self.progress.add_task(label, total=total, errors=0, retries=0, rate="")
        self.counts[key] = [0, 0]

    def advance(self, key: str, *, error: bool = False) -> None:
        tid = self.ids.get(key)
        if tid is None:
            return
        if error:
            self.counts[key][0] += 1
        task = self.progress.tasks[tid] if tid < len(self.progress.tasks) else None
        speed = task.speed if task is not None else None
        self.progress.update(tid, advance=1, errors=self.counts[key][0], rate=f"{speed:.1f}/s" if speed else "")

    def retry(self, key: str) -> None:
        tid = self.ids.get(key)
        if tid is None:
            return
        self.counts[key][1] += 1
        self.progress.update(tid, retries=self.counts[key][1])

    def close(self) -> None:
        self.progress.stop()
