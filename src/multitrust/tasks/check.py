"""``multitrust data check``: what a data tree lacks for each task, one line per problem.

It builds every variant's samples with the very function a run uses (:func:`build_samples`), without
calling any model, so a tree passes the check exactly when a run would accept it: the same readers, row
validation, data-root confinement and image checks. Warnings the loaders log (rows they skip) are
reported too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from multitrust.core.errors import DataError
from multitrust.core.file_hashes import file_hashes
from multitrust.data.images import check_image
from multitrust.data.locate import persist_file_hashes
from multitrust.data.tree import DataTree
from multitrust.tasks.registry import get_task
from multitrust.tasks.spec import OWN_IMAGE, build_samples


@dataclass(frozen=True)
class TaskCheck:
    task: str
    records: int
    images: int
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def check_tree(tree: DataTree, task_ids: Iterable[str], *, seed: int = 0) -> Iterator[TaskCheck]:
    persist_file_hashes()  # what this check hashes and decodes, the next run (or check) need not
    try:
        for tid in task_ids:
            yield check_task(tree, tid, seed=seed)
    finally:
        file_hashes.flush()


def check_task(tree: DataTree, task_id: str, *, seed: int = 0) -> TaskCheck:
    logger = logging.getLogger("multitrust")
    collect = _Collect()
    logger.addHandler(collect)
    try:
        return _check_task(tree, task_id, seed, collect)
    finally:
        logger.removeHandler(collect)


def _check_task(tree: DataTree, task_id: str, seed: int, collect: _Collect) -> TaskCheck:
    task = get_task(task_id)
    problems: list[str] = []
    records: set[tuple[int, str]] = set()
    images: set[str] = set()
    kinds: set[str] = set()
    for variant in task.variants:
        mode = variant.image_mode("fixed")
        if mode.startswith("unrelated:"):
            kinds.add(mode.split(":", 1)[1])
        try:
            for build in build_samples(task, variant, tree, seed=seed):
                records.add((id(variant.source), build.sample.record))
                if mode == OWN_IMAGE and "image" in build.sample.meta:
                    images.add(str(build.sample.meta["image"]))
                if build.problem is not None:
                    problems.append(str(build.problem))
        except DataError as exc:
            problems.append(str(exc))
    for kind in sorted(kinds):  # every pool image, not only the ones this seed draws
        try:
            for p in tree.unrelated_pool(kind):
                rel = f"unrelated_images/{p.name}"
                try:
                    check_image(tree.path(rel))
                except DataError as exc:
                    problems.append(f"{rel}: {exc.message}" if exc.path != rel else str(exc))
        except DataError as exc:
            problems.append(str(exc))
    return TaskCheck(
        task_id, len(records), len(images), tuple(dict.fromkeys(problems)), tuple(dict.fromkeys(collect.lines))
    )
