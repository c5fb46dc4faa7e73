"""Group commits of the run store: the writes of one event-loop iteration share one commit, an attempt is
durable before ``durable()`` returns, and a failed commit is raised, never lost in a callback."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from multitrust.core.errors import StoreError
from multitrust.core.types import Generation, Message, Sample
from multitrust.engine.store import GroupCommit, RunStore


def _gen(i: int) -> Generation:
    return Generation(f"h{i}", "m", f"answer {i}", "stop", None, 0.1, 1)


def _visible(path: Path, table: str) -> int:
    """Rows another connection sees: only committed ones."""
    with sqlite3.connect(path) as other:
        return int(other.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_writes_of_one_iteration_share_one_commit(tmp_path: Path) -> None:
    store = RunStore.in_dir(tmp_path)

    async def go() -> None:
        with store.group_commits() as group:
            for i in range(100):
                store.put_generation(_gen(i))
                store.note_attempt(f"h{i}")
            assert _visible(store.path, "generations") == 0  # not committed yet: the iteration is not over
            await asyncio.sleep(0)
            assert _visible(store.path, "generations") == 100
            assert _visible(store.path, "sent") == 100
            assert group.commits == 1
            store.put_generation(_gen(100))
        # leaving the block commits what is pending
        assert _visible(store.path, "generations") == 101
        assert group.commits == 2

    asyncio.run(go())
    store.close()


def test_durable_returns_once_the_attempt_is_committed(tmp_path: Path) -> None:
    store = RunStore.in_dir(tmp_path)

    async def go() -> None:
        with store.group_commits():
            store.note_attempt("h1")
            await store.durable()
            assert _visible(store.path, "sent") == 1  # what a killed process leaves behind
            await store.durable()  # nothing pending: returns at once

    asyncio.run(go())
    store.close()


def test_a_method_with_its_own_transaction_commits_pending_writes_first(tmp_path: Path) -> None:
    store = RunStore.in_dir(tmp_path)
    sample = Sample("s1", "T.6", "v", (Message("user", "q"),), None, {}, "r1")

    async def go() -> None:
        with store.group_commits():
            store.put_generation(_gen(1))
            store.replace_task_samples("T.6", [(sample, "h1", None)])
            assert _visible(store.path, "generations") == 1
            assert _visible(store.path, "samples") == 1

    asyncio.run(go())
    assert [s.sample.id for s in store.samples()] == ["s1"]
    store.close()


def test_a_failed_commit_is_raised(tmp_path: Path) -> None:
    """A commit that SQLite refuses (a deferred foreign key checked at COMMIT) reaches the writers."""
    db = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    db.execute("CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")

    async def go() -> None:
        group = GroupCommit(db, asyncio.get_running_loop())
        group.write("INSERT INTO child VALUES (?)", (7,))  # no parent 7: the commit fails
        with pytest.raises(StoreError, match="could not commit"):
            await group.durable()
        with pytest.raises(StoreError, match="could not commit"):
            group.write("INSERT INTO parent VALUES (?)", (1,))
        with pytest.raises(StoreError):
            group.close()

    asyncio.run(go())
    assert db.execute("SELECT count(*) FROM child").fetchone()[0] == 0
    db.close()
