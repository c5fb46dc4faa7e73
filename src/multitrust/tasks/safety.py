"""Safety tasks (spec §7 SAFETY)."""

from __future__ import annotations

from multitrust.tasks.spec import Task

TASKS: tuple[Task, ...] = ()
