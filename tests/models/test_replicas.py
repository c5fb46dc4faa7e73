"""Replicas of one model: least-outstanding routing, back-off and fail-over, against real loopback servers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from multitrust import api
from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.types import Message, Request
from multitrust.engine.config import RunConfig
from multitrust.engine.store import RunStore
from multitrust.models.replicas import ReplicaPool
from multitrust.models.spec import load_model, parse_model_spec
from multitrust.testing.server import ServerHandle, start_server

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def servers() -> Iterator[list[ServerHandle]]:
    """Two healthy servers (20 ms per answer) and one that answers every chat request with HTTP 500."""
    handles = [start_server(latency_ms=20, reply="yes"), start_server(latency_ms=20, reply="yes")]
    handles.append(start_server(fail_rate=1.0))
    try:
        yield handles
    finally:
        for h in handles:
            h.stop()


def pool_spec(urls: list[str], **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in options.items())
    return f"openai-compat:{','.join(urls)}@m" + (f"?{query}" if query else "")


def req(i: int) -> Request:
    return Request.build("openai-compat:x@m", (Message("user", f"question {i}"),), max_tokens=8)


def test_spec_with_several_urls_builds_a_pool_whose_identity_is_the_first_url() -> None:
    spec = parse_model_spec("openai-compat:http://a:1/v1,http://b:2/v1/@m")
    assert spec.base_urls == ["http://a:1/v1", "http://b:2/v1"]
    assert spec.canonical == "openai-compat:http://a:1/v1@m"  # the replica list is deployment detail
    model = load_model(spec)
    assert isinstance(model, ReplicaPool)
    assert model.spec == "openai-compat:http://a:1/v1@m"
    assert [r.name for r in model.replicas] == ["http://a:1/v1", "http://b:2/v1"]
    with pytest.raises(SpecError, match="must start with http"):
        parse_model_spec("openai-compat:http://a:1/v1,ftp://b@m")


def test_replicas_file_adds_urls(tmp_path: Path) -> None:
    listed = tmp_path / "replicas.txt"
    listed.write_text("# the GPU servers\nhttp://b:2/v1\n\nhttp://c:3/v1\nhttp://a:1/v1\n", encoding="utf-8")
    spec = parse_model_spec(f"openai-compat:http://a:1/v1@m?replicas_file={listed}")
    assert spec.base_urls == ["http://a:1/v1", "http://b:2/v1", "http://c:3/v1"]  # duplicates once
    assert isinstance(load_model(spec), ReplicaPool)


def test_failing_replica_is_backed_off_and_every_request_succeeds(servers: list[ServerHandle]) -> None:
    good_a, good_b, bad = servers
    model = load_model(pool_spec([bad.url, good_a.url, good_b.url], max_retries="4"))

    async def go() -> list[object]:
        in_flight = asyncio.Semaphore(8)  # as the runner's --concurrency bounds requests in flight

        async def one(i: int) -> object:
            async with in_flight:
                return await model.generate(req(i))

        try:
            return await asyncio.gather(*(one(i) for i in range(60)))
        finally:
            await model.aclose()

    replies = asyncio.run(go())
    assert len(replies) == 60
    stats = {s["replica"]: s for s in model.replica_stats()}
    sent = {h.url: h.stats()["chat_requests"] for h in servers}
    # what the pool recorded is what each server saw
    for url, n in sent.items():
        assert stats[url]["requests"] == n
    assert stats[bad.url]["answered"] == 0 and stats[bad.url]["errors"] == sent[bad.url]
    # the failing replica is backed off after its first failures: it sees only (about) its share of the
    # first wave of 8 of the 60 requests,
    # the two healthy ones answer all of them between them, about evenly (least outstanding first)
    assert sent[bad.url] <= 5
    assert stats[good_a.url]["answered"] + stats[good_b.url]["answered"] == 60
    assert min(stats[good_a.url]["answered"], stats[good_b.url]["answered"]) >= 20


def test_deterministic_error_is_not_failed_over(servers: list[ServerHandle]) -> None:
    good_a, good_b, _ = servers
    model = load_model(pool_spec([good_a.url, good_b.url]))
    bad_request = Request.build("openai-compat:x@m", (Message("user", "[[fault:400:9]] hi"),), max_tokens=8)

    async def go() -> None:
        try:
            await model.generate(bad_request)
        finally:
            await model.aclose()

    with pytest.raises(ModelCallError, match="not retried") as info:
        asyncio.run(go())
    assert info.value.attempts == 1
    assert good_a.stats()["chat_requests"] + good_b.stats()["chat_requests"] == 1


def test_all_replicas_down_gives_up_with_the_cause() -> None:
    # 503 (unavailable) on every attempt: transient, so retried over the replicas until attempts run out
    # (the same 500 twice would be taken as the servers' answer to this request and not retried again)
    down = Request.build("openai-compat:x@m", (Message("user", "[[fault:503:99]] question 0"),), max_tokens=8)
    with start_server() as a, start_server() as b:
        model = load_model(pool_spec([a.url, b.url], max_retries="2"))
        model.backoff_base = 0.01

        async def go() -> None:
            try:
                await model.generate(down)
            finally:
                await model.aclose()

        with pytest.raises(ModelCallError, match=r"gave up after 3 attempts over 2 replicas") as info:
            asyncio.run(go())
        assert info.value.attempts == 3
        assert a.stats()["chat_requests"] + b.stats()["chat_requests"] == 3


def test_run_through_replicas_records_them_and_hashes_as_one_endpoint(
    servers: list[ServerHandle], builtin_tree: Path, tmp_path: Path
) -> None:
    good_a, good_b, bad = servers
    pooled = tmp_path / "pooled"
    summary = api.run(  # no preflight: the bad replica's faults are what the pool must route around
        RunConfig(
            model=pool_spec([good_a.url, good_b.url, bad.url]),
            tasks=["T.6", "F.2"],
            data=str(builtin_tree),
            out=str(pooled),
            limit=3,
            bootstrap=0,
            shared_cache=False,
        ),
        preflight=False,
    )
    assert summary.call_errors == 0 and summary.calls_made > 0
    data = api.report([pooled])
    replicas = {r["replica"]: r for r in data["runs"][0]["replicas"]}
    assert set(replicas) == {good_a.url, good_b.url, bad.url}
    assert sum(r["answered"] for r in replicas.values()) == summary.calls_made
    # the same run against the first replica alone plans exactly the same request hashes
    single = tmp_path / "single"
    api.run(
        RunConfig(
            model=f"openai-compat:{good_a.url}@m",
            tasks=["T.6", "F.2"],
            data=str(builtin_tree),
            out=str(single),
            limit=3,
            bootstrap=0,
            shared_cache=False,
        )
    )
    with RunStore.open_existing(pooled) as a, RunStore.open_existing(single) as b:
        assert {s.request_hash for s in a.samples()} == {s.request_hash for s in b.samples()}
