"""Canonical JSON and content hashes. A request's hash is the cache key of its generation, so it must
not depend on dict order, on where the data tree lives, or on anything but what the model is asked."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any


def canonical_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 kept as is, NaN rejected."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def hash_json(obj: Any) -> str:
    return sha256_hex(canonical_json(obj))


_file_hash_cache: dict[tuple[str, int, int], str] = {}
_file_hash_lock = threading.Lock()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, memoised on (path, size, mtime) because the same image is hashed for
    every prompt it is paired with."""
    p = Path(path)
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)
    with _file_hash_lock:
        hit = _file_hash_cache.get(key)
    if hit is not None:
        return hit
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    with _file_hash_lock:
        _file_hash_cache[key] = digest
    return digest
