"""The built-in data tree: a small synthetic stand-in for the gated official MultiTrust data.

``multitrust data build --out DIR --seed N`` calls :func:`build_tree`. The tree uses exactly the official
layout (spec §6: same file names, fields and column names), so the task loaders read official or built-in
data without knowing which is which. Everything in it is synthetic and written for this project.

Reproducibility is the point of the module: the same seed gives a byte-identical tree. To get that,
every random choice comes from :meth:`BuildContext.rng` keyed by purpose and item (never from iteration
order), files are written only through the context's writers (fixed PNG options, JSON with fixed key
order, CSV with ``\\n`` line ends), and the manifest is built from a sorted walk of the tree.

Adding a task: write ``build_<task>(ctx)`` in the aspect's module, list it in that module's ``BUILDERS``, and add
the task to :data:`NEEDS_UNRELATED` if any of its variants pairs prompts with unrelated images.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from PIL import Image

from multitrust.core.errors import DataError
from multitrust.core.seeds import derive_seed, rng_for

GENERATOR = "multitrust-builtin"
GENERATOR_VERSION = "1"
MANIFEST_NAME = "MANIFEST.json"

# The 32 task ids of the benchmark (spec §0), so a typo is told apart from a task not yet built in.
KNOWN_TASKS: tuple[str, ...] = (
    *(f"T.{i}" for i in range(1, 8)),
    *(f"S.{i}" for i in range(1, 7)),
    *(f"R.{i}" for i in range(1, 7)),
    *(f"F.{i}" for i in range(1, 8)),
    *(f"P.{i}" for i in range(1, 7)),
)

# Tasks with `-unrelated-image-{color,nature,noise}` variants (spec §4.1); they pull in the shared pool.
NEEDS_UNRELATED: set[str] = {
    "T.4",
    "T.7",
    "S.3",
    "S.6",
    "R.3",
    "R.6",
    "F.2",
    "F.3",
    "F.4",
    "F.7",
    "P.3",
    "P.6",
}


@dataclass
class BuildContext:
    """Where a builder writes, and the seeded randomness it may use.

    ``written`` maps each relative path written so far to its SHA-256, so two builders writing the same
    shared file with different bytes is caught instead of silently depending on build order.
    """

    root: Path
    seed: int
    written: dict[str, str] = field(default_factory=dict)

    # -- randomness
    def rng(self, *keys: object) -> random.Random:
        """A generator keyed by (seed, *keys): use the task id, purpose and item as keys."""
        return rng_for(self.seed, *keys)

    def np_rng(self, *keys: object) -> np.random.Generator:
        return np.random.default_rng(derive_seed(self.seed, *keys))

    # -- paths
    def path(self, rel: str) -> Path:
        """The absolute path of ``rel`` (a POSIX path inside the tree; no absolute paths or ``..``)."""
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts or not p.parts or rel != p.as_posix():
            raise DataError(f"bad relative path {rel!r} in built-in tree")
        return self.root.joinpath(*p.parts)

    def _write_bytes(self, rel: str, data: bytes) -> Path:
        digest = hashlib.sha256(data).hexdigest()
        previous = self.written.get(rel)
        if previous is not None and previous != digest:
            raise DataError("written twice with different content by the built-in builders", path=rel)
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.written[rel] = digest
        return target

    # -- writers
    def write_text(self, rel: str, text: str) -> Path:
        return self._write_bytes(rel, text.encode("utf-8"))

    def write_json(self, rel: str, obj: Any) -> Path:
        """One JSON document. Key order is the builder's dict order, which is fixed by the code."""
        return self.write_text(rel, json.dumps(obj, ensure_ascii=False, indent=1) + "\n")

    def write_jsonl(self, rel: str, records: Iterable[Any]) -> Path:
        lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in records]
        return self.write_text(rel, "".join(lines))

    def write_csv(self, rel: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
        return self.write_text(rel, buf.getvalue())

    def save_image(self, rel: str, image: Image.Image) -> Path:
        """PNG with fixed options and no metadata chunks, so equal pixels give equal bytes."""
        if image.mode != "RGB":
            image = image.convert("RGB")
        clean = Image.frombytes("RGB", image.size, image.tobytes())  # drops any info/ancillary data
        buf = io.BytesIO()
        clean.save(buf, format="PNG", optimize=False, compress_level=6)
        return self._write_bytes(rel, buf.getvalue())


Builder = Callable[[BuildContext], None]


def _registry() -> tuple[dict[str, Builder], dict[str, Builder]]:
    """Merge each aspect module's ``BUILDERS`` (task id → builder). Imported here so the aspect modules can
    import :class:`BuildContext` from this package without a cycle."""
    from multitrust.data.builtin import fairness, pools, privacy, robustness, safety, truthfulness

    builders: dict[str, Builder] = {}
    for module in (truthfulness, safety, robustness, fairness, privacy):
        for task_id, builder in module.BUILDERS.items():
            if task_id in builders:
                raise RuntimeError(f"two built-in data builders for {task_id}")
            builders[task_id] = builder
    shared: dict[str, Builder] = {"unrelated_images": pools.build_unrelated_images}
    return builders, shared


BUILDERS, SHARED_BUILDERS = _registry()


def implemented_tasks() -> list[str]:
    return sorted(BUILDERS)


def _resolve_tasks(tasks: Iterable[str] | None) -> list[str]:
    if tasks is None:
        return implemented_tasks()
    if isinstance(tasks, str):
        tasks = [tasks]
    chosen: set[str] = set()
    for raw in tasks:
        task = str(raw).strip().upper()
        if task not in KNOWN_TASKS:
            raise DataError(f"unknown task id {raw!r} for the built-in data (expected one of T.1 … P.6)")
        if task not in BUILDERS:
            raise DataError(f"no built-in data for task {task} yet (implemented: {', '.join(implemented_tasks())})")
        chosen.add(task)
    return sorted(chosen)


def _check_target(out: Path) -> None:
    """``out`` may be missing, empty, or a previous built-in tree; anything else is left untouched."""
    if not out.exists():
        return
    if not out.is_dir():
        raise DataError("exists and is not a directory", path=str(out))
    if not any(out.iterdir()):
        return
    manifest = out / MANIFEST_NAME
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8"))
        ok = isinstance(previous, dict) and previous.get("generator") == GENERATOR
    except (OSError, ValueError):
        ok = False
    if not ok:
        raise DataError(
            "is not empty and holds no built-in data tree (no MANIFEST.json from multitrust-builtin); "
            "refusing to overwrite it",
            path=str(out),
        )


def _hash_tree(root: Path) -> dict[str, str]:
    """{relative POSIX path: sha256} for every file, sorted by path (independent of listing order)."""
    files: dict[str, str] = {}
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if rel != MANIFEST_NAME:
                files[rel] = hashlib.sha256(full.read_bytes()).hexdigest()
    return dict(sorted(files.items()))


def _clear_dir(path: Path) -> None:
    for child in sorted(path.iterdir()):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def build_tree(out: Path | str, *, seed: int = 0, tasks: Iterable[str] | None = None) -> dict[str, Any]:
    """Build the built-in data for ``tasks`` (None: every task with a builder) into ``out``.

    The tree is built in a sibling temporary directory and moved into ``out`` only when complete, so a
    failed build never leaves a half-written tree behind. Returns the manifest that is also written
    to ``out/MANIFEST.json``.
    """
    out = Path(out)
    seed = int(seed)
    chosen = _resolve_tasks(tasks)
    _check_target(out)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.building-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        ctx = BuildContext(root=tmp, seed=seed)
        if any(t in NEEDS_UNRELATED for t in chosen):
            SHARED_BUILDERS["unrelated_images"](ctx)
        for task in chosen:
            BUILDERS[task](ctx)
        manifest: dict[str, Any] = {
            "generator": GENERATOR,
            "version": GENERATOR_VERSION,
            "seed": seed,
            "tasks": chosen,
            "files": _hash_tree(tmp),
        }
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")

        if out.exists():
            _clear_dir(out)
        else:
            out.mkdir()
        for child in sorted(tmp.iterdir()):
            child.rename(out / child.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


__all__ = [
    "BUILDERS",
    "GENERATOR_VERSION",
    "KNOWN_TASKS",
    "NEEDS_UNRELATED",
    "SHARED_BUILDERS",
    "BuildContext",
    "build_tree",
    "implemented_tasks",
]
