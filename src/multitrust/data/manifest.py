"""What the official release holds (the packaged manifest) and what a fetched tree holds (its local manifest).

The packaged manifest (``release_manifest.json``, written by ``scripts/make_release_manifest.py`` from the
measured inventory of ``thu-ml/MultiTrust`` at one revision) lists the release's query files with size,
SHA-256 and row count, and per inventory group the download globs. ``multitrust data check`` verifies a tree
against it; ``multitrust data fetch`` derives its ``allow_patterns`` from it. A tree written by ``data fetch``
(from the hub or from a bundle) also carries a local manifest of every file it wrote, so a later check can tell
a deleted or changed image from one the release never had.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from multitrust.core.errors import DataError

#: the local manifest a fetched tree carries (path relative to the tree root)
LOCAL_MANIFEST = ".multitrust/fetch-manifest.json"
#: the built-in generator's marker file: a tree with it is synthetic, not the release
BUILTIN_MARKER = "MANIFEST.json"
#: the unrelated-image pool every task with an unrelated-image variant reads
UNRELATED_GLOB = "unrelated_images/**"

_CHUNK = 1 << 20


@dataclass(frozen=True)
class QueryFile:
    path: str
    bytes: int
    sha256: str
    format: str
    rows: int | None
    companion_of: str | None = None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a tree against a manifest. ``kind`` is ``missing``, ``modified``, ``rows`` or
    ``absent`` (a file the fetch wrote that is gone)."""

    kind: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"


class ReleaseManifest:
    """The packaged manifest of one release revision."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.dataset: str = data["dataset"]
        self.revision: str = data["revision"]
        self.query_files: dict[str, QueryFile] = {
            q["path"]: QueryFile(
                q["path"], int(q["bytes"]), q["sha256"], q["format"], q.get("rows"), q.get("companion_of")
            )
            for q in data["query_files"]
        }
        self.groups: list[dict[str, Any]] = data["groups"]
        self.folders: dict[str, dict[str, Any]] = {f["path"]: f for f in data["folders"]}
        self.other_files: dict[str, dict[str, Any]] = {f["path"]: f for f in data["other_files"]}
        self.images: dict[str, dict[str, Any]] = {i["path"]: i for i in data["images"]}

    def patterns_for(self, paths: Iterable[str], *, unrelated: bool = False) -> list[str]:
        """``allow_patterns`` for the data a task declares: each query file brings the globs of every
        release group that reads it (the file and its image folders), a folder brings itself, a loose file
        itself. Unknown paths raise: a declaration naming a file the release does not have is a bug."""
        out: list[str] = []
        for rel in paths:
            rel = rel.strip("/")
            if rel in self.query_files:
                companion = self.query_files[rel].companion_of
                keys = {rel, companion} if companion else {rel}
                groups = [g for g in self.groups if keys & set(g["query_files"])]
                out.extend(glob for g in groups for glob in g["globs"])
                if not groups:
                    out.append(rel)
            elif rel in self.other_files:
                out.append(rel)
            elif rel in self.folders or any(f.startswith(rel + "/") for f in self.folders):
                out.append(f"{rel}/**")
            else:
                raise DataError("not in the official release manifest", path=rel)
        if unrelated:
            out.append(UNRELATED_GLOB)
        return list(dict.fromkeys(out))


#: environment variable naming another manifest file (same schema): a later release revision, or a test's
#: fake release
MANIFEST_ENV = "MULTITRUST_RELEASE_MANIFEST"


def release_manifest() -> ReleaseManifest:
    """The packaged manifest, or the one ``$MULTITRUST_RELEASE_MANIFEST`` names."""
    return _load_manifest(os.environ.get(MANIFEST_ENV) or None)


@lru_cache(maxsize=4)
def _load_manifest(path: str | None) -> ReleaseManifest:
    if path is None:
        text = resources.files("multitrust.data").joinpath("release_manifest.json").read_text(encoding="utf-8")
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise DataError(f"cannot read the release manifest ({exc.strerror})", path=path) from None
    try:
        return ReleaseManifest(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"malformed release manifest ({type(exc).__name__}: {exc})", path=path or "packaged") from None


def matches(path: str, patterns: Iterable[str]) -> bool:
    """``huggingface_hub``'s ``allow_patterns`` rule: ``fnmatch`` on the repo path (``*`` crosses ``/``), a
    pattern ending in ``/`` meaning everything below it."""
    for pattern in patterns:
        if pattern.endswith("/"):
            pattern += "*"
        if fnmatch.fnmatch(path, pattern):
            return True
    return False


# ------------------------------------------------------------------------------------------------- hashing


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, read in chunks (release images reach 52 MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# ------------------------------------------------------------------------------------------------ row counts


def count_rows(data: bytes, fmt: str) -> int:
    """Rows of a query file in the inventory's sense, by its format (JSON Lines saved as ``.json`` included).
    Raises ``ValueError`` when the bytes do not parse as that format."""
    text = data.decode("utf-8-sig")
    if fmt == "json-array":
        rows = json.loads(text)
        if not isinstance(rows, list):
            raise ValueError("not a JSON array")
        return len(rows)
    if fmt in ("jsonl", "jsonl-as-json"):
        n = 0
        for line in text.splitlines():
            if line.strip():
                json.loads(line)
                n += 1
        return n
    if fmt == "json-object-of-lists":
        obj = json.loads(text)
        if not isinstance(obj, dict) or not all(isinstance(v, list) for v in obj.values()):
            raise ValueError("not a JSON object of lists")
        return sum(len(v) for v in obj.values())
    if fmt == "json-object-of-objects":
        obj = json.loads(text)
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
        return len(obj)
    if fmt == "csv":
        return sum(1 for _ in csv.DictReader(io.StringIO(text, newline="")))
    if fmt == "txt-lines":
        return sum(1 for line in text.splitlines() if line.strip())
    raise ValueError(f"unknown format {fmt!r}")


# ------------------------------------------------------------------------------------------------- checking


def verify_query_files(root: Path, paths: Iterable[str], manifest: ReleaseManifest | None = None) -> list[Problem]:
    """Each release query file among ``paths``: present, byte-identical (size + SHA-256) and, when it is
    not, whether its row count still matches (a truncated file usually loses rows)."""
    manifest = manifest or release_manifest()
    problems: list[Problem] = []
    for rel in paths:
        q = manifest.query_files.get(rel)
        if q is None:
            continue
        p = root / rel
        if not p.is_file():
            problems.append(Problem("missing", rel, "missing file (the release has it)"))
            continue
        data = p.read_bytes()
        if len(data) == q.bytes and hashlib.sha256(data).hexdigest() == q.sha256:
            continue
        problems.append(
            Problem(
                "modified",
                rel,
                f"modified: {len(data):,} bytes, SHA-256 {hashlib.sha256(data).hexdigest()[:12]}… "
                f"(release: {q.bytes:,} bytes, {q.sha256[:12]}…)",
            )
        )
        if q.rows is not None:
            try:
                rows = count_rows(data, q.format)
            except (ValueError, UnicodeDecodeError) as exc:
                problems.append(Problem("rows", rel, f"does not parse as {q.format} ({type(exc).__name__})"))
                continue
            if rows != q.rows:
                problems.append(Problem("rows", rel, f"row count {rows}, release has {q.rows}"))
    return problems


@dataclass(frozen=True)
class LocalEntry:
    path: str
    bytes: int
    sha256: str


def read_local_manifest(root: Path) -> dict[str, Any] | None:
    p = root / LOCAL_MANIFEST
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("files"), list):
            raise ValueError("no file list")
        return data
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"malformed fetch manifest ({exc})", path=LOCAL_MANIFEST) from None


def local_entries(root: Path) -> dict[str, LocalEntry]:
    data = read_local_manifest(root) or {"files": []}
    return {f["path"]: LocalEntry(f["path"], int(f["bytes"]), f["sha256"]) for f in data["files"]}


def write_local_manifest(root: Path, entries: Iterable[LocalEntry], *, dataset: str, revision: str) -> Path:
    """Record every file a fetch wrote. Deterministic (sorted, no timestamps), so fetching the same files
    from the hub or from a bundle writes the same manifest bytes."""
    files = sorted(entries, key=lambda e: e.path)
    doc = {
        "dataset": dataset,
        "revision": revision,
        "files": [{"path": e.path, "bytes": e.bytes, "sha256": e.sha256} for e in files],
    }
    p = root / LOCAL_MANIFEST
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    tmp.replace(p)
    return p


#: files up to this size (every query file) are re-hashed by every check; larger ones (images) are compared
#: by size unless asked for
HASH_ALWAYS_BELOW = 4 << 20


def verify_local_files(root: Path, entries: Iterable[LocalEntry], *, hash_all: bool = False) -> list[Problem]:
    """Files the fetch wrote that are gone or changed: by size, and by SHA-256 for small files (all files
    with ``hash_all``)."""
    problems: list[Problem] = []
    for e in entries:
        p = root / e.path
        try:
            size = p.stat().st_size
        except FileNotFoundError:
            problems.append(Problem("absent", e.path, "missing (written by data fetch)"))
            continue
        if size != e.bytes or ((hash_all or size <= HASH_ALWAYS_BELOW) and sha256_file(p) != e.sha256):
            problems.append(Problem("modified", e.path, f"changed since data fetch ({size:,} bytes, was {e.bytes:,})"))
    return problems


def iter_tree_files(root: Path) -> Iterator[str]:
    """Release-relative paths of a tree's files, sorted, without this toolkit's and the hub client's own
    bookkeeping folders (``.multitrust/``, ``.cache/``)."""
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(root).as_posix()
        if rel.startswith((".multitrust/", ".cache/")):
            continue
        yield rel


def is_release_tree(root: Path) -> bool:
    """Whether ``data check`` should hold the tree to the release manifest: it was written by
    ``data fetch``, or it is a hub snapshot (the repo's ``.gitattributes``) rather than a built-in tree."""
    if (root / LOCAL_MANIFEST).is_file():
        return True
    return not (root / BUILTIN_MARKER).is_file() and (root / ".gitattributes").is_file()
