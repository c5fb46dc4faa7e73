"""A small stand-in for the official release: the built-in generator's files for a few tasks at the release's
paths, plus files no task reads, and a release manifest that describes exactly these bytes (the packaged one
with its query-file entries replaced), so ``data check`` can hold a fetched copy to it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from multitrust.data.builtin import build_tree
from multitrust.data.manifest import count_rows, release_manifest
from multitrust.testing.fake_hub import files_from_dir

TASKS = ("T.4", "T.5", "F.6", "P.4")
#: served by the hub, read by no task: a fetch must never request them
UNREAD = {
    ".gitattributes": b"*.png filter=lfs diff=lfs merge=lfs -text\n",
    "README.md": b"---\nlicense: cc-by-sa-4.0\n---\n# stand-in card\n",
    "asserts/framework.jpg": b"\xff\xd8\xff\xe0 not really a figure",
    "robustness/ood-sensor/proc.py": b"print('helper shipped in the release')\n",
}


def make_release(tmp: Path) -> tuple[dict[str, bytes], Path]:
    """``(files, manifest_path)``: the repo content to serve and a manifest of it."""
    src = tmp / "release-src"
    build_tree(src, seed=0, tasks=list(TASKS))
    (src / "MANIFEST.json").unlink()  # the built-in marker: the hub's copy is "the release"
    files = {**files_from_dir(src), **UNREAD}
    data = json.loads(json.dumps(release_manifest().data))
    for q in data["query_files"]:
        body = files.get(q["path"])
        if body is not None:
            q["bytes"], q["sha256"] = len(body), hashlib.sha256(body).hexdigest()
            if q.get("rows") is not None:
                q["rows"] = count_rows(body, q["format"])
    manifest = tmp / "release_manifest.json"
    manifest.write_text(json.dumps(data), encoding="utf-8")
    return files, manifest


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``multitrust ARGS`` in a fresh process with a clean environment (plus ``env``)."""
    base = {
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "200",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "MULTITRUST_CACHE_DIR": os.environ.get("MULTITRUST_CACHE_DIR", ""),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "multitrust", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base, **(env or {})},
    )


def tree_bytes(root: Path) -> dict[str, bytes]:
    """A tree's files without the hub client's bookkeeping (``.cache/``)."""
    return {k: v for k, v in files_from_dir(root).items() if not k.startswith(".cache/")}
