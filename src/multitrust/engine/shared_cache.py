"""Generations shared across run directories (``<cache>/generations.sqlite``), keyed by request hash.

Two runs asking the same thing — same model spec, generation parameters, prompt and image bytes — share
one generation: the second copies it into its own run store instead of calling the model. Only
successful, deterministic (temperature 0) answers of real backends are shared; scripted models are
cheaper to call than to cache. Several processes may use the file at once (WAL, busy timeout).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from multitrust.core.files import create_private
from multitrust.core.types import Generation, Request
from multitrust.engine.store import GroupCommit, select_in
from multitrust.models.base import ChatModel

FILE_NAME = "generations.sqlite"


def shareable(model: ChatModel, request: Request) -> bool:
    """Whether ``request``'s answer may be shared: greedy decoding, an answer that depends on the request
    only (not on a sample id), and not a scripted model."""
    return request.temperature == 0 and not model.per_sample and not model.spec.startswith("scripted:")


class SharedCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(create_private(self.path), isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS generations (request_hash TEXT PRIMARY KEY, model TEXT NOT NULL, "
            "text TEXT NOT NULL, finish_reason TEXT, usage TEXT, created_at REAL NOT NULL)"
        )
        self._group: GroupCommit | None = None

    def group_commits(self, loop: asyncio.AbstractEventLoop) -> None:
        """From now until :meth:`close`, answers put in one event-loop iteration share one commit (a run
        at 256 in flight would otherwise commit to this file once per answer)."""
        self._group = GroupCommit(self.db, loop)

    def lookup(self, hashes: Iterable[str]) -> dict[str, Generation]:
        out: dict[str, Generation] = {}
        for h, model, text, finish, usage in select_in(
            self.db,
            "SELECT request_hash, model, text, finish_reason, usage FROM generations WHERE request_hash IN ({marks})",
            hashes,
        ):
            # attempts=0 marks a copy: no call was made for it in this run
            out[h] = Generation(h, model, text, finish, None if usage is None else json.loads(usage), 0.0, 0)
        return out

    def put(self, gen: Generation) -> None:
        if not gen.ok:
            return
        write = self.db.execute if self._group is None else self._group.write
        write(
            "INSERT OR IGNORE INTO generations VALUES (?,?,?,?,?,?)",
            (
                gen.request_hash,
                gen.model,
                gen.text,
                gen.finish_reason,
                None if gen.usage is None else json.dumps(gen.usage),
                time.time(),
            ),
        )

    def close(self) -> None:
        group, self._group = self._group, None
        try:
            if group is not None:
                group.close()
        finally:
            self.db.close()
