"""The crash suite: ``multitrust run`` and ``multitrust score`` SIGKILLed at seeded random points and
resumed each time; SIGINT exits within 2 s and is resumable.

The final store equals an uninterrupted run's, and the loopback server's per-prompt counters show that no
request whose answer was stored before a kill was ever sent again.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from multitrust.engine.store import RunStore
from multitrust.testing.server import ServerHandle, prompt_sha256, start_server
from multitrust.testing.trees import write_t6_tree

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]

N = 300
CONCURRENCY = 8
KILLS = 10
SEED = 20261202


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "multitrust", *args]


def run_args(url: str, data: Path, out: Path) -> list[str]:
    return cli(
        "run", "--model", f"openai-compat:{url}@m", "--tasks", "T.6", "--data", str(data), "--out", str(out),
        "--concurrency", str(CONCURRENCY), "--bootstrap", "0", "--no-shared-cache", "--no-report", "-q",
        "--no-preflight",  # the request counts below are the run's own
    )  # fmt: skip


def answered(run_dir: Path) -> int:
    if not (run_dir / "run.sqlite").is_file():
        return 0
    with RunStore.open_existing(run_dir) as store:
        return store.generation_counts()["answered"]


def finished_prompts(run_dir: Path) -> set[str]:
    """Server keys (:func:`prompt_sha256` of the prompt text) of the requests answered in the store."""
    with RunStore.open_existing(run_dir) as store:
        samples = list(store.samples())
        gens = store.generations(s.request_hash for s in samples if s.request_hash)
    return {
        prompt_sha256(s.sample.messages[-1].text) for s in samples if s.request_hash in gens and gens[s.request_hash].ok
    }


def final_state(run_dir: Path) -> tuple[dict[str, str | None], dict[str, object], dict[str, float | None]]:
    """sample id → answer, sample id → verdict, task → score (keyed by sample: hashes name the server URL)."""
    with RunStore.open_existing(run_dir) as store:
        samples = list(store.samples())
        gens = store.generations(s.request_hash for s in samples if s.request_hash)
        answers = {s.sample.id: gens[s.request_hash].text for s in samples}
        verdicts = {sid: j.verdict.value for sid, j in store.latest_judgements().items()}
        scores = {t: ts.score for t, ts in store.scores().items()}
    return answers, verdicts, scores


def kill_when(proc: subprocess.Popen[bytes], ready, timeout: float = 120) -> bool:
    """SIGKILL ``proc`` once ``ready()`` holds; False if the process ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            proc.kill()
            proc.wait()
            return True
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the process made no progress")


def assert_never_resent(server: ServerHandle, snapshots: list[tuple[set[str], dict[str, int]]]) -> None:
    final = server.stats()["prompts"]
    for finished, counts in snapshots:
        for key in finished:
            assert final[key] == counts[key], "a request answered before a kill was sent again"


def test_run_killed_ten_times_ends_as_an_uninterrupted_run(tmp_path: Path) -> None:
    data = write_t6_tree(tmp_path / "data", N)
    rng = random.Random(SEED)
    out = tmp_path / "killed"
    with start_server(latency_ms=40, reply="yes") as server:
        snapshots: list[tuple[set[str], dict[str, int]]] = []
        kills = 0
        while kills < KILLS:
            target = min(N - 1, answered(out) + rng.randint(5, 25))
            proc = subprocess.Popen(run_args(server.url, data, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if not kill_when(proc, lambda t=target: answered(out) >= t):
                break
            kills += 1
            snapshots.append((finished_prompts(out), dict(server.stats()["prompts"])))
        assert kills == KILLS
        done = subprocess.run(run_args(server.url, data, out), capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode()
        assert_never_resent(server, snapshots)
        sent = server.stats()["chat_requests"]
        assert N <= sent <= N + KILLS * CONCURRENCY  # at most the requests in flight at each kill again
    with start_server(latency_ms=0, reply="yes") as clean:
        whole = tmp_path / "whole"
        assert subprocess.run(run_args(clean.url, data, whole), capture_output=True, timeout=300).returncode == 0
    assert final_state(out) == final_state(whole)


def test_sigint_exits_within_two_seconds_and_resumes(tmp_path: Path) -> None:
    data = write_t6_tree(tmp_path / "data", N)
    out = tmp_path / "run"
    with start_server(latency_ms=200, reply="yes") as server:
        proc = subprocess.Popen(run_args(server.url, data, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while answered(out) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        sent_at = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        elapsed = time.monotonic() - sent_at
        assert proc.returncode == 130
        assert elapsed < 2.0, f"took {elapsed:.2f}s to stop"
        assert b"resume" in err and b"Traceback" not in err
        before = answered(out)
        assert 10 <= before < N
        done = subprocess.run(run_args(server.url, data, out), capture_output=True, timeout=300)
        assert done.returncode == 0
        assert answered(out) == N


def test_score_killed_and_resumed_ends_as_an_uninterrupted_score(builtin_tree: Path, tmp_path: Path) -> None:
    """Judge-scored T.2 re-scored with a loopback judge, SIGKILLed three times mid-judging: verdicts stored
    before a kill are never asked again, and the final scores equal an uninterrupted re-score's."""
    rng = random.Random(SEED + 1)
    runs = {}
    for name in ("killed", "whole"):
        out = tmp_path / name
        setup = cli("run", "--model", "scripted:echo", "--tasks", "T.2,T.4", "--data", str(builtin_tree), "--out",
                    str(out), "--bootstrap", "0", "--no-report", "-q")  # fmt: skip
        assert subprocess.run(setup, capture_output=True, timeout=300).returncode == 0
        runs[name] = out

    def judged(run_dir: Path) -> int:
        with RunStore.open_existing(run_dir) as store:
            return sum(1 for j in store.latest_judgements().values() if (j.verdict.backend or "").startswith("judge:"))

    with start_server(latency_ms=60, reply="yes") as judge:
        spec = f"openai-compat:{judge.url}@judge"
        # no preflight: its probe is a judge request too, and the counts below are the scoring's own
        score = cli("score", str(runs["killed"]), "--judge", spec, "--concurrency", "2", "--no-preflight")
        kills = 0
        for _ in range(3):
            target = judged(runs["killed"]) + rng.randint(2, 6)
            proc = subprocess.Popen(score, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if kill_when(proc, lambda t=target: judged(runs["killed"]) >= t):
                kills += 1
        assert kills >= 2
        before = judge.stats()["chat_requests"]
        stored = judged(runs["killed"])
        assert subprocess.run(score, capture_output=True, timeout=300).returncode == 0
        total_judged = judged(runs["killed"])
        # the resumed score asked only for the verdicts that were not stored yet
        assert judge.stats()["chat_requests"] - before == total_judged - stored
        whole = cli("score", str(runs["whole"]), "--judge", spec)
        assert subprocess.run(whole, capture_output=True, timeout=300).returncode == 0
    assert final_state(runs["killed"]) == final_state(runs["whole"])
