"""Where data comes from: a directory the user names, or ``builtin`` (built once into the user cache,
keyed by generator version and seed, and reused)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from platformdirs import user_cache_dir

from multitrust.core.errors import DataError
from multitrust.core.file_hashes import file_hashes
from multitrust.data.tree import DataTree

BUILTIN = "builtin"


def cache_root() -> Path:
    """``$MULTITRUST_CACHE_DIR`` or the platform's user cache dir (``~/.cache/multitrust`` on Linux)."""
    env = os.environ.get("MULTITRUST_CACHE_DIR")
    return Path(env).expanduser() if env else Path(user_cache_dir("multitrust"))


#: the table of image digests kept across runs (see :mod:`multitrust.core.file_hashes`)
FILE_HASHES = "file-hashes.sqlite"


def persist_file_hashes() -> Path:
    """Keep file digests in the user cache from now on, so a rerun over an unchanged tree reads no image
    to hash it; a file whose size, mtime, ctime or inode changed is read again."""
    path = cache_root() / FILE_HASHES
    file_hashes.persist(path)
    return path


@lru_cache(maxsize=1)
def generator_fingerprint() -> str:
    """The generator version plus a hash of the generator's source files, so a cached tree is never reused
    by code that would build a different one (a forgotten version bump cannot serve stale data)."""
    from multitrust.data import builtin

    root = Path(builtin.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"v{builtin.GENERATOR_VERSION}-{digest.hexdigest()[:12]}"


def builtin_dir(seed: int) -> Path:
    return cache_root() / "builtin" / f"{generator_fingerprint()}-seed{seed}"


def ensure_builtin(seed: int) -> Path:
    """Build the built-in tree for ``seed`` unless the cache has it. Building goes to a temporary
    directory that is renamed into place, so an interrupted build never leaves a half tree behind."""
    from multitrust.data.builtin import build_tree

    target = builtin_dir(seed)
    if (target / "MANIFEST.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        build_tree(tmp, seed=seed)
        try:
            tmp.rename(target)
        except OSError:
            if not (target / "MANIFEST.json").is_file():  # lost a race to a broken tree: replace it
                shutil.rmtree(target, ignore_errors=True)
                tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_data(data: str | Path, *, seed: int) -> DataTree:
    """A :class:`DataTree` for ``--data``: ``builtin`` or a directory path."""
    if str(data) == BUILTIN:
        return DataTree(ensure_builtin(seed))
    p = Path(data).expanduser()
    if not p.is_dir():
        raise DataError("data directory not found (pass a MultiTrust data tree, or 'builtin')", path=str(data))
    return DataTree(p)
