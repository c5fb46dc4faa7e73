"""The file-digest cache on real files: duplicates, hard links, symlinks, in-place edits, persistence."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from multitrust.core import file_hashes as fh
from multitrust.core.file_hashes import FileHashes


@pytest.fixture(autouse=True)
def short_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files made by a test are seconds old at most: shrink the racy window and let each test sleep past it."""
    monkeypatch.setattr(fh, "RACY_SECONDS", 0.05)


def settle() -> None:
    time.sleep(0.06)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_duplicates_links_and_symlinks(tmp_path: Path) -> None:
    data = os.urandom(300_000)
    a = write(tmp_path / "a.png", data)
    copy = write(tmp_path / "copy.png", data)  # same bytes, another inode
    hard = tmp_path / "hard.png"
    os.link(a, hard)
    (tmp_path / "sub").mkdir()
    link = tmp_path / "sub" / "link.png"
    link.symlink_to("../a.png")
    settle()
    cache = FileHashes()
    digests = [cache.sha256(p) for p in (a, hard, link, copy, a)]
    assert digests == [sha(data)] * 5
    # a, hard and link are one inode: read once; the copy is another inode and must be read itself
    assert cache.stats.files_read == 2
    assert cache.stats.bytes_read == 2 * len(data)
    assert cache.stats.memory_hits == 3
    assert cache.stats.bytes_saved == 3 * len(data)


def test_same_size_different_bytes_never_share_a_digest(tmp_path: Path) -> None:
    head, tail = b"\x89PNG" + b"\0" * 100_000, b"\0" * 100_000 + b"END"
    one = write(tmp_path / "one.png", head + b"A" + tail)
    two = write(tmp_path / "two.png", head + b"B" + tail)  # same size, same first and last blocks
    settle()
    cache = FileHashes()
    assert cache.sha256(one) == sha(one.read_bytes())
    assert cache.sha256(two) == sha(two.read_bytes())
    assert cache.sha256(one) != cache.sha256(two)


def test_file_changed_in_place_with_the_same_size(tmp_path: Path) -> None:
    p = write(tmp_path / "img.png", b"x" * 5000)
    settle()
    cache = FileHashes()
    assert cache.sha256(p) == sha(b"x" * 5000)
    with open(p, "r+b") as f:  # in place: same inode, same size, new mtime
        f.write(b"y")
    settle()
    assert cache.sha256(p) == sha(b"y" + b"x" * 4999)


def test_in_place_edit_with_mtime_restored_is_seen_through_ctime(tmp_path: Path) -> None:
    p = write(tmp_path / "img.png", b"a" * 5000)
    old = p.stat()
    settle()
    cache = FileHashes()
    assert cache.sha256(p) == sha(b"a" * 5000)
    settle()
    with open(p, "r+b") as f:
        f.write(b"b")
    os.utime(p, ns=(old.st_atime_ns, old.st_mtime_ns))  # what rsync -t or touch -r does
    assert p.stat().st_mtime_ns == old.st_mtime_ns and p.stat().st_size == old.st_size
    assert cache.sha256(p) == sha(b"b" + b"a" * 4999)


def test_racily_new_files_are_never_memoised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fh, "RACY_SECONDS", 60.0)
    p = write(tmp_path / "img.png", b"1" * 100)
    cache = FileHashes()
    assert cache.sha256(p) == sha(b"1" * 100)
    p.write_bytes(b"2" * 100)  # may well land in the same clock tick: every stat field could be equal
    assert cache.sha256(p) == sha(b"2" * 100)
    assert cache.stats.files_read == 2 and cache.stats.racy == 2


def test_digests_persist_across_processes(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    files = [write(tree / f"{i}.jpg", os.urandom(20_000 + i)) for i in range(5)]
    settle()
    db = tmp_path / "cache" / "file-hashes.sqlite"
    script = (
        "import json, sys\n"
        "from multitrust.core import file_hashes as fh\n"
        "from multitrust.core.file_hashes import file_hashes\n"
        "fh.RACY_SECONDS = 0.05\n"
        "file_hashes.persist(sys.argv[1])\n"
        "d = [file_hashes.sha256(p) for p in sys.argv[2:]]\n"
        "file_hashes.flush()\n"
        "print(json.dumps({'d': d, **file_hashes.stats.to_dict()}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}

    def run() -> dict[str, object]:
        import json

        out = subprocess.run(
            [sys.executable, "-c", script, str(db), *map(str, files)], capture_output=True, text=True, env=env
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    first, second = run(), run()
    assert first["d"] == second["d"] == [sha(p.read_bytes()) for p in files]
    assert first["files_read"] == 5 and first["persisted_hits"] == 0
    assert second["files_read"] == 0 and second["persisted_hits"] == 5
    assert (db.stat().st_mode & 0o777) == 0o600
    # an edited file misses the table and is read again; the others still hit
    with open(files[2], "r+b") as f:
        f.write(b"\0")
    settle()
    third = run()
    assert third["files_read"] == 1 and third["persisted_hits"] == 4
    assert third["d"][2] == sha(files[2].read_bytes())
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM file_sha256").fetchone()[0] == 6  # the old version's row stays


def test_unusable_cache_dir_costs_speed_only(tmp_path: Path) -> None:
    blocker = write(tmp_path / "not-a-dir", b"")
    p = write(tmp_path / "img.png", b"z" * 10)
    settle()
    cache = FileHashes()
    cache.persist(blocker / "file-hashes.sqlite")
    assert cache.sha256(p) == sha(b"z" * 10)


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        FileHashes().sha256(tmp_path / "gone.png")


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        FileHashes().sha256(fifo)
