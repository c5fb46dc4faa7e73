"""Robustness tasks (spec §7 ROBUSTNESS)."""

from __future__ import annotations

from multitrust.tasks.spec import Task

TASKS: tuple[Task, ...] = ()
