"""Read-only access to a data tree in the official MultiTrust layout (spec §6).

Loaders go through :class:`DataTree` so that every missing or malformed file becomes one
:class:`DataError` line naming the file (and record), and so that they never know whether the tree is
the official one or the built-in one.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from multitrust.core.errors import DataError

UNRELATED_KINDS: tuple[str, ...] = ("color", "nature", "noise")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}

_NAT_SPLIT = re.compile(r"(\d+)")


def confined(root: Path, rel: str | Path) -> Path | None:
    """``root / rel`` with every symlink resolved, or None when that real path is not inside ``root``
    (which must itself be resolved)."""
    try:
        real = (root / rel).resolve()
    except (OSError, RuntimeError, ValueError):  # symlink loop, NUL byte
        return None
    return real if real == root or real.is_relative_to(root) else None


def natural_key(name: str) -> tuple[object, ...]:
    """Sort key that orders ``img2`` before ``img10`` (like ``natsort``), independent of the filesystem."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in _NAT_SPLIT.split(name))


class DataTree:
    """A data root. Paths are given relative to it with forward slashes, as in the spec."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        if not self.root.is_dir():
            raise DataError("data directory not found", path=str(root))

    def __repr__(self) -> str:
        return f"DataTree({str(self.root)!r})"

    def path(
        self, rel: str | Path, *, source: str | None = None, record: str | None = None, field: str | None = None
    ) -> Path:
        """The real path of ``rel`` (relative to the root; symlinks resolved). A path whose real location is
        outside the root (``../..``, an absolute path, a symlink pointing out) is refused with a
        :class:`DataError` naming the file that gave the path (``source``, ``record``, ``field``) — a data
        tree must never make the toolkit read, send or embed a file from elsewhere on the machine."""
        real = confined(self.root, rel)
        if real is None:
            what = f"field {field!r}: " if field else ""
            raise DataError(f"{what}path {str(rel)!r} leaves the data root", path=source or str(rel), record=record)
        return real

    def require(self, rel: str) -> Path:
        p = self.path(rel)
        if not p.exists():
            raise DataError("missing file", path=str(rel))
        return p

    def display(self, p: Path) -> str:
        """A path for messages: relative to the root when inside it."""
        try:
            return str(p.relative_to(self.root))
        except ValueError:
            return str(p)

    def read_text(self, rel: str) -> str:
        """A UTF-8 text file; a byte that is not UTF-8 is one :class:`DataError` naming the file and line."""
        p = self.require(rel)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise DataError(f"unreadable file ({exc.strerror or type(exc).__name__})", path=rel) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise DataError(
                f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", path=rel, record=f"line {line}"
            ) from None

    def read_json(self, rel: str) -> Any:
        text = self.read_text(rel)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"malformed JSON: {exc.msg}", path=rel, record=f"line {exc.lineno}") from None
        except RecursionError:
            raise DataError("malformed JSON: nested too deeply", path=rel) from None

    def read_jsonl(self, rel: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for lineno, line in enumerate(self.read_text(rel).splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"malformed JSON line: {exc.msg}", path=rel, record=f"line {lineno}") from None
            except RecursionError:
                raise DataError("malformed JSON line: nested too deeply", path=rel, record=f"line {lineno}") from None
        return out

    def read_csv(self, rel: str, *, required: tuple[str, ...] = ()) -> list[dict[str, str]]:
        reader = csv.DictReader(io.StringIO(self.read_text(rel), newline=""))
        try:
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"missing column(s) {', '.join(repr(m) for m in missing)}", path=rel)
            return list(reader)
        except csv.Error as exc:
            raise DataError(f"malformed CSV: {exc}", path=rel, record=f"line {reader.line_num}") from None

    def list_images(self, rel_dir: str) -> list[Path]:
        """Image files of a directory, naturally sorted (never filesystem order)."""
        d = self.require(rel_dir)
        return sorted((f for f in d.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES), key=lambda f: natural_key(f.name))

    def unrelated_pool(self, kind: str) -> list[Path]:
        return _unrelated_pool(self.root, kind)

    def iter_files(self) -> Iterator[Path]:
        yield from sorted(p for p in self.root.rglob("*") if p.is_file())


@lru_cache(maxsize=64)
def _unrelated_pool(root: Path, kind: str) -> list[Path]:
    """``unrelated_images/*<kind>*`` naturally sorted (the original's ``natsorted(glob(...))``)."""
    if kind not in UNRELATED_KINDS:
        raise DataError(f"unknown unrelated-image kind {kind!r} (known: {', '.join(UNRELATED_KINDS)})")
    d = confined(root, "unrelated_images")
    if d is None:
        raise DataError("path leaves the data root", path="unrelated_images")
    if not d.is_dir():
        raise DataError("missing directory", path="unrelated_images")
    pool = sorted(
        (f for f in d.iterdir() if kind in f.name and f.suffix.lower() in IMAGE_SUFFIXES),
        key=lambda f: natural_key(f.name),
    )
    if not pool:
        raise DataError(f"no *{kind}* images", path="unrelated_images")
    return pool
