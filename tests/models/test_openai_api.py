"""OpenAIChatModel against the real loopback server: answers, images, every injected fault, retries."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from collections.abc import Coroutine, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.types import ImageRef, Message, Request
from multitrust.models.openai_api import OpenAIChatModel, parse_retry_after
from multitrust.testing.server import TEXT_ONLY_ERROR, ServerHandle, prompt_sha256, start_server

pytestmark = pytest.mark.timeout(60)

SECRET = "sk-secret-123"
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def server() -> Iterator[ServerHandle]:
    with start_server(retry_after=1, hang_s=3) as handle:
        yield handle


def make_model(server: ServerHandle, **kw: Any) -> OpenAIChatModel:
    options: dict[str, Any] = {"api_key": SECRET, "backoff_base": 0.01, "timeout": 5.0, "max_retries": 3}
    options.update(kw)
    return OpenAIChatModel("test-model", spec=f"openai:test-model@{server.url}", base_url=server.url, **options)


def req(text: str, *images: ImageRef, max_tokens: int = 64) -> Request:
    return Request.build("test-model", (Message("user", text, tuple(images)),), max_tokens=max_tokens)


async def ask(model: OpenAIChatModel, *requests: Request) -> list[Any]:
    try:
        return await asyncio.gather(*(model.generate(r) for r in requests))
    finally:
        await model.aclose()


def png(path: Path, size: tuple[int, int] = (8, 4), color: str = "red") -> ImageRef:
    Image.new("RGB", size, color).save(path)
    return ImageRef(str(path))


# -------------------------------------------------------------------------------------------- answers


def test_plain_answer(server: ServerHandle) -> None:
    (reply,) = run(ask(make_model(server), req("hello loopback")))
    assert reply.text == "hello loopback"
    assert reply.finish_reason == "stop"
    assert reply.attempts == 1
    assert reply.usage == {"prompt_tokens": 2, "completion_tokens": 2}
    assert server.stats()["models"] == {"test-model": 1}


def test_length_finish_reason(server: ServerHandle) -> None:
    (reply,) = run(ask(make_model(server), req("a b c d e", max_tokens=2)))
    assert (reply.text, reply.finish_reason) == ("a b", "length")


def test_null_content_becomes_empty_text(tmp_path: Path) -> None:
    rules = tmp_path / "r.jsonl"
    rules.write_text('{"match": "silence", "reply": null}\n')
    with start_server(reply_file=str(rules)) as srv:
        (reply,) = run(ask(make_model(srv), req("silence please")))
    assert reply.text == ""
    assert reply.finish_reason == "stop"


def test_invalid_utf8_and_lone_surrogates_are_answers_with_replacements(tmp_path: Path) -> None:
    """A body with bytes that are not UTF-8, or a JSON escape of a lone surrogate, is still the answer (sent
    once, not retried as malformed), with U+FFFD where nothing storable was sent (core/text.py's policy)."""
    rules = tmp_path / "r.jsonl"
    rules.write_text('{"match": "bytes", "reply": "caf\\udce9!"}\n{"match": "lone", "reply": "a\\ud800b"}\n')
    with start_server(reply_file=str(rules)) as srv:
        raw, lone = run(ask(make_model(srv), req("bytes"), req("lone")))
        assert srv.stats()["chat_requests"] == 2
    assert (raw.text, raw.attempts) == ("caf\ufffd!", 1)
    assert (lone.text, lone.attempts) == ("a\ufffdb", 1)


def test_image_content_and_encoded_once(server: ServerHandle, tmp_path: Path) -> None:
    image = png(tmp_path / "img.png")
    model = make_model(server)
    replies = run(ask(model, req("describe it", image), req("what colour", image), req("size?", image)))
    assert [r.text for r in replies] == ["describe it", "what colour", "size?"]
    assert model.images_encoded == 1
    assert server.stats()["images"] == 3


def test_message_format(server: ServerHandle, tmp_path: Path) -> None:
    image = png(tmp_path / "img.png")
    model = make_model(server)
    request = Request.build(
        "test-model",
        (Message("system", "be brief"), Message("user", "look", (image,))),
        max_tokens=8,
    )
    messages = run(model._messages(request))
    assert messages[0] == {"role": "system", "content": "be brief"}
    parts = messages[1]["content"]
    assert [p["type"] for p in parts] == ["image_url", "text"]
    url = parts[0]["image_url"]["url"]
    assert url == "data:image/png;base64," + base64.b64encode(image.read_bytes()).decode()
    assert parts[1] == {"type": "text", "text": "look"}


def test_max_image_side_downscales(server: ServerHandle, tmp_path: Path) -> None:
    big = png(tmp_path / "big.png", size=(400, 100))
    small = png(tmp_path / "small.png", size=(20, 10), color="blue")
    model = make_model(server, max_image_side=64)
    messages = run(model._messages(req("x", big, small)))
    urls = [p["image_url"]["url"] for p in messages[0]["content"][:2]]
    assert all(u.startswith("data:image/png;base64,") for u in urls)
    sizes = [Image.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))).size for u in urls]
    assert sizes == [(64, 16), (20, 10)]


# --------------------------------------------------------------------------------------------- faults


def test_500_then_success(server: ServerHandle) -> None:
    (reply,) = run(ask(make_model(server), req("[[fault:500:1]] a")))
    assert reply.attempts == 2
    assert reply.text == "[[fault:500:1]] a"
    assert server.stats()["statuses"] == {"500": 1, "200": 1}


def test_429_honours_retry_after(server: ServerHandle) -> None:
    t0 = time.monotonic()
    (reply,) = run(ask(make_model(server), req("[[fault:429:1]] b")))
    assert reply.attempts == 2
    assert time.monotonic() - t0 >= 1.0


def test_hang_past_timeout_then_success(server: ServerHandle) -> None:
    t0 = time.monotonic()
    (reply,) = run(ask(make_model(server, timeout=0.5), req("[[fault:hang:1]] c")))
    assert reply.attempts == 2
    assert time.monotonic() - t0 < 2.5


def test_malformed_then_success(server: ServerHandle) -> None:
    (reply,) = run(ask(make_model(server), req("[[fault:malformed:1]] d")))
    assert reply.attempts == 2
    assert reply.text == "[[fault:malformed:1]] d"


def test_dropped_connection_then_success(server: ServerHandle) -> None:
    (reply,) = run(ask(make_model(server), req("[[fault:drop:1]] e")))
    assert reply.attempts == 2


def test_retries_exhausted(server: ServerHandle) -> None:
    prompt = "[[fault:503:99]] f"
    with pytest.raises(ModelCallError) as info:
        run(ask(make_model(server, max_retries=2), req(prompt)))
    err = info.value
    assert err.attempts == 3
    assert err.retryable
    assert "HTTP 503" in str(err) and "3 attempts" in str(err)
    assert "\n" not in str(err)
    stats = server.stats()
    assert stats["chat_requests"] == 3
    assert stats["prompts"] == {prompt_sha256(prompt): 3}


def test_zero_retries(server: ServerHandle) -> None:
    with pytest.raises(ModelCallError) as info:
        run(ask(make_model(server, max_retries=0), req("[[fault:500:1]] g")))
    assert info.value.attempts == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_non_retryable_status_fails_at_once(server: ServerHandle, status: int) -> None:
    prompt = f"[[fault:{status}:1]] h"
    with pytest.raises(ModelCallError) as info:
        run(ask(make_model(server), req(prompt)))
    assert info.value.attempts == 1
    assert f"HTTP {status}" in str(info.value)
    assert server.stats()["prompts"] == {prompt_sha256(prompt): 1}


def test_bad_route_fails_at_once(server: ServerHandle) -> None:
    model = OpenAIChatModel("m", spec="x", base_url=server.url + "/nope", api_key=SECRET, backoff_base=0.01)
    with pytest.raises(ModelCallError) as info:
        run(ask(model, req("i")))
    assert info.value.attempts == 1
    assert "HTTP 404" in str(info.value)


@pytest.mark.parametrize("status", [408, 409, 502])
def test_other_retryable_statuses(server: ServerHandle, status: int) -> None:
    (reply,) = run(ask(make_model(server), req(f"[[fault:{status}:1]] j")))
    assert reply.attempts == 2


def test_connection_refused_is_retried_then_fails() -> None:
    with start_server() as srv:
        url = srv.url
    model = OpenAIChatModel("m", spec="x", base_url=url, api_key=SECRET, backoff_base=0.01, max_retries=1)
    with pytest.raises(ModelCallError) as info:
        run(ask(model, req("k")))
    assert info.value.attempts == 2
    assert "connection error" in str(info.value)


def test_an_endpoint_that_never_answered_is_stopped_after_three_requests_spent_their_retries() -> None:
    with start_server() as srv:
        url = srv.url  # closed again: nothing listens there
    model = OpenAIChatModel("m", spec="x", base_url=url, api_key=SECRET, backoff_base=0.01, max_retries=2)
    results = run(outcomes(model, [req(f"q{i}") for i in range(8)], sequential=True))
    assert all(isinstance(r, ModelCallError) for r in results)
    assert [r.attempts for r in results] == [3, 3, 3, 0, 0, 0, 0, 0]  # 3 spent their retries, 5 not sent
    (stopped,) = model.stopped()
    assert stopped.count == 8 and "connection error" in stopped.cause


def test_an_endpoint_that_answered_before_is_not_stopped_for_being_unreachable() -> None:
    srv = start_server()
    model = OpenAIChatModel("m", spec="x", base_url=srv.url, api_key=SECRET, backoff_base=0.01, max_retries=1)

    async def answered_then_gone() -> list[Any]:
        await model.generate(req("fine"))
        srv.stop()
        return await outcomes(model, [req(f"q{i}") for i in range(5)], sequential=True)

    results = run(answered_then_gone())
    assert [r.attempts for r in results] == [2, 2, 2, 2, 2]
    assert model.stopped() == []


def test_on_retry_hook(server: ServerHandle) -> None:
    calls: list[tuple[str, int, str]] = []
    model = make_model(server)
    model.on_retry = lambda request, attempt, reason: calls.append((request.prompt, attempt, reason))
    (reply,) = run(ask(model, req("[[fault:503:2]] l")))
    assert reply.attempts == 3
    assert [(p, a) for p, a, _ in calls] == [("[[fault:503:2]] l", 1), ("[[fault:503:2]] l", 2)]
    assert all(r.startswith("HTTP 503") for _, _, r in calls)


def test_concurrent_requests_each_sent_once(server: ServerHandle) -> None:
    requests = [req(f"prompt {i}") for i in range(60)]
    replies = run(ask(make_model(server), *requests))
    assert [r.text for r in replies] == [f"prompt {i}" for i in range(60)]
    stats = server.stats()
    assert stats["chat_requests"] == 60
    assert set(stats["prompts"].values()) == {1}


# ------------------------------------------------------------------------------------- keys & config


def test_api_key_never_leaks(server: ServerHandle) -> None:
    model = make_model(server, max_retries=0)
    with pytest.raises(ModelCallError) as info:
        run(ask(model, req("[[fault:401:1]] m")))
    for text in (str(info.value), repr(info.value), repr(model), str(model.describe())):
        assert SECRET not in text
    assert model.describe()["spec"] == model.spec


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(SpecError, match="OPENAI_API_KEY"):
        OpenAIChatModel("gpt-4o", spec="openai:gpt-4o")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    model = OpenAIChatModel("gpt-4o", spec="openai:gpt-4o")
    assert SECRET not in repr(model) + str(model.describe())
    run(model.aclose())


def test_compat_server_needs_no_key(server: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = OpenAIChatModel("m", spec="x", base_url=server.url)
    (reply,) = run(ask(model, req("no key")))
    assert reply.text == "no key"


def test_describe_redacts_url_credentials() -> None:
    model = OpenAIChatModel("m", spec="x", base_url="http://user:pw@127.0.0.1:9/v1", api_key=SECRET)
    assert model.describe()["base_url"] == "http://127.0.0.1:9/v1"
    assert "pw" not in repr(model)
    run(model.aclose())
    run(model.aclose())  # safe twice


def test_parse_retry_after() -> None:
    assert parse_retry_after({"retry-after": "2"}, 60) == 2.0
    assert parse_retry_after({"retry-after": "500"}, 60) == 60.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}, 60) == 0.25
    assert parse_retry_after({"retry-after": "soon"}, 60) is None
    assert parse_retry_after({}, 60) is None
    future = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after({"retry-after": future}, 60) or 0) <= 30
    past = format_datetime(datetime.now(timezone.utc) - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"retry-after": past}, 60) == 0.0


def test_backoff_is_exponential_jittered_and_capped(server: ServerHandle) -> None:
    model = make_model(server, backoff_base=1.0, backoff_max=5.0)
    for attempt, full in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (20, 5.0)]:
        delay = model._delay(attempt, None)
        assert full / 2 <= delay <= full
    assert model._delay(1, 3.0) == 3.0
    run(model.aclose())


# ----------------------------------------------------------------------------------------- fail fast


async def outcomes(model: OpenAIChatModel, requests: list[Request], *, sequential: bool) -> list[Any]:
    """Each request's reply or its ModelCallError, in order; the model is closed afterwards."""

    async def one(r: Request) -> Any:
        try:
            return await model.generate(r)
        except ModelCallError as exc:
            return exc

    try:
        if sequential:
            return [await one(r) for r in requests]
        return list(await asyncio.gather(*(one(r) for r in requests)))
    finally:
        await model.aclose()


def test_text_only_server_stops_image_requests_after_three(tmp_path: Path) -> None:
    """llama.cpp's text-only server answers every image request with the same HTTP 500. One at a time: the
    first request uses its retries (a 5xx without Retry-After may be transient); the same body twice on a
    second request, with nothing answered meanwhile, ends it; a third stops image requests, and the rest
    fail at once without being sent. Text requests still work."""
    image = png(tmp_path / "a.png")
    with start_server(text_only=True) as srv:
        model = make_model(srv, max_retries=6)
        requests = [req(f"describe {i}", image) for i in range(10)]
        *results, text_reply = run(outcomes(model, [*requests, req("plain text")], sequential=True))
        assert text_reply.text == "plain text"  # the endpoint still serves text requests
        stats = srv.stats()
        assert all(isinstance(r, ModelCallError) for r in results)
        assert stats["chat_requests"] == 7 + 2 + 2 + 1  # all tries, then two each; the text one
        assert [r.attempts for r in results] == [7, 2, 2] + [0] * 7
        for r in results:
            assert TEXT_ONLY_ERROR in str(r)
        stop_message = str(results[2])
        assert "the same error on 3 requests in a row" in stop_message
        assert all(str(r) == stop_message for r in results[3:])
        (stopped,) = model.stopped()
        assert (stopped.shape, stopped.count) == ("image", 10)
        assert stopped.cause == f"HTTP 500: {TEXT_ONLY_ERROR}"


def test_concurrent_text_only_failures_are_not_retried(tmp_path: Path) -> None:
    image = png(tmp_path / "a.png")
    with start_server(text_only=True) as srv:
        model = make_model(srv, max_retries=6, backoff_base=0.5)
        results = run(outcomes(model, [req(f"describe {i}", image) for i in range(12)], sequential=False))
        assert all(isinstance(r, ModelCallError) for r in results)
        # all twelve in flight at once, each tried at most twice (not seven times): those whose backoff ended
        # after three had the same error twice were failed without a second try
        assert 12 + 3 <= srv.stats()["chat_requests"] <= 24
        assert model.stopped()[0].count == 12


def test_repeated_4xx_stops_after_three_distinct_requests(server: ServerHandle) -> None:
    model = make_model(server)
    results = run(outcomes(model, [req(f"[[fault:400:99]] q{i}") for i in range(6)], sequential=True))
    assert server.stats()["chat_requests"] == 3
    assert [r.attempts for r in results] == [1, 1, 1, 0, 0, 0]
    assert "not retryable" in str(results[0]) and "requests in a row" in str(results[3])
    assert model.stopped()[0].count == 6


def test_a_success_breaks_the_run_of_failures(server: ServerHandle) -> None:
    model = make_model(server)
    prompts = ["[[fault:404:99]] a", "[[fault:404:99]] b", "fine", "[[fault:404:99]] c", "[[fault:404:99]] d"]
    results = run(outcomes(model, [req(p) for p in prompts], sequential=True))
    assert [isinstance(r, ModelCallError) for r in results] == [True, True, False, True, True]
    assert model.stopped() == []
    assert server.stats()["chat_requests"] == 5


def test_different_errors_do_not_add_up(server: ServerHandle) -> None:
    model = make_model(server)
    prompts = ["[[fault:400:99]] a", "[[fault:422:99]] b", "[[fault:400:99]] c", "[[fault:422:99]] d"]
    run(outcomes(model, [req(p) for p in prompts], sequential=True))
    assert model.stopped() == []


def test_random_500s_of_a_flaky_server_never_stop_it() -> None:
    """30% of answers are HTTP 500 with one and the same body: distinct requests often fail in a row, but a
    retry of the same request almost always succeeds, so nothing is confirmed deterministic."""
    with start_server(fail_rate=0.3, seed=5) as srv:
        model = make_model(srv, max_retries=10, backoff_base=0.001)
        results = run(outcomes(model, [req(f"flaky {i}") for i in range(200)], sequential=False))
        assert model.stopped() == []
        answered = [r for r in results if not isinstance(r, ModelCallError)]
        assert len(answered) >= 170  # a request is lost only when both of its first tries get the 500
        assert srv.stats()["faults"]["500"] >= 40


def test_same_request_failing_twice_counts_once(server: ServerHandle) -> None:
    """Three tries of one request are one request: fail fast needs distinct requests."""
    model = make_model(server)
    r = req("[[fault:400:99]] same")
    run(outcomes(model, [r, r, r], sequential=True))
    assert model.stopped() == []


def test_429_storm_is_retried_and_succeeds() -> None:
    with start_server(rate_limit_rate=0.7, retry_after=0.01, seed=3) as srv:
        model = make_model(srv, max_retries=30)
        replies = run(outcomes(model, [req(f"storm {i}") for i in range(40)], sequential=False))
        assert [r.text for r in replies] == [f"storm {i}" for i in range(40)]
        stats = srv.stats()
        assert stats["statuses"]["429"] > 40  # most requests were rate limited, some many times
        assert model.stopped() == []


def test_503_is_transient() -> None:
    """503 is retried whatever its body: many distinct requests failing with it never stop the endpoint."""
    with start_server() as srv:
        model = make_model(srv, max_retries=2)
        results = run(outcomes(model, [req(f"[[fault:503:2]] s{i}") for i in range(5)], sequential=True))
        assert all(r.attempts == 3 and r.text for r in results)
        assert model.stopped() == []


def test_content_policy_refusals_never_stop_the_endpoint(server: ServerHandle) -> None:
    """A 400 content_policy_violation judges one prompt (jailbreak tasks have many in a row), not the
    endpoint: each fails at once, none stops the others."""
    model = make_model(server)
    results = run(outcomes(model, [req(f"[[fault:policy:99]] jailbreak {i}") for i in range(6)], sequential=True))
    assert all(isinstance(r, ModelCallError) and r.attempts == 1 for r in results)
    assert all("HTTP 400: Your request was rejected as a result of our safety system." in str(r) for r in results)
    assert model.stopped() == [] and server.stats()["chat_requests"] == 6


def test_connection_errors_never_quote_url_credentials() -> None:
    with start_server() as srv:
        url = srv.url
    model = OpenAIChatModel(
        "m", spec="x", base_url=url.replace("http://", "http://user:pw-secret@"), api_key=SECRET, max_retries=0
    )
    with pytest.raises(ModelCallError) as info:
        run(ask(model, req("k")))
    assert "pw-secret" not in str(info.value) and "connection error" in str(info.value)
    assert (
        model._scrub("proxy http://u:pw-secret@proxy.example:3128 refused") == "proxy http://proxy.example:3128 refused"
    )
