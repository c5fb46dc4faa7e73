"""One process per run directory: ``run`` and ``score`` take ``run.lock``; a second process gets one line
naming the holder and exits non-zero; a lock left by a killed process is taken over. Raced with real
processes against a loopback server that counts what it receives: no request is ever sent twice, and
nobody sees "database is locked"."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tasks.handmade import t6_tree

from multitrust import api
from multitrust.core.errors import StoreError
from multitrust.engine.config import RunConfig
from multitrust.engine.store import LOCK_FILE, RunLock, RunStore
from multitrust.testing.server import start_server

pytestmark = pytest.mark.slow

HOLD = (
    "import sys, time; from multitrust.engine.store import RunLock; RunLock(sys.argv[1], 'run').acquire(); "
    "print('locked', flush=True); time.sleep(120)"
)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "multitrust", *args]


def _env() -> dict[str, str]:
    return dict(os.environ, COLUMNS="200", PYTHONUNBUFFERED="1")


def test_second_process_names_the_holder_and_stale_lock_is_taken_over(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "run"
    t6_tree(data)
    run = _cli("run", "--model", "scripted:yes", "--tasks", "T.6", "--data", str(data), "--out", str(out), "-q")
    assert subprocess.run(run, capture_output=True, timeout=120, env=_env()).returncode == 0
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        expected = f"is in use by multitrust run (pid {holder.pid} on {socket.gethostname()})"
        for cmd in (run, _cli("score", str(out))):
            second = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=_env())
            assert second.returncode != 0
            lines = (second.stdout + second.stderr).strip().splitlines()
            assert len(lines) == 1 and expected in lines[0], lines
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert str(holder.pid) in (out / LOCK_FILE).read_text()  # the dead holder's record is still there
    again = subprocess.run(run, capture_output=True, text=True, timeout=120, env=_env())
    assert again.returncode == 0, again.stdout + again.stderr  # stale lock taken over
    assert subprocess.run(_cli("score", str(out)), capture_output=True, timeout=120, env=_env()).returncode == 0


def test_two_processes_racing_never_send_twice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    t6_tree(data)  # 10 distinct requests
    losers = 0
    with start_server(latency_ms=150) as server:
        for race in range(8):
            out = tmp_path / f"run{race}"
            before = server.stats()["chat_requests"]
            cmd = _cli(
                "run", "--model", f"openai-compat:{server.url}@m{race}", "--tasks", "T.6", "--data", str(data),
                "--out", str(out), "--concurrency", "1", "--no-preflight", "-q",  # probes would count as requests
            )  # fmt: skip
            procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env())
                     for _ in range(2)]  # fmt: skip
            results = [(p.wait(timeout=180), p.stdout.read() if p.stdout else "") for p in procs]
            for p in procs:
                if p.stdout:
                    p.stdout.close()
            sent = server.stats()["chat_requests"] - before
            assert sent == 10, f"race {race}: {sent} requests for 10: {results}"
            for rc, text in results:
                assert "database is locked" not in text
                if rc != 0:
                    losers += 1
                    lines = text.strip().splitlines()
                    assert len(lines) == 1 and "is in use by multitrust run (pid " in lines[0], text
            assert any(rc == 0 for rc, _ in results)
            with RunStore.open_existing(out) as store:
                assert [i["status"] for i in store.invocations()] in (["finished"], ["finished", "finished"])
    assert losers > 0  # the processes did overlap at least once


def test_killed_invocation_is_marked_on_resume(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "run"
    t6_tree(data)
    cfg = RunConfig(model="scripted:yes", tasks=["T.6"], data=str(data), out=str(out))
    api.run(cfg)
    with RunLock(out, "run"), RunStore.in_dir(out) as store:
        store.begin_invocation("run")  # what a process killed mid-run leaves behind
    api.run(cfg)
    with RunStore.open_existing(out) as store:
        assert [i["status"] for i in store.invocations()] == ["finished", "killed", "finished"]


def test_exclusive_file_fallback_takes_over_only_dead_holders(tmp_path: Path) -> None:
    """Where flock is unavailable the lock file is created exclusively; a record naming a dead process on
    this host is stale and taken over, a live one is not."""
    import json

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock_file = tmp_path / LOCK_FILE
        record = {"host": socket.gethostname(), "command": "run", "since": 0}
        lock_file.write_text(json.dumps({**record, "pid": live.pid}))
        with pytest.raises(StoreError, match=rf"is in use by multitrust run \(pid {live.pid} on "):
            RunLock(tmp_path, "score")._acquire_exclusive_file()
        lock_file.write_text(json.dumps({**record, "pid": dead.pid}))
        lock = RunLock(tmp_path, "score")._acquire_exclusive_file()
        assert json.loads(lock_file.read_text())["pid"] == os.getpid()
        lock.release()
        assert not lock_file.exists()
    finally:
        live.kill()
        live.wait(timeout=10)


def test_merge_takes_the_lock_and_keeps_attempts_as_sent(tmp_path: Path) -> None:
    from multitrust.engine.merge import merge_runs

    data, shard, out = tmp_path / "data", tmp_path / "shard", tmp_path / "merged"
    t6_tree(data)
    api.run(RunConfig(model="scripted:yes", tasks=["T.6"], data=str(data), out=str(shard)))
    with RunStore.in_dir(shard) as store:
        store.note_attempt("lost-in-flight")  # sent, never answered: the process was killed
        assert store.generation_counts()["sent"] == 11
    with RunLock(out, "run"), pytest.raises(StoreError, match="is in use by multitrust run"):
        merge_runs([shard], out)
    merge_runs([shard], out)
    merge_runs([shard], out)  # merging again counts nothing twice
    with RunStore.open_existing(out) as store:
        assert store.generation_counts()["sent"] == 11
