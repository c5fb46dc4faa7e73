"""Group commits of the run store: the writes of one event-loop iteration share one commit, an attempt is
durable before ``durable()`` returns, and a failed commit is raised, never lost in a callback."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from multitrust.core.errors import StoreError
from multitrust.core.types import Generation, Message, Sample
from multitrust.engine.config import RunConfig
from multitrust.engine.runner import Runner
from multitrust.engine.store import GroupCommit, RunStore
from multitrust.testing.trees import write_t6_tree


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


class _CountingServer(BaseHTTPRequestHandler):
    """An OpenAI-compatible answer ("yes") to every chat request; on arrival, each request compares the
    attempts the run store has committed (read from another connection) with the requests seen so far."""

    protocol_version = "HTTP/1.1"
    store_path: ClassVar[Path]
    lock = threading.Lock()
    seen: ClassVar[list[tuple[int, int]]] = []  # (requests arrived, attempts committed when it arrived)

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.lock:
            arrived = len(self.seen) + 1
            with sqlite3.connect(self.store_path, timeout=30) as other:
                (committed,) = other.execute("SELECT coalesce(sum(attempts), 0) FROM sent").fetchone()
            self.seen.append((arrived, int(committed)))
        raw = json.dumps({"choices": [{"message": {"content": "yes"}, "finish_reason": "stop"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def test_every_request_reaches_the_server_after_its_attempt_is_committed(tmp_path: Path) -> None:
    """What the crash suite relies on: a process killed with requests in flight has counted each of them."""
    out = tmp_path / "run"
    _CountingServer.store_path = out / "run.sqlite"
    _CountingServer.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _CountingServer)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        cfg = RunConfig(
            model=f"openai-compat:http://127.0.0.1:{httpd.server_address[1]}/v1@m",
            tasks=["T.6"],
            data=str(write_t6_tree(tmp_path / "data", 240)),
            out=str(out),
            concurrency=32,
            shared_cache=False,
            bootstrap=0,
        )
        summary = asyncio.run(Runner(cfg).run())
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert summary.calls_made == 240 and summary.call_errors == 0
    assert len(_CountingServer.seen) == 240
    assert all(committed >= arrived for arrived, committed in _CountingServer.seen)
