"""An audit hook (PEP 578) that records every file the interpreter opens while a watch is active: the
strongest check that a data tree cannot make the toolkit read a file outside it (Pillow, json, csv and
the HTTP client all open files through the audited ``open``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_watches: list[list[str]] = []
_installed = False


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _watches and isinstance(args[0], str | bytes | os.PathLike):
        name = os.fsdecode(args[0])  # type: ignore[arg-type]
        for w in _watches:
            w.append(name)


@contextmanager
def opened_files() -> Iterator[list[str]]:
    """The paths opened inside the ``with`` block (hooks cannot be removed, so one hook serves all)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
    seen: list[str] = []
    _watches.append(seen)
    try:
        yield seen
    finally:
        _watches.remove(seen)


def opened_under(seen: list[str], directory: Path) -> list[str]:
    """The opened paths whose real location (symlinks resolved) is inside ``directory``."""
    d = directory.resolve()
    return [p for p in seen if Path(os.path.realpath(p)).is_relative_to(d)]
