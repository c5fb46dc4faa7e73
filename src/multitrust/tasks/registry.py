"""The task registry: all 32 MultiTrust tasks by id, which are implemented, and ``--tasks`` selection."""

from __future__ import annotations

from multitrust.core.errors import SpecError
from multitrust.core.taxonomy import ASPECTS, SUBASPECTS, TASK_BY_ID, TASKS, TaskInfo
from multitrust.tasks import fairness, privacy, robustness, safety, truthfulness
from multitrust.tasks.spec import Task

IMPLEMENTED: dict[str, Task] = {
    t.id: t for module in (truthfulness, safety, robustness, fairness, privacy) for t in module.TASKS
}


#: tasks declared outside the 32 (a user's module or a plugin): scored and reported, never aggregated
EXTRA: dict[str, Task] = {}

#: the entry-point group through which installed packages add tasks (value: a Task or a list of them)
PLUGIN_GROUP = "multitrust.tasks"
_plugins_loaded = False


def register_task(task: Task) -> None:
    """Add a task declared outside this package, so ``--tasks`` can name it and the runner, scorer and
    reports treat it like the 32. Its sub-aspect is only a label: an extra task is never part of the
    MultiTrust sub-aspect, aspect or overall scores, which stay comparable with the published leaderboard."""
    if task.id in TASK_BY_ID and task.id not in EXTRA:
        raise SpecError(f"task id {task.id} is one of the 32 MultiTrust tasks; pick another id")
    if task.info.aspect not in ASPECTS:
        raise SpecError(f"task {task.id}: unknown aspect {task.info.aspect!r} (known: {', '.join(ASPECTS)})")
    EXTRA[task.id] = task
    IMPLEMENTED[task.id] = task
    TASK_BY_ID[task.id] = task.info


def load_plugins() -> None:
    """Register the tasks that installed packages declare in the ``multitrust.tasks`` entry-point group."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=PLUGIN_GROUP):
        loaded = ep.load()
        for task in loaded if isinstance(loaded, list | tuple) else [loaded]:
            if task.id not in EXTRA:
                register_task(task)


def task_infos() -> tuple[TaskInfo, ...]:
    return TASKS


def is_implemented(task_id: str) -> bool:
    return task_id in IMPLEMENTED


def get_task(task_id: str) -> Task:
    load_plugins()
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
    load_plugins()
    order = [t.id for t in TASKS] + list(EXTRA)
    chosen: set[str] = set()
    for raw in selector.split(","):
        name = raw.strip()
        if not name:
            continue
        low = name.lower()
        if low == "all":
            group = [t.id for t in TASKS]  # the 32: extra tasks are named one by one
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
