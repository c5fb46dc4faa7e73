"""Fail fast in whole runs against real loopback servers: the llama.cpp text-only case ends after a few
requests with one console line giving the cause and the count and a non-zero exit; a judge endpoint that
rejects every call is stopped the same way; a 429 storm is still retried and succeeds."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tasks.handmade import t6_tree

from multitrust import api
from multitrust.engine.config import RunConfig
from multitrust.engine.store import RunStore
from multitrust.testing.server import TEXT_ONLY_ERROR, start_server

pytestmark = pytest.mark.timeout(120)


def test_text_only_server_without_preflight_stops_after_a_few_requests(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "run"
    t6_tree(data)  # ten image questions
    with start_server(text_only=True) as srv:
        result = subprocess.run(
            [sys.executable, "-m", "multitrust", "run", "--model", f"openai-compat:{srv.url}@smollm", "--tasks",
             "T.6", "--data", str(data), "--out", str(out), "--concurrency", "2", "--no-preflight", "-q"],
            capture_output=True, text=True, timeout=120, env=dict(os.environ, COLUMNS="300"),
        )  # fmt: skip
        stats = srv.stats()
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if TEXT_ONLY_ERROR in line]
    assert len(lines) == 1, result.stderr  # printed once
    assert lines[0].startswith(f"error: smollm @ {srv.url}: HTTP 500: {TEXT_ONLY_ERROR}")
    assert lines[0].endswith("; 10 image requests failed")
    # two in flight, each tried at most twice, until three distinct requests had the same error twice; the
    # other requests were never sent
    assert stats["chat_requests"] <= 4 * 2 and stats["statuses"] == {"500": stats["chat_requests"]}
    con = sqlite3.connect(out / "run.sqlite")
    try:
        errors = [row[0] for row in con.execute("SELECT error FROM generations")]
    finally:
        con.close()
    assert len(errors) == 10 and all(TEXT_ONLY_ERROR in e for e in errors)
    with RunStore.open_existing(out) as store:
        (stop,) = store.get_meta("stopped_endpoints")
    assert (stop["role"], stop["shape"], stop["count"]) == ("model under test", "image", 10)
    stopped = [e for e in errors if "stopped sending requests of this kind" in e]
    assert len(stopped) >= 10 - 3  # all but the first ones carry the stop itself


@pytest.fixture
def judge_tree(judged_text_task) -> Path:  # type: ignore[no-untyped-def]
    return judged_text_task([{"query": f"question {i}", "truth": "x"} for i in range(6)])


def test_judge_rejecting_every_call_is_stopped(judge_tree: Path, tmp_path: Path) -> None:
    with start_server(models=("another-model",)) as srv:
        cfg = RunConfig(
            model="scripted:echo",
            tasks=["T.5"],
            data=str(judge_tree),
            out=str(tmp_path / "r"),
            judge=f"openai-compat:{srv.url}@j?concurrency=1",
            concurrency=1,
            bootstrap=0,
        )
        summary = api.run(cfg, preflight=False)  # the run itself meets the dead judge
        stats = srv.stats()
    assert stats["chat_requests"] == 3  # then the endpoint is stopped: three 404s, nothing more sent
    (stop,) = summary.stopped
    assert (stop["role"], stop["model"], stop["shape"], stop["count"]) == ("judge", "j", "text", 6)
    assert stop["cause"] == "HTTP 404: The model `j` does not exist or you do not have access to it."
    assert summary.scores["T.5"].n_errors == 6 and summary.scores["T.5"].score is None


def test_429_storm_in_a_run_is_retried_and_succeeds(tmp_path: Path) -> None:
    data = tmp_path / "data"
    t6_tree(data)
    with start_server(rate_limit_rate=0.6, retry_after=0.01, seed=1, reply="yes") as srv:
        cfg = RunConfig(
            model=f"openai-compat:{srv.url}@m?max_retries=40",
            tasks=["T.6"],
            data=str(data),
            out=str(tmp_path / "r"),
            concurrency=4,
            bootstrap=0,
        )
        summary = api.run(cfg, preflight=True)
        stats = srv.stats()
    assert stats["statuses"]["429"] >= 10  # a storm: more rate limits than there are samples
    assert summary.call_errors == 0 and summary.stopped == []
    assert summary.scores["T.6"].n_errors == 0 and summary.scores["T.6"].score is not None


def test_replica_pool_of_text_only_servers_stops_and_fails_at_once(tmp_path: Path) -> None:
    """A request that gets the same 500 from both replicas is not retried again; each replica stops image
    requests after three distinct ones; then the rest fail at once instead of cycling through backed-off
    replicas."""
    data = tmp_path / "data"
    t6_tree(data)
    with start_server(text_only=True) as a, start_server(text_only=True) as b:
        cfg = RunConfig(
            model=f"openai-compat:{a.url},{b.url}@smollm",
            tasks=["T.6"],
            data=str(data),
            out=str(tmp_path / "r"),
            concurrency=2,
            bootstrap=0,
        )
        summary = api.run(cfg, preflight=False)  # as with --no-preflight
        sent = a.stats()["chat_requests"] + b.stats()["chat_requests"]
    assert summary.call_errors == 10
    assert sorted(s["endpoint"] for s in summary.stopped) == sorted([a.url, b.url])
    assert all(s["cause"] == f"HTTP 500: {TEXT_ONLY_ERROR}" for s in summary.stopped)
    assert sent <= 2 * (3 + 2)  # per replica: three distinct requests, two more in flight; the rest unsent
