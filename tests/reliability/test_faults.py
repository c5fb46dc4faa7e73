"""The fault suite: 2,000 requests through the real runner against a loopback server that injects 10% HTTP
500, 5% 429 with Retry-After, 2% hangs past the timeout, 1% malformed JSON and 1% dropped connections.

Afterwards every sample has exactly one final record, none is duplicated, and wherever no error remained
the answers, verdicts and scores equal those of a fault-free run of the same requests.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from multitrust import api
from multitrust.engine.config import RunConfig
from multitrust.engine.store import STORE_FILE, RunStore
from multitrust.testing.server import start_server
from multitrust.testing.trees import write_t6_tree

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]

N = 2000
FAULTS = {"fail_rate": 0.10, "rate_limit_rate": 0.05, "hang_rate": 0.02, "malformed_rate": 0.01, "drop_rate": 0.01}


def run(url: str, data: Path, out: Path) -> None:
    api.run(
        RunConfig(
            model=f"openai-compat:{url}@m?timeout=1&max_retries=8",
            tasks=["T.6"],
            data=str(data),
            out=str(out),
            concurrency=64,
            bootstrap=0,
            shared_cache=False,
        ),
        preflight=False,  # the suite measures the run's own requests; a probe would take a seeded fault
    )


def records(run_dir: Path) -> tuple[dict[str, tuple[str | None, str | None]], dict[str, object]]:
    """sample id → (answer text, error) of its request; sample id → latest verdict value. (Keyed by sample:
    the two runs' request hashes differ, since each names its own server's URL.)"""
    with RunStore.open_existing(run_dir) as store:
        samples = {s.sample.id: s.request_hash for s in store.samples()}
        gens = store.generations(h for h in samples.values() if h)
        verdicts = {sid: j.verdict.value for sid, j in store.latest_judgements().items()}
    return {sid: (gens[h].text, gens[h].error) for sid, h in samples.items()}, verdicts


def test_faults_leave_one_record_per_sample_and_the_fault_free_answers(tmp_path: Path) -> None:
    data = write_t6_tree(tmp_path / "data", N)
    with start_server(reply="yes", retry_after=0.2, hang_s=3, seed=11, **FAULTS) as faulty:
        run(faulty.url, data, tmp_path / "faulty")
        stats = faulty.stats()
    with start_server(reply="yes") as clean:
        run(clean.url, data, tmp_path / "clean")

    # the faults really happened, in about the injected shares
    faults = stats["faults"]
    for kind, rate in (("500", 0.10), ("429", 0.05), ("hang", 0.02), ("malformed", 0.01), ("drop", 0.01)):
        assert faults.get(kind, 0) >= rate * N * 0.5, (kind, faults)
    assert stats["chat_requests"] > N

    answers, verdicts = records(tmp_path / "faulty")
    clean_answers, clean_verdicts = records(tmp_path / "clean")
    assert len(answers) == N and set(answers) == set(clean_answers)  # the same samples, each planned once
    db = sqlite3.connect(tmp_path / "faulty" / STORE_FILE)
    try:
        (rows,) = db.execute("SELECT COUNT(*) FROM generations").fetchone()
        (distinct,) = db.execute("SELECT COUNT(DISTINCT request_hash) FROM generations").fetchone()
    finally:
        db.close()
    assert rows == distinct == N  # exactly one final record per request, none duplicated
    answered = [sid for sid, (_, error) in answers.items() if error is None]
    assert len(answered) >= N - 5  # 8 retries make a request that fails every time vanishingly rare
    for sid in answered:
        assert answers[sid] == clean_answers[sid]
        assert verdicts[sid] == clean_verdicts[sid]
    faulty_score = api.load_results(tmp_path / "faulty").scores["T.6"]
    clean_score = api.load_results(tmp_path / "clean").scores["T.6"]
    if len(answered) == N:
        assert faulty_score.score == clean_score.score
    else:  # a failed request is an error, never a wrong answer: the sample counts are what differ
        assert faulty_score.n_errors == N - len(answered)
