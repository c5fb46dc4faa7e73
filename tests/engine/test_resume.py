"""Resume after ``kill -9``: the CLI runs against a real loopback OpenAI-compatible server in another
process; the run is killed mid-way, run again, and must (a) never resend a finished request and (b) end
with exactly the scores of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.tasks.handmade import f2_tree, t6_tree

from multitrust import api
from multitrust.engine.store import RunStore
from multitrust.testing.server import spawn_server

pytestmark = pytest.mark.slow


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "multitrust", *args]


def _finished(db: Path) -> int:
    try:
        con = sqlite3.connect(db, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM generations WHERE error IS NULL").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def test_kill_minus_9_then_resume(tmp_path: Path) -> None:
    data = tmp_path / "data"
    t6_tree(data)
    f2_tree(data)  # 10 + 20 samples, all distinct requests
    with spawn_server(latency_ms=150, reply="echo") as server:
        model = f"openai-compat:{server.url}@echo-model"
        common = ["--model", model, "--tasks", "T.6,F.2", "--data", str(data), "--concurrency", "2", "-q"]
        common.append("--no-preflight")  # the counts below are the run's own requests
        out = tmp_path / "killed"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(
            _cli("run", *common, "--out", str(out)), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        db = out / "run.sqlite"
        deadline = time.monotonic() + 60
        while _finished(db) < 8 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed: " + proc.stdout.read().decode()  # type: ignore[union-attr]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        time.sleep(0.4)  # let the server finish the requests that were in flight
        finished_before = _finished(db)
        assert 8 <= finished_before < 30
        sent_before = server.stats()["chat_requests"]

        resumed = subprocess.run(
            _cli("run", *common, "--out", str(out)), env=env, capture_output=True, text=True, timeout=120
        )
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        sent_by_resume = server.stats()["chat_requests"] - sent_before
        assert sent_by_resume == 30 - finished_before, "a finished request was sent again (or one was skipped)"
        assert f"{finished_before} reused from the store" in resumed.stdout

        clean = tmp_path / "clean"
        again = subprocess.run(
            _cli("run", *common, "--out", str(clean)), env=env, capture_output=True, text=True, timeout=120
        )
        assert again.returncode == 0, again.stderr

    with RunStore.open_existing(out) as a, RunStore.open_existing(clean) as b:
        sa, sb = a.scores(), b.scores()
        assert set(sa) == {"T.6", "F.2"}
        for tid in sa:
            assert sa[tid].score == sb[tid].score
            assert {k: v.metrics for k, v in sa[tid].variants.items()} == {
                k: v.metrics for k, v in sb[tid].variants.items()
            }
        statuses = [i["status"] for i in a.invocations()]
        assert statuses == ["killed", "finished"], "the resumed run marks the killed invocation"
    # calls as the server saw them: requests in flight at the kill (if any) were sent, and are sent again
    seen_by_server = sent_before + sent_by_resume
    assert seen_by_server >= 30
    made = api.report([out])["runs"][0]["calls"]["made"]
    assert seen_by_server <= made <= seen_by_server + 1  # +1: killed between counting a call and sending it


def test_ctrl_c_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    t6_tree(data)
    with spawn_server(latency_ms=300, reply="yes") as server:
        out = tmp_path / "run"
        args = _cli(
            "run",
            "--model",
            f"openai-compat:{server.url}@m",
            "--tasks",
            "T.6",
            "--data",
            str(data),
            "--concurrency",
            "1",
            "--out",
            str(out),
            "-q",
            "--no-preflight",
        )
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while _finished(out / "run.sqlite") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr
        assert "interrupted; finished requests are saved" in stderr and "Traceback" not in stderr
        with RunStore.open_existing(out) as store:
            assert store.invocations()[-1]["status"] == "interrupted"
            done = len(store.finished_hashes(st.request_hash for st in store.samples("T.6") if st.request_hash))
        before = server.stats()["chat_requests"]
        resumed = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        assert server.stats()["chat_requests"] - before == 10 - done
