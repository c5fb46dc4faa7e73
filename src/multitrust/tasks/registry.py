"""The task registry: all 32 MultiTrust tasks by id, which are implemented, and ``--tasks`` selection."""

from __future__ import annotations

from multitrust.core.errors import SpecError
from multitrust.core.taxonomy import ASPECTS, SUBASPECTS, TASKS, TaskInfo
from multitrust.tasks import fairness, privacy, robustness, safety, truthfulness
from multitrust.tasks.spec import Task

IMPLEMENTED: dict[str, Task] = {
    t.id: t for module in (truthfulness, safety, robustness, fairness, privacy) for t in module.TASKS
}


def task_infos() -> tuple[TaskInfo, ...]:
    return TASKS


def is_implemented(task_id: str) -> bool:
    return task_id in IMPLEMENTED


def get_task(task_id: str) -> Task:
    task = IMPLEMENTED.get(task_id)
    if task is None:
        known = {t.id for t in TASKS}
        if task_id in known:
            raise SpecError(f"task {task_id} is not implemented yet (see `multitrust list tasks`)")
        raise SpecError(f"unknown task id {task_id!r} (see `multitrust list tasks`)")
    return task


def select_tasks(selector: str, *, implemented_only: bool = True) -> list[str]:
    """Parse ``--tasks``: comma-separated task ids (``T.6``), aspects (``safety``), sub-aspects
    (``jailbreaking``) or ``all``. Unknown names are an error; with ``implemented_only``, an aspect or
    ``all`` quietly keeps the implemented tasks, while a task id that is not implemented is an error."""
    order = [t.id for t in TASKS]
    chosen: set[str] = set()
    for raw in selector.split(","):
        name = raw.strip()
        if not name:
            continue
        low = name.lower()
        if low == "all":
            group = order
        elif low in ASPECTS:
            group = [t.id for t in TASKS if t.aspect == low]
        elif low in {s.key for s in SUBASPECTS}:
            group = [t.id for t in TASKS if t.subaspect == low]
        else:
            tid = name.upper()
            if tid not in order:
                raise SpecError(
                    f"unknown task {name!r}: use task ids like T.6, aspects ({', '.join(ASPECTS)}), or 'all'"
                )
            if implemented_only and tid not in IMPLEMENTED:
                raise SpecError(f"task {tid} is not implemented yet (see `multitrust list tasks`)")
            chosen.add(tid)
            continue
        chosen.update(t for t in group if not implemented_only or t in IMPLEMENTED)
    if not chosen:
        raise SpecError(f"--tasks {selector!r} selects no implemented task")
    return [t for t in order if t in chosen]
