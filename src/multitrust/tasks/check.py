"""``multitrust data check``: what a data tree lacks for each task, one line per problem.

It reads every task's record sources exactly as a run would (so the loaders, not a separate list of
paths, define what is required) and checks each referenced image, without calling any model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from multitrust.core.errors import DataError
from multitrust.data.images import check_image
from multitrust.data.tree import DataTree
from multitrust.tasks.registry import get_task
from multitrust.tasks.spec import OWN_IMAGE, RecordSource, SourceOptions


@dataclass(frozen=True)
class TaskCheck:
    task: str
    records: int
    images: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_tree(tree: DataTree, task_ids: Iterable[str], *, seed: int = 0) -> Iterator[TaskCheck]:
    for tid in task_ids:
        yield check_task(tree, tid, seed=seed)


def check_task(tree: DataTree, task_id: str, *, seed: int = 0) -> TaskCheck:
    task = get_task(task_id)
    problems: list[str] = []
    sources: dict[int, RecordSource] = {}
    with_images: set[int] = set()
    kinds: set[str] = set()
    for variant in task.variants:
        sources.setdefault(id(variant.source), variant.source)
        mode = variant.image_mode("fixed")
        if mode == OWN_IMAGE:
            with_images.add(id(variant.source))
        elif mode.startswith("unrelated:"):
            kinds.add(mode.split(":", 1)[1])
    records = 0
    images: set[str] = set()
    for key, source in sources.items():
        for rel_image in _source_images(tree, source, problems, seed):
            records += 1
            if key in with_images and rel_image is not None and rel_image not in images:
                images.add(rel_image)
                _check_image(tree, rel_image, problems)
    for kind in sorted(kinds):
        try:
            for p in tree.unrelated_pool(kind):
                _check_image(tree, tree.display(p), problems)
        except DataError as exc:
            problems.append(str(exc))
    return TaskCheck(task_id, records, len(images), tuple(dict.fromkeys(problems)))


def _check_image(tree: DataTree, rel: str, problems: list[str]) -> None:
    try:
        check_image(tree.path(rel))
    except DataError as exc:
        problems.append(f"{rel}: {exc.message}")


def _source_images(tree: DataTree, source: RecordSource, problems: list[str], seed: int) -> Iterator[str | None]:
    try:
        for record in source.read(tree, SourceOptions(seed=seed)):
            yield record.image
    except DataError as exc:
        problems.append(str(exc))
