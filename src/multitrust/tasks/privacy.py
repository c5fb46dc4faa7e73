"""Privacy tasks (spec §7 PRIVACY)."""

from __future__ import annotations

from multitrust.tasks.spec import Task

TASKS: tuple[Task, ...] = ()
