"""Canonical JSON and content hashes. A request's hash is the cache key of its generation, so it must
not depend on dict order, on where the data tree lives, or on anything but what the model is asked."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from multitrust.core.file_hashes import file_hashes


def canonical_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 kept as is, NaN rejected."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def hash_json(obj: Any) -> str:
    return sha256_hex(canonical_json(obj))


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read once per file version (device, inode, size, mtime, ctime): the same
    image is hashed for every prompt it is paired with and may sit at several paths. See
    :mod:`multitrust.core.file_hashes` (what is memoised, what is persisted, what cannot be saved)."""
    return file_hashes.sha256(path)
