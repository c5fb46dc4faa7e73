"""A run keeps its image digests in the user cache: a rerun over an unchanged tree reads no image to hash it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from tests.tasks.handmade import t6_tree

from multitrust import api
from multitrust.core import file_hashes as fh
from multitrust.core.file_hashes import file_hashes
from multitrust.data.locate import FILE_HASHES
from multitrust.engine.config import RunConfig


def test_rerun_reads_no_image_to_hash_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fh, "RACY_SECONDS", 0.0)  # the tree was just written; nothing rewrites it here
    data = tmp_path / "data"
    t6_tree(data)
    images = sorted((data / "truthfulness" / "misleading_images").iterdir())

    def run(name: str) -> None:
        cfg = RunConfig(model="scripted:yes", tasks=["T.6"], data=str(data), out=str(tmp_path / name), bootstrap=0)
        assert api.run(cfg).calls_made == 10

    file_hashes.reset()
    run("a")
    assert file_hashes.stats.files_read == len(images) == 10
    db = Path(os.environ["MULTITRUST_CACHE_DIR"]) / FILE_HASHES
    with sqlite3.connect(db) as con:
        inodes = {row[0] for row in con.execute("SELECT ino FROM file_sha256")}
    assert {p.stat().st_ino for p in images} <= inodes
    file_hashes.reset()  # as a new process would start: nothing in memory
    run("b")
    assert file_hashes.stats.files_read == 0
    assert file_hashes.stats.persisted_hits == 10
