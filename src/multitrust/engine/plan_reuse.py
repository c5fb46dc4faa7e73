"""When a task's stored plan can be reused instead of rebuilt.

Planning a task reads its annotation files, checks and hashes every image and builds every sample's messages
and request — over a second for 20,000 samples, all of it wasted when nothing changed. A *plan fingerprint*
covers every input of that work: the data tree's file stats (path, type, size, mtime and ctime in
nanoseconds, the target of a symlink), the package's own files (task declarations, prompts, readers, hashing),
the task's variants as declared (prompt templates, image modes, token caps, annotation files), the model spec
and what the adapter reports about itself, and the plan settings of the run (seed, limit, fidelity, token cap,
text only). The runner stores the fingerprint beside each task's plan (run metadata ``plan_inputs``); a later
run that computes the same fingerprint keeps the stored samples and request hashes as they are.

A file rewritten with the same size and mtime inside one timestamp tick is the one change stats cannot see
(the same limit as ``make`` and ``rsync``); its ctime still moves, which is why ctime is part of the stats.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from multitrust import __version__
from multitrust.core.hashing import hash_json
from multitrust.engine.config import RunConfig
from multitrust.models.base import ChatModel
from multitrust.tasks.registry import get_task

#: run-store metadata: task → fingerprint of the inputs its stored plan was built from
PLAN_INPUTS_KEY = "plan_inputs"

_PACKAGE = Path(__file__).resolve().parent.parent


def data_state(root: str | Path) -> str:
    """A hash of every entry under ``root`` (its relative path, type, size, mtime_ns and ctime_ns; a symlink's
    target), walked without following symlinks: a data tree only ever serves files whose real path is inside
    its root, so each of them is seen as itself."""
    rows: list[tuple[Any, ...]] = []
    base = str(root)
    stack = [base]
    while stack:
        top = stack.pop()
        try:
            entries = list(os.scandir(top))
        except OSError as exc:  # an unreadable directory is part of the state too
            rows.append((os.path.relpath(top, base), "unreadable", type(exc).__name__))
            continue
        for entry in entries:
            rel = os.path.relpath(entry.path, base)
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                rows.append((rel, "gone"))
                continue
            if entry.is_symlink():
                try:
                    target = os.readlink(entry.path)
                except OSError:
                    target = None
                rows.append((rel, "link", target, st.st_mtime_ns, st.st_ctime_ns))
            elif entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
                rows.append((rel, "dir"))
            else:
                rows.append((rel, "file", st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    rows.sort(key=lambda r: r[0])
    h = hashlib.sha256(os.path.realpath(base).encode("utf-8", "surrogateescape"))
    for row in rows:
        h.update(repr(row).encode("utf-8", "surrogateescape"))
        h.update(b"\n")
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_state() -> str:
    """A hash of the package's own files (code, prompts and word lists shipped with it), so a changed task
    declaration or reader never reuses a plan built by the old one."""
    h = hashlib.sha256(__version__.encode())
    for path in sorted(p for p in _PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(_PACKAGE)).encode("utf-8", "surrogateescape"))
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"unreadable")
    return h.hexdigest()


def _declaration(task_id: str) -> list[dict[str, Any]]:
    """The planning-relevant part of a task's variants as declared now (a prompt given as a function is named
    by its qualified name; its code is in :func:`code_state`)."""
    out = []
    for v in get_task(task_id).variants:
        prompt = v.prompt if isinstance(v.prompt, str) else f"{v.prompt.__module__}.{v.prompt.__qualname__}"
        out.append(
            {
                "name": v.name,
                "prompt": prompt,
                "image": v.image,
                "paper_image": v.paper_image,
                "max_tokens": v.max_tokens,
                "files": list(v.source.files),
                "source": v.source.description,
            }
        )
    return out


def plan_fingerprint(task_id: str, data: str, model: ChatModel, cfg: RunConfig) -> str:
    """The fingerprint of everything :func:`multitrust.engine.runner.plan_task` reads for ``task_id``;
    ``data`` is :func:`data_state` of the run's data tree."""
    return hash_json(
        {
            "task": task_id,
            "variants": _declaration(task_id),
            "data": data,
            "code": code_state(),
            "model": model.spec,
            "per_sample": bool(model.per_sample),
            "adapter": json.loads(json.dumps(model.describe(), sort_keys=True, default=str)),
            "seed": cfg.seed,
            "limit": cfg.limit,
            "fidelity": cfg.fidelity,
            "max_tokens": cfg.max_tokens,
            "text_only": cfg.text_only,
        }
    )
