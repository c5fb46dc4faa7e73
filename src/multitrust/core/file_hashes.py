"""SHA-256 of files, read once per file version and, when persisted, once per file version ever.

A request names an image by the SHA-256 of its bytes, and the official release pairs one image with many
prompts, stores identical bytes under several paths (371 contents at 762 paths), hard-links or symlinks
nothing itself but lands on disk as symlinks into the Hugging Face blob store, and weighs 11 GB. So the
digest is memoised on the file's *identity*, not its path: ``(st_dev, st_ino, st_size, st_mtime_ns,
st_ctime_ns)`` of the file a path resolves to. Every path to one inode (hard links, symlinks, the same file
reached through two spellings) is read once. ``ctime`` is in the key because tools that rewrite a file in
place and restore its mtime (``rsync -t``, ``touch -r``, unpackers) cannot restore its ctime.

What this cannot save: two *different* inodes holding the same bytes must both be read in full. A cheap
pre-key (size, first and last blocks) can only say which files *might* be equal; proving it takes every
byte of the second file, and hashing those bytes costs little more than reading them. So copies are read
once each; what is done once per *content* is everything after the hash (the decode check in
:mod:`multitrust.data.images`, the encoding an adapter sends, the generation itself).

Persistence (:meth:`FileHashes.persist`): the digests go to a small SQLite table in the user cache, keyed
by the same identity, so a rerun over an unchanged tree reads no image at all. A file changed in any way
that changes its size, mtime, ctime or inode misses. A file modified less than :data:`RACY_SECONDS` ago
is hashed but never memoised ("racily clean", as git calls it): file systems stamp times from a coarse
clock, so a second same-size write within one tick could leave every stat field equal.

Files are hashed streaming (``hashlib.file_digest``): a 52 MB image costs a buffer, not 52 MB. A file whose
stat changes while it is read raises :class:`OSError` rather than returning the digest of mixed bytes.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import sqlite3
import stat
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["RACY_SECONDS", "FileHashes", "HashStats", "file_hashes", "identity", "racy"]

#: a file whose mtime or ctime is this recent is hashed on every call (never memoised)
RACY_SECONDS = 2.0
#: new digests buffered before they are written to the persistent table
_FLUSH_EVERY = 256

Identity = tuple[int, int, int, int, int]


def identity(st: os.stat_result) -> Identity:
    """What names one version of one file: device, inode, size, mtime and ctime (ns)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def racy(key: Identity) -> bool:
    """Whether a file version is too recent to be memoised by its stat fields (see the module docstring)."""
    return time.time_ns() - max(key[3], key[4]) < RACY_SECONDS * 1e9


@dataclass
class HashStats:
    """Counters since the process started (or :meth:`FileHashes.reset`): what was read and what was not."""

    calls: int = 0
    #: files read and hashed, and their bytes
    files_read: int = 0
    bytes_read: int = 0
    #: answered from memory: a path to a file version already hashed in this process (the same path again,
    #: a hard link, a symlink)
    memory_hits: int = 0
    #: answered from the persistent table (hashed by an earlier process)
    persisted_hits: int = 0
    #: bytes not read thanks to the two kinds of hit
    bytes_saved: int = 0
    #: hashed but not memoised: modified within RACY_SECONDS
    racy: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class FileHashes:
    """A thread-safe digest cache keyed by file identity, optionally backed by a SQLite table."""

    def __init__(self) -> None:
        self._memory: dict[Identity, str] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._db_path: Path | None = None
        self._pending: list[tuple[int, int, int, int, int, str]] = []
        self.stats = HashStats()

    # -- persistence

    def persist(self, path: str | os.PathLike[str] | None) -> None:
        """Read and write digests in the SQLite file ``path`` from now on (None: memory only). The file is
        created with mode 0600 like every file the toolkit writes. An unusable file leaves memory only."""
        target = None if path is None else Path(path)
        with self._lock:
            if target == self._db_path:
                return
            self._flush_locked()
            if self._db is not None:
                self._db.close()
            self._db, self._db_path = None, None
            if target is None:
                return
            try:
                from multitrust.core.files import create_private

                target.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(create_private(target), isolation_level=None, timeout=5, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS file_sha256 (dev INTEGER, ino INTEGER, size INTEGER, "
                    "mtime_ns INTEGER, ctime_ns INTEGER, sha256 TEXT NOT NULL, "
                    "PRIMARY KEY (dev, ino, size, mtime_ns, ctime_ns)) WITHOUT ROWID"
                )
                db.execute(
                    "CREATE TABLE IF NOT EXISTS content_notes (sha256 TEXT, kind TEXT, value TEXT NOT NULL, "
                    "PRIMARY KEY (sha256, kind)) WITHOUT ROWID"
                )
            except (OSError, sqlite3.Error):
                return  # a cache, not a result: a read-only or broken cache dir costs speed only
            self._db, self._db_path = db, target

    def flush(self) -> None:
        """Write the buffered new digests to the persistent table (no-op without one)."""
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._db is None or not self._pending:
            self._pending.clear()
            return
        rows, self._pending = self._pending, []
        # another process holding the write lock past the timeout: those digests are recomputed next time
        with contextlib.suppress(sqlite3.Error):
            self._db.executemany("INSERT OR REPLACE INTO file_sha256 VALUES (?,?,?,?,?,?)", rows)

    def _lookup_locked(self, key: Identity) -> str | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT sha256 FROM file_sha256 WHERE dev=? AND ino=? AND size=? AND mtime_ns=? AND ctime_ns=?", key
            ).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else str(row[0])

    # -- facts about a content (a verdict that depends on the bytes only), kept beside the digests

    def note(self, sha256: str, kind: str) -> str | None:
        """A fact recorded for the content ``sha256`` under ``kind`` by this or an earlier process."""
        with self._lock:
            if self._db is None:
                return None
            try:
                row = self._db.execute(
                    "SELECT value FROM content_notes WHERE sha256=? AND kind=?", (sha256, kind)
                ).fetchone()
            except sqlite3.Error:
                return None
            return None if row is None else str(row[0])

    def set_note(self, sha256: str, kind: str, value: str) -> None:
        """Record a fact about the content ``sha256``; ``kind`` must name everything the fact depends on
        besides the bytes (a checker version, a library version). No-op without a persistent table."""
        with self._lock:
            if self._db is None:
                return
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("INSERT OR REPLACE INTO content_notes VALUES (?,?,?)", (sha256, kind, value))

    # -- hashing

    def sha256(self, path: str | os.PathLike[str]) -> str:
        """The hex SHA-256 of the bytes at ``path`` (symlinks followed)."""
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read, /dev/zero never end it
            raise OSError(f"{os.fspath(path)}: not a regular file")
        key = identity(st)
        with self._lock:
            self.stats.calls += 1
            hit = self._memory.get(key)
            if hit is not None:
                self.stats.memory_hits += 1
                self.stats.bytes_saved += key[2]
                return hit
            hit = self._lookup_locked(key)
            if hit is not None:
                self._memory[key] = hit
                self.stats.persisted_hits += 1
                self.stats.bytes_saved += key[2]
                return hit
        digest, read_key = _hash_file(path)
        with self._lock:
            self.stats.files_read += 1
            self.stats.bytes_read += read_key[2]
            if racy(read_key):
                self.stats.racy += 1
                return digest
            self._memory[read_key] = digest
            if self._db is not None:
                self._pending.append((*read_key, digest))
                if len(self._pending) >= _FLUSH_EVERY:
                    self._flush_locked()
        return digest

    def reset(self) -> None:
        """Forget the in-memory digests and zero the counters (tests and benchmarks); the table stays."""
        with self._lock:
            self._flush_locked()
            self._memory.clear()
            self.stats = HashStats()


def _hash_file(path: str | os.PathLike[str]) -> tuple[str, Identity]:
    """Digest and identity of what was read; OSError if the file changed while it was being read."""
    with open(path, "rb") as fh:
        before = identity(os.fstat(fh.fileno()))
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
        after = identity(os.fstat(fh.fileno()))
    if before != after:
        raise OSError(f"{os.fspath(path)}: file changed while it was being hashed")
    return digest, after


#: the process-wide cache behind :func:`multitrust.core.hashing.file_sha256`
file_hashes = FileHashes()
atexit.register(file_hashes.flush)
