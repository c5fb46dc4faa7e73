"""What data each task needs, from its declaration: the files and folders its record sources name, the
unrelated-image pool when a variant asks for one, and the release globs that fetch exactly those.

``data fetch --tasks`` turns this into ``allow_patterns``, ``data check`` into the query files to verify,
and ``run`` into "this task has no data in this tree" before any sample is planned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from multitrust.data.manifest import ReleaseManifest, release_manifest
from multitrust.tasks import privacy
from multitrust.tasks.registry import get_task

#: files a task reads when present but does without (P.6 draws its typographic images with the release's
#: font, else with Pillow's bundled one); fetched with the task, never required
OPTIONAL_FILES: dict[str, tuple[str, ...]] = {"P.6": (privacy.FONT,)}


@dataclass(frozen=True)
class TaskNeeds:
    task: str
    #: files and folders the record sources name (relative to the data root)
    paths: tuple[str, ...]
    unrelated: bool
    optional: tuple[str, ...] = ()

    def missing(self, root: Path) -> list[str]:
        """Required paths absent from ``root`` (the unrelated pool counts as one path)."""
        out = [p for p in self.paths if not (root / p).exists()]
        if self.unrelated and not (root / "unrelated_images").is_dir():
            out.append("unrelated_images")
        return out


def task_needs(task_id: str) -> TaskNeeds:
    task = get_task(task_id)
    unrelated = any(v.image_mode(f).startswith("unrelated:") for v in task.variants for f in ("fixed", "paper"))
    return TaskNeeds(task_id, tuple(task.files()), unrelated, OPTIONAL_FILES.get(task_id, ()))


def release_patterns(task_ids: Iterable[str], manifest: ReleaseManifest | None = None) -> list[str]:
    """``allow_patterns`` that fetch what ``task_ids`` read from the release, and nothing else."""
    manifest = manifest or release_manifest()
    out: list[str] = []
    for tid in task_ids:
        needs = task_needs(tid)
        out.extend(manifest.patterns_for([*needs.paths, *needs.optional], unrelated=needs.unrelated))
    return list(dict.fromkeys(out))


def release_query_files(task_id: str, manifest: ReleaseManifest | None = None) -> list[str]:
    """The release query files a task reads (with their companions, e.g. ConfAIde's labels)."""
    manifest = manifest or release_manifest()
    return [p for p in task_needs(task_id).paths if p in manifest.query_files]


def named_task_ids(selector: str) -> list[str]:
    """The task ids a ``--tasks`` selector names one by one (not via an aspect, sub-aspect or ``all``)."""
    from multitrust.core.taxonomy import TASK_BY_ID

    return [tid for raw in selector.split(",") if (tid := raw.strip().upper()) in TASK_BY_ID]


def require_data(root: Path, task_ids: Iterable[str]) -> None:
    """Fail at once, naming the missing path, when a task the user named has no data in ``root``."""
    from multitrust.core.errors import DataError

    for tid in task_ids:
        missing = task_needs(tid).missing(root)
        if missing:
            raise DataError(f"{tid}: no data in {root}: missing {missing[0]} (fetch it, or leave {tid} out of --tasks)")


def no_data(root: Path, task_ids: Iterable[str]) -> dict[str, str]:
    """Task id → its first missing path, for the tasks whose data ``root`` does not hold."""
    out: dict[str, str] = {}
    for tid in task_ids:
        missing = task_needs(tid).missing(root)
        if missing:
            out[tid] = missing[0]
    return out
