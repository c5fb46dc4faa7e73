"""The run store: one SQLite file per run directory (WAL), written by one connection in the runner's
event-loop thread, each generation committed as it arrives — so a crash loses at most what was in
flight, and running the same command again skips every finished request by its hash.

While requests are in flight the runner turns on group commits (:meth:`RunStore.group_commits`): the
writes of one event-loop iteration (answers that arrived, attempts about to be sent) share one commit,
made as soon as the iteration ends, instead of one commit each. A SIGKILL loses at most the answers of
that iteration, which were in flight a moment before; an attempt is still committed before it is sent
(the worker awaits :meth:`RunStore.durable`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multitrust.core.errors import StoreError
from multitrust.core.files import create_private
from multitrust.core.types import (
    Generation,
    ImageRef,
    Judgement,
    Message,
    Sample,
    TaskScore,
    VariantResult,
    Verdict,
)

SCHEMA_VERSION = 1
STORE_FILE = "run.sqlite"
LOCK_FILE = "run.lock"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS samples (
    id TEXT PRIMARY KEY, task TEXT NOT NULL, variant TEXT NOT NULL, record TEXT NOT NULL,
    request_hash TEXT, messages TEXT NOT NULL, target TEXT, meta TEXT NOT NULL, error TEXT,
    seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS samples_task ON samples(task, variant);
CREATE TABLE IF NOT EXISTS generations (
    request_hash TEXT PRIMARY KEY, model TEXT NOT NULL, text TEXT, finish_reason TEXT, usage TEXT,
    latency_s REAL, attempts INTEGER, error TEXT, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS judgements (
    key TEXT PRIMARY KEY, sample_id TEXT NOT NULL, evaluator TEXT NOT NULL, version TEXT NOT NULL,
    value TEXT, raw TEXT, backend TEXT, prompt_hash TEXT, error TEXT, created_at REAL NOT NULL,
    used_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS judgements_sample ON judgements(sample_id);
CREATE TABLE IF NOT EXISTS scores (
    task TEXT PRIMARY KEY, score REAL, detail TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sent (request_hash TEXT PRIMARY KEY, attempts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS invocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, started_at REAL NOT NULL,
    finished_at REAL, status TEXT, calls_made INTEGER DEFAULT 0, calls_reused INTEGER DEFAULT 0,
    call_errors INTEGER DEFAULT 0, judge_calls INTEGER DEFAULT 0);
"""


#: judge work per invocation: retries and failed calls summed over judges, and per judge spec as JSON
_INVOCATION_JUDGE_COLUMNS = (
    ("judge_retries", "INTEGER DEFAULT 0"),
    ("judge_errors", "INTEGER DEFAULT 0"),
    ("judges", "TEXT"),
)


def select_in(db: sqlite3.Connection, query: str, keys: Iterable[str], chunk: int = 500) -> Iterator[tuple[Any, ...]]:
    """Rows of ``query`` (which ends in ``IN ({marks})``) for the distinct ``keys``, in chunks that stay under
    SQLite's bound-parameter limit."""
    wanted = list(set(keys))
    for i in range(0, len(wanted), chunk):
        part = wanted[i : i + chunk]
        yield from db.execute(query.format(marks=",".join("?" * len(part))), part)


class GroupCommit:
    """One commit per event-loop iteration for the writes made through :meth:`write` on ``db`` (an
    autocommit connection): the first write of an iteration opens a transaction and schedules its commit
    with ``call_soon``. :meth:`durable` waits for that commit. A failed commit is raised by the next write,
    by :meth:`durable` and by :meth:`close`, never lost in a callback."""

    def __init__(self, db: sqlite3.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self.db = db
        self.loop = loop
        self.commits = 0  # how many commits were made (tests assert grouping)
        self._scheduled: asyncio.Handle | None = None
        self._committed: asyncio.Future[None] | None = None
        self._failure: BaseException | None = None

    def write(self, sql: str, args: Sequence[Any]) -> None:
        if self._failure is not None:
            raise self._failure
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
        self.db.execute(sql, args)
        if self._scheduled is None:
            self._scheduled = self.loop.call_soon(self.flush)

    async def durable(self) -> None:
        """Return once every write made so far is committed."""
        if self._failure is not None:
            raise self._failure
        if self._scheduled is None:
            return
        if self._committed is None:
            self._committed = self.loop.create_future()
        await asyncio.shield(self._committed)  # a cancelled waiter must not cancel the others' wait

    def flush(self) -> None:
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        waiting, self._committed = self._committed, None
        try:
            if self.db.in_transaction:
                self.db.execute("COMMIT")
                self.commits += 1
        except sqlite3.Error as exc:
            self._failure = StoreError(f"could not commit to the run store ({exc})")
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
        if waiting is not None and not waiting.done():
            if self._failure is not None:
                waiting.set_exception(self._failure)
                waiting.exception()  # retrieved here: a waiter that was cancelled must not warn about it
            else:
                waiting.set_result(None)

    def close(self) -> None:
        """Commit what is pending; raise if a commit failed."""
        self.flush()
        if self._failure is not None:
            raise self._failure


class RunLock:
    """An exclusive lock on a run directory for the commands that write it (``run``, ``score``), so two
    processes never send the same requests or interleave their writes.

    ``run.lock`` holds the holder's pid, host, command and start time (for the message the second process
    prints). The lock itself is an ``flock`` on that file, which the kernel drops when the holder dies, so
    a lock left by a killed process is taken over without any guesswork. Where ``flock`` is unavailable
    (Windows, some network filesystems) the file is created exclusively instead, and a file naming a dead
    process on this host is taken over.
    """

    def __init__(self, run_dir: str | Path, command: str) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self.command = command
        self._fd: int | None = None
        self._exclusive = False  # the exclusive-file fallback (no flock): release removes the file

    def _record(self) -> bytes:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command, "since": time.time()}
        return json.dumps(info).encode()

    def _busy(self) -> StoreError:
        holder: dict[str, Any] = {}
        for _ in range(50):  # the holder writes its record right after locking: give it a moment
            try:
                holder = json.loads(self.path.read_bytes() or b"{}")
            except (OSError, ValueError):
                holder = {}
            if holder:
                break
            time.sleep(0.01)
        who = (
            f"multitrust {holder.get('command', '?')} (pid {holder.get('pid', '?')} on {holder.get('host', '?')})"
            if holder
            else "another process"
        )
        return StoreError(f"{self.run_dir} is in use by {who}; wait for it to finish or use another run directory")

    def acquire(self) -> RunLock:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self._acquire_exclusive_file()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # private, like every run file
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise self._busy() from None
            return self._acquire_exclusive_file()  # filesystem without flock
        os.ftruncate(fd, 0)
        os.pwrite(fd, self._record(), 0)
        self._fd = fd
        return self

    def _acquire_exclusive_file(self) -> RunLock:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                if not self._stale():
                    raise self._busy() from None
                self.path.unlink(missing_ok=True)
                continue
            os.write(fd, self._record())
            self._fd = fd
            self._exclusive = True
            return self
        raise self._busy()

    def _stale(self) -> bool:
        try:
            holder = json.loads(self.path.read_bytes() or b"{}")
            pid, host = int(holder["pid"]), str(holder["host"])
        except (OSError, ValueError, KeyError, TypeError):
            return False
        if host != socket.gethostname():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # before unlocking: the next holder writes its own record
        if self._exclusive:
            self.path.unlink(missing_ok=True)
        os.close(fd)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@dataclass(frozen=True, slots=True)
class StoredSample:
    """A planned sample as stored: enough to re-score without the data tree."""

    sample: Sample
    request_hash: str | None
    error: str | None


def _stored_sample(row: Sequence[Any], images: dict[str, ImageRef], targets: dict[str, Any]) -> StoredSample:
    """A ``samples`` row (id, task, variant, record, request_hash, messages, target, meta, error) as read back.
    ``images`` and ``targets`` memoise what many samples share (a few images, targets such as "1"/"0")."""
    sid, t, variant, record, rh, messages, target, meta, error = row
    msgs = tuple(
        Message(m["role"], m["text"], tuple(images.get(p) or images.setdefault(p, ImageRef(p)) for p in m["images"]))
        for m in json.loads(messages)
    )
    if target in targets:
        value = targets[target]
    else:
        value = _loads(target)
        if not isinstance(value, dict | list):  # shared only when immutable
            targets[target] = value
    return StoredSample(Sample(sid, t, variant, msgs, value, _loads(meta), record), rh, error)


class RunStore:
    """Typed access to a run's SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(create_private(self.path), isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable run store ({exc})") from None
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(judgements)")}
        if "used_at" not in columns:  # stores written before verdicts recorded when they were last used
            self.db.execute("ALTER TABLE judgements ADD COLUMN used_at REAL NOT NULL DEFAULT 0")
        inv_columns = {row[1] for row in self.db.execute("PRAGMA table_info(invocations)")}
        for column, decl in _INVOCATION_JUDGE_COLUMNS:  # stores written before judge retries were counted
            if column not in inv_columns:
                self.db.execute(f"ALTER TABLE invocations ADD COLUMN {column} {decl}")
        self._group: GroupCommit | None = None
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: run store schema {version}, this multitrust reads {SCHEMA_VERSION}")

    @classmethod
    def in_dir(cls, run_dir: str | Path) -> RunStore:
        return cls(Path(run_dir) / STORE_FILE)

    @staticmethod
    def require_run_dir(run_dir: str | Path) -> Path:
        """The store file of an existing run directory, or :class:`StoreError` (without opening anything)."""
        p = Path(run_dir) / STORE_FILE
        if not p.is_file():
            raise StoreError(f"{run_dir}: not a run directory (no {STORE_FILE})")
        return p

    @classmethod
    def open_existing(cls, run_dir: str | Path) -> RunStore:
        return cls(cls.require_run_dir(run_dir))

    def close(self) -> None:
        if self._group is not None:
            self._group.flush()
            self._group = None
        self.db.close()

    @contextlib.contextmanager
    def group_commits(self) -> Iterator[GroupCommit]:
        """Within the block (in a running event loop), generations and attempts are committed once per
        event-loop iteration (see the module); on leaving it everything pending is committed."""
        group = GroupCommit(self.db, asyncio.get_running_loop())
        self._group = group
        try:
            yield group
        finally:
            self._group = None
            group.close()

    async def durable(self) -> None:
        """Return once every write made so far is committed (at once outside :meth:`group_commits`)."""
        if self._group is not None:
            await self._group.durable()

    def _write(self, sql: str, args: Sequence[Any]) -> None:
        if self._group is None:
            self.db.execute(sql, args)  # autocommit
        else:
            self._group.write(sql, args)

    def flush(self) -> None:
        """Commit pending group writes now (a retry noted right before it is sent, a method that runs its
        own transaction)."""
        if self._group is not None:
            self._group.flush()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ run metadata
    def get_meta(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM run WHERE key=?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO run(key, value) VALUES (?, ?)", (key, _dumps(value)))

    # ------------------------------------------------------------------ samples
    def replace_task_samples(self, task: str, builds: Sequence[tuple[Sample, str | None, str | None]]) -> None:
        """Make ``builds`` (sample, request hash, error) the current plan of ``task`` in one transaction."""
        rows = []
        for seq, (s, request_hash, error) in enumerate(builds):
            messages = [{"role": m.role, "text": m.text, "images": [im.path for im in m.images]} for m in s.messages]
            rows.append(
                (
                    s.id,
                    s.task,
                    s.variant,
                    s.record,
                    request_hash,
                    _dumps(messages),
                    _dumps(s.target),
                    _dumps(dict(s.meta)),
                    error,
                    seq,
                )
            )
        self.flush()
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM samples WHERE task=?", (task,))
            self.db.executemany("INSERT INTO samples VALUES (?,?,?,?,?,?,?,?,?,?)", rows)

    def samples(self, task: str | None = None) -> Iterator[StoredSample]:
        query = "SELECT id, task, variant, record, request_hash, messages, target, meta, error FROM samples"
        args: tuple[Any, ...] = ()
        if task is not None:
            query += " WHERE task=?"
            args = (task,)
        images: dict[str, ImageRef] = {}
        targets: dict[str, Any] = {}
        for row in self.db.execute(query + " ORDER BY task, seq", args):
            yield _stored_sample(row, images, targets)

    def sample_count(self) -> dict[str, int]:
        """Task → number of planned samples."""
        return dict(self.db.execute("SELECT task, count(*) FROM samples GROUP BY task"))

    def samples_with_generations(
        self, task: str, *, limit: int | None = None
    ) -> Iterator[tuple[StoredSample, Generation | None]]:
        """The first ``limit`` (default all) planned samples of ``task`` in plan order, each with its stored
        generation (None when there is none), read by one streaming query: exports never hold a whole run."""
        cur = self.db.execute(
            "SELECT s.id, s.task, s.variant, s.record, s.request_hash, s.messages, s.target, s.meta, s.error, "
            "g.request_hash, g.model, g.text, g.finish_reason, g.usage, g.latency_s, g.attempts, g.error "
            "FROM samples s LEFT JOIN generations g ON g.request_hash = s.request_hash "
            "WHERE s.task=? ORDER BY s.seq, s.rowid LIMIT ?",
            (task, -1 if limit is None else limit),
        )
        images: dict[str, ImageRef] = {}
        targets: dict[str, Any] = {}
        for row in cur:
            gen = None
            if row[9] is not None:
                gh, model, text, finish, usage, latency, attempts, error = row[9:]
                gen = Generation(gh, model, text, finish, _loads(usage), latency or 0.0, attempts or 1, error)
            yield _stored_sample(row[:9], images, targets), gen

    def tasks(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT task FROM samples ORDER BY task")]

    # ------------------------------------------------------------------ generations
    def finished_hashes(self, hashes: Iterable[str]) -> set[str]:
        """The subset of ``hashes`` that already have a successful generation."""
        return {
            r[0]
            for r in select_in(
                self.db,
                "SELECT request_hash FROM generations WHERE error IS NULL AND request_hash IN ({marks})",
                hashes,
            )
        }

    def planned_requests(self, task: str) -> dict[str, bool]:
        """Request hash → whether it has a successful generation, for every request of ``task``'s stored plan
        (in plan order), in one query: what a rerun with an unchanged plan needs to know."""
        rows = self.db.execute(
            "SELECT s.request_hash, g.request_hash IS NOT NULL FROM samples s LEFT JOIN generations g "
            "ON g.request_hash = s.request_hash AND g.error IS NULL "
            "WHERE s.task=? AND s.request_hash IS NOT NULL ORDER BY s.seq",
            (task,),
        )
        return {h: bool(ok) for h, ok in rows}

    def put_generation(self, g: Generation) -> None:
        """Commit one generation (autocommit, or with the iteration's group commit). A success never gets
        overwritten by a later error."""
        self._write(
            "INSERT INTO generations VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(request_hash) DO UPDATE SET "
            "model=excluded.model, text=excluded.text, finish_reason=excluded.finish_reason, usage=excluded.usage, "
            "latency_s=excluded.latency_s, attempts=excluded.attempts, error=excluded.error, "
            "created_at=excluded.created_at WHERE generations.error IS NOT NULL",
            (
                g.request_hash,
                g.model,
                g.text,
                g.finish_reason,
                None if g.usage is None else _dumps(g.usage),
                g.latency_s,
                g.attempts,
                g.error,
                time.time(),
            ),
        )

    def generations(self, hashes: Iterable[str]) -> dict[str, Generation]:
        out: dict[str, Generation] = {}
        for row in select_in(
            self.db,
            "SELECT request_hash, model, text, finish_reason, usage, latency_s, attempts, error "
            "FROM generations WHERE request_hash IN ({marks})",
            hashes,
        ):
            out[row[0]] = Generation(row[0], row[1], row[2], row[3], _loads(row[4]), row[5] or 0.0, row[6] or 1, row[7])
        return out

    def task_generations(self, task: str) -> dict[str, Generation]:
        """Request hash → stored generation, for the requests of ``task``'s plan (one query)."""
        out: dict[str, Generation] = {}
        for row in self.db.execute(
            "SELECT request_hash, model, text, finish_reason, usage, latency_s, attempts, error FROM generations "
            "WHERE request_hash IN (SELECT request_hash FROM samples WHERE task=?)",
            (task,),
        ):
            out[row[0]] = Generation(row[0], row[1], row[2], row[3], _loads(row[4]), row[5] or 0.0, row[6] or 1, row[7])
        return out

    def note_attempt(self, request_hash: str) -> None:
        """Count one attempt at sending ``request_hash``, to be committed *before* it is sent (within
        :meth:`group_commits`, await :meth:`durable` before sending): a process killed while requests are in
        flight has still counted every call the server saw."""
        self._write(
            "INSERT INTO sent VALUES (?, 1) ON CONFLICT(request_hash) DO UPDATE SET attempts = attempts + 1",
            (request_hash,),
        )

    def generation_counts(self) -> dict[str, int]:
        """Requests answered (or finally failed) in this store, HTTP attempts including retries, and
        ``sent``: attempts as the server saw them (noted before each send, so also those of requests in
        flight when a process was killed; generations stored before attempts were noted count theirs).
        Counted from the rows themselves, so a killed invocation's calls are counted too."""
        ok, failed, attempts, shared = self.db.execute(
            "SELECT coalesce(sum(error IS NULL AND attempts > 0), 0), coalesce(sum(error IS NOT NULL), 0), "
            "coalesce(sum(attempts), 0), coalesce(sum(error IS NULL AND attempts = 0), 0) FROM generations"
        ).fetchone()
        (sent,) = self.db.execute(
            "SELECT (SELECT coalesce(sum(attempts), 0) FROM sent) + (SELECT coalesce(sum(attempts), 0) "
            "FROM generations WHERE request_hash NOT IN (SELECT request_hash FROM sent))"
        ).fetchone()
        return {
            "answered": int(ok),
            "failed": int(failed),
            "attempts": int(attempts),
            "shared": int(shared),
            "sent": int(sent),
        }

    # ------------------------------------------------------------------ judgements
    def judgements(self, keys: Iterable[str]) -> dict[str, Judgement]:
        out: dict[str, Judgement] = {}
        for key, sid, ev, ver, value, raw, backend, ph, err in select_in(
            self.db,
            "SELECT key, sample_id, evaluator, version, value, raw, backend, prompt_hash, error "
            "FROM judgements WHERE key IN ({marks})",
            keys,
        ):
            out[key] = Judgement(key, sid, ev, ver, Verdict(_loads(value), raw, backend, ph, err))
        return out

    def task_verdicts(self, task: str, keys: Iterable[str]) -> tuple[dict[str, Judgement], set[str]]:
        """The stored judgements among ``keys`` (keys of ``task``'s samples), read by one query over the task's
        verdicts, and which of them are already their sample's latest (so need no :meth:`touch_judgements`)."""
        wanted = set(keys)
        out: dict[str, Judgement] = {}
        latest: dict[str, tuple[float, int, str]] = {}
        values: dict[str, Any] = {}  # verdict values repeat ("1", "0", "true"): parse each scalar once
        for key, sid, ev, ver, value, raw, backend, ph, err, used_at, rowid in self.db.execute(
            "SELECT key, sample_id, evaluator, version, value, raw, backend, prompt_hash, error, used_at, rowid "
            "FROM judgements WHERE sample_id IN (SELECT id FROM samples WHERE task=?)",
            (task,),
        ):
            mark = (used_at, rowid, key)
            if sid not in latest or mark > latest[sid]:
                latest[sid] = mark
            if key not in wanted:
                continue
            if value in values:
                parsed = values[value]
            else:
                parsed = _loads(value)
                if not isinstance(parsed, dict | list):
                    values[value] = parsed
            out[key] = Judgement(key, sid, ev, ver, Verdict(parsed, raw, backend, ph, err))
        return out, {key for _, _, key in latest.values() if key in out}

    def touch_judgements(self, keys: Iterable[str]) -> None:
        """Mark reused verdicts as used by the current scoring (exports show what the last scoring used)."""
        now = time.time()
        self.flush()
        with self.db:
            self.db.executemany("UPDATE judgements SET used_at=? WHERE key=?", ((now, k) for k in keys))

    def latest_judgements(self, sample_ids: Iterable[str] | None = None) -> dict[str, Judgement]:
        """The most recent verdict per sample (what the last scoring used, for exports), of every sample or of
        ``sample_ids`` only."""
        query = "SELECT key, sample_id, evaluator, version, value, raw, backend, prompt_hash, error FROM judgements"
        rows: Iterable[tuple[Any, ...]]
        if sample_ids is None:
            rows = self.db.execute(query + " ORDER BY used_at, rowid")
        else:  # a sample's verdicts all fall in the same chunk, so each chunk's order settles its samples
            rows = select_in(self.db, query + " WHERE sample_id IN ({marks}) ORDER BY used_at, rowid", sample_ids)
        out: dict[str, Judgement] = {}
        for key, sid, ev, ver, value, raw, backend, ph, err in rows:
            out[sid] = Judgement(key, sid, ev, ver, Verdict(_loads(value), raw, backend, ph, err))
        return out

    def latest_judge_errors(self) -> dict[str, str]:
        """Sample id → the error of its most recent verdict, for the samples whose latest verdict failed."""
        return dict(
            self.db.execute(
                "SELECT sample_id, error FROM (SELECT sample_id, error, row_number() OVER "
                "(PARTITION BY sample_id ORDER BY used_at DESC, rowid DESC) AS latest FROM judgements) "
                "WHERE latest = 1 AND error IS NOT NULL"
            )
        )

    def put_judgement(self, j: Judgement, *, commit: bool = True) -> None:
        v = j.verdict
        now = time.time()
        if not commit and not self.db.in_transaction:
            self.db.execute("BEGIN")
        self.db.execute(
            "INSERT OR REPLACE INTO judgements VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                j.key,
                j.sample_id,
                j.evaluator,
                j.version,
                None if v.value is None else _dumps(v.value),
                v.raw,
                v.backend,
                v.prompt_hash,
                v.error,
                now,
                now,
            ),
        )
        if commit and self.db.in_transaction:
            self.db.execute("COMMIT")

    def commit(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    # ------------------------------------------------------------------ scores
    def put_score(self, ts: TaskScore) -> None:
        detail = {
            "n_samples": ts.n_samples,
            "n_errors": ts.n_errors,
            "unscored": ts.unscored,
            "notes": ts.notes,
            "provenance": ts.provenance,
            "flips": ts.flips,
            "replicates": ts.replicates,
            "ci": list(ts.ci) if ts.ci else None,
            "variants": {
                name: {
                    "metrics": vr.metrics,
                    "by_subset": vr.by_subset,
                    "n_samples": vr.n_samples,
                    "n_scored": vr.n_scored,
                    "n_errors": vr.n_errors,
                    "n_unscored": vr.n_unscored,
                }
                for name, vr in ts.variants.items()
            },
        }
        self.db.execute(
            "INSERT OR REPLACE INTO scores VALUES (?,?,?,?)",
            (ts.task, ts.score, json.dumps(detail, allow_nan=True, sort_keys=True), time.time()),
        )

    def scores(self) -> dict[str, TaskScore]:
        out: dict[str, TaskScore] = {}
        for task, score, detail in self.db.execute("SELECT task, score, detail FROM scores ORDER BY task"):
            d = json.loads(detail)
            variants = {
                name: VariantResult(
                    name,
                    v["metrics"],
                    v["by_subset"],
                    v["n_samples"],
                    v["n_scored"],
                    v["n_errors"],
                    v.get("n_unscored", 0),
                )
                for name, v in d["variants"].items()
            }
            ts = TaskScore(task, score, variants, d["n_samples"], d["n_errors"], d.get("notes", []))
            ts.unscored = int(d.get("unscored", 0))
            ts.provenance = d.get("provenance", {})
            ts.flips = d.get("flips", {})
            ts.replicates = d.get("replicates", [])
            ts.ci = tuple(d["ci"]) if d.get("ci") else None  # type: ignore[assignment]
            out[task] = ts
        return out

    # ------------------------------------------------------------------ invocations
    def begin_invocation(self, command: str) -> int:
        """Record a new invocation. Called with the run directory's :class:`RunLock` held, so any other
        invocation still marked "running" belongs to a process that was killed: it is marked ``killed``."""
        self.db.execute("UPDATE invocations SET status='killed' WHERE status='running'")
        cur = self.db.execute(
            "INSERT INTO invocations(command, started_at, status) VALUES (?,?,?)",
            (command, time.time(), "running"),
        )
        return int(cur.lastrowid or 0)

    def end_invocation(
        self,
        inv: int,
        *,
        status: str,
        calls_made: int = 0,
        calls_reused: int = 0,
        call_errors: int = 0,
        judge_calls: int = 0,
        judges: dict[str, dict[str, int]] | None = None,
    ) -> None:
        """Close an invocation row; ``judges`` is judge spec → {"calls", "retries", "failed"}."""
        per_judge = judges or {}
        self.db.execute(
            "UPDATE invocations SET finished_at=?, status=?, calls_made=?, calls_reused=?, call_errors=?, "
            "judge_calls=?, judge_retries=?, judge_errors=?, judges=? WHERE id=?",
            (
                time.time(),
                status,
                calls_made,
                calls_reused,
                call_errors,
                judge_calls,
                sum(c.get("retries", 0) for c in per_judge.values()),
                sum(c.get("failed", 0) for c in per_judge.values()),
                _dumps(per_judge) if per_judge else None,
                inv,
            ),
        )

    def invocations(self) -> list[dict[str, Any]]:
        cols = [
            "id",
            "command",
            "started_at",
            "finished_at",
            "status",
            "calls_made",
            "calls_reused",
            "call_errors",
            "judge_calls",
            "judge_retries",
            "judge_errors",
            "judges",
        ]
        rows = [
            dict(zip(cols, row, strict=True))
            for row in self.db.execute(f"SELECT {', '.join(cols)} FROM invocations ORDER BY id")
        ]
        for row in rows:
            row["judges"] = _loads(row["judges"]) or {}
        return rows
