"""One file-mode policy for everything a run or a report writes: owner read and write only (0600).

A run directory and its exports (``run.sqlite``, ``config.json``, ``report.json``, ``report.html``, the
CSV and the per-sample JSONL) and the shared generation cache hold prompts, the model's answers and, for
the privacy tasks, the personal data the samples plant and the answers may leak. Such files are made
readable by others on purpose (``chmod``, a copy), never by accident of a umask, so every writer
goes through this module and gets the same mode whatever the umask is. Directories keep the umask's mode.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["FILE_MODE", "atomic_write", "create_private", "write_text"]

#: the mode of every file a run or a report writes
FILE_MODE = 0o600


def atomic_write(path: str | Path, write: Callable[[IO[str]], object]) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``path`` and move it into place once it succeeded, so an
    interrupted writer never leaves a half-written file where a good one was. The result has :data:`FILE_MODE`."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically with :data:`FILE_MODE`."""
    return atomic_write(path, lambda fh: fh.write(text))


def create_private(path: str | Path) -> Path:
    """Create ``path`` empty with :data:`FILE_MODE` if it does not exist yet (before SQLite opens it: SQLite
    creates a missing database with the umask's mode, and gives its ``-wal``/``-shm`` files the database's)."""
    p = Path(path)
    try:
        os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        os.chmod(p, FILE_MODE)  # os.open's mode is masked by the umask
    except FileExistsError:
        pass
    return p
