"""Bundles of a fetched tree for machines that cannot reach the hub: ``data bundle`` writes, ``data fetch
--from`` unpacks.

A bundle is a plain (uncompressed — the images are compressed already) tar whose first member is the local
manifest of the files it carries (path, size, SHA-256). Unpacking streams each member to a temporary file,
hashes it on the way and only then moves it into place, so a damaged or tampered bundle is refused file by
file and never leaves a half-written file behind. Members that are not plain files, absolute paths and
paths leaving the tree are refused too. Unpacked files are byte-identical to the ones bundled.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from multitrust.core.errors import DataError
from multitrust.data.manifest import (
    LOCAL_MANIFEST,
    LocalEntry,
    iter_tree_files,
    local_entries,
    matches,
    read_local_manifest,
    release_manifest,
    sha256_file,
    write_local_manifest,
)

if TYPE_CHECKING:
    from multitrust.data.fetch import FetchResult

_CHUNK = 1 << 20


def write_bundle(src: str | Path, out: str | Path, patterns: Sequence[str]) -> tuple[int, int]:
    """Tar the files of ``src`` matching ``patterns`` (release paths) with their manifest into ``out``.
    Returns (files, bytes). Deterministic: same files ⇒ same bundle bytes (sorted, fixed owner and time)."""
    root = Path(src).expanduser()
    if not root.is_dir():
        raise DataError("data directory not found", path=str(src))
    meta = read_local_manifest(root) or {}
    known = local_entries(root) if meta else {}
    entries: list[LocalEntry] = []
    for rel in iter_tree_files(root):
        if not matches(rel, patterns):
            continue
        size = (root / rel).stat().st_size
        prev = known.get(rel)
        entries.append(
            prev if prev is not None and prev.bytes == size else LocalEntry(rel, size, sha256_file(root / rel))
        )
    if not entries:
        raise DataError("no release files for the chosen tasks in this tree", path=str(src))
    doc = {
        "dataset": meta.get("dataset", release_manifest().dataset),
        "revision": meta.get("revision", "unknown"),
        "files": [{"path": e.path, "bytes": e.bytes, "sha256": e.sha256} for e in entries],
    }
    out_path = Path(out).expanduser()
    tmp = out_path.with_name(out_path.name + ".partial")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, LOCAL_MANIFEST, (json.dumps(doc, indent=1) + "\n").encode())
        for e in entries:
            info = _info(e.path, e.bytes)
            with open(root / e.path, "rb") as fh:
                tar.addfile(info, fh)
    tmp.replace(out_path)
    return len(entries), sum(e.bytes for e in entries)


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime, info.uid, info.gid = size, 0o644, 0, 0, 0
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, len(data)), io.BytesIO(data))


def _safe_rel(name: str) -> str:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts or name.startswith(("/", "\\")) or "\\" in name:
        raise DataError("bundle member with an unsafe path refused", path=name)
    return p.as_posix()


def extract_bundle(bundle: str | Path, out: str | Path, patterns: Sequence[str] | None = None) -> FetchResult:
    """Unpack the members of ``bundle`` matching ``patterns`` (all when None) into ``out``, verifying each
    against the bundle's manifest, and record them in ``out``'s local manifest."""
    from multitrust.data.fetch import FetchResult

    src = Path(bundle).expanduser()
    if not src.is_file():
        raise DataError("bundle not found", path=str(bundle))
    root = Path(out).expanduser()
    try:
        with tarfile.open(src, "r:*") as tar:
            first = tar.next()
            if first is None or first.name != LOCAL_MANIFEST or not first.isfile():
                raise DataError(f"not a multitrust bundle (its first member is not {LOCAL_MANIFEST})", path=str(src))
            fh = tar.extractfile(first)
            assert fh is not None
            try:
                doc = json.loads(fh.read().decode("utf-8"))
                expected = {f["path"]: LocalEntry(f["path"], int(f["bytes"]), f["sha256"]) for f in doc["files"]}
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(f"malformed bundle manifest ({exc})", path=str(src)) from None
            root.mkdir(parents=True, exist_ok=True)
            written = _extract_members(tar, root, expected, patterns, src)
    except tarfile.TarError as exc:
        raise DataError(f"unreadable bundle ({exc})", path=str(src)) from None
    if patterns is not None and not written:
        raise DataError("the bundle holds no files for the chosen tasks", path=str(src))
    missing = sorted(p for p in expected if (patterns is None or matches(p, patterns)) and p not in written)
    if missing:
        raise DataError(
            f"bundle is incomplete: {len(missing)} listed file(s) absent, first {missing[0]}", path=str(src)
        )
    merged = local_entries(root) if read_local_manifest(root) is not None else {}
    merged.update(written)
    dataset, revision = str(doc.get("dataset", "")), str(doc.get("revision", "unknown"))
    write_local_manifest(root, merged.values(), dataset=dataset, revision=revision)
    return FetchResult(
        root,
        dataset,
        revision,
        len(written),
        sum(e.bytes for e in written.values()),
        tuple(patterns or ()),
        f"bundle {src}",
    )


def _extract_members(
    tar: tarfile.TarFile,
    root: Path,
    expected: dict[str, LocalEntry],
    patterns: Iterable[str] | None,
    src: Path,
) -> dict[str, LocalEntry]:
    pats = list(patterns) if patterns is not None else None
    written: dict[str, LocalEntry] = {}
    for member in tar:
        rel = _safe_rel(member.name)
        if not member.isfile():
            raise DataError("bundle member that is not a plain file refused", path=rel)
        if rel.startswith(".multitrust/"):
            continue
        entry = expected.get(rel)
        if entry is None:
            raise DataError("bundle member not listed in its manifest", path=rel)
        if pats is not None and not matches(rel, pats):
            continue
        target = root / rel
        if target.is_file() and target.stat().st_size == entry.bytes and sha256_file(target) == entry.sha256:
            written[rel] = entry  # resumed: already unpacked and intact
            continue
        fh = tar.extractfile(member)
        assert fh is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".partial")
        digest, size = hashlib.sha256(), 0
        with open(tmp, "wb") as dst:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        if size != entry.bytes or digest.hexdigest() != entry.sha256:
            tmp.unlink(missing_ok=True)
            raise DataError(f"bundle member does not match its manifest ({size} bytes)", path=f"{src}:{rel}")
        tmp.replace(target)
        written[rel] = entry
    return written
