"""Seed derivation. Every random choice is drawn from a generator keyed by (run seed, purpose, item),
so a choice does not depend on iteration order, concurrency or which other tasks are run."""

from __future__ import annotations

import hashlib
import random

DEFAULT_SEED = 0


def derive_seed(seed: int, *keys: object) -> int:
    """A 64-bit seed from the run seed and any number of stable keys (strings, ints)."""
    h = hashlib.sha256(str(int(seed)).encode())
    for key in keys:
        h.update(b"\x1f")
        h.update(str(key).encode())
    return int.from_bytes(h.digest()[:8], "big")


def rng_for(seed: int, *keys: object) -> random.Random:
    """A ``random.Random`` seeded by :func:`derive_seed`."""
    return random.Random(derive_seed(seed, *keys))
