"""AnthropicChatModel against a loopback server speaking the Messages API (``POST /v1/messages``).

The server is a few lines of ``http.server``: it checks the key header, echoes the prompt, reports the
image blocks it got, and injects rate limits (with retry-after-ms), overloads (529), client errors and
garbled bodies on request, so retries, their limits and error messages are all exercised offline.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("anthropic")

from PIL import Image

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.types import ImageRef, Message, Request
from multitrust.models.anthropic_api import AnthropicChatModel, encode_image_block
from multitrust.models.local_registry import register_local_backends
from multitrust.models.spec import load_model

pytestmark = pytest.mark.timeout(60)

SECRET = "sk-ant-secret-123"


class FakeAnthropic:
    """State shared by the handler threads: what was received, and how often each prompt was seen."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()


def make_handler(state: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            pass

        def send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
            self.send(status, {"type": "error", "error": {"type": kind, "message": message}}, headers)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            if self.path != "/v1/messages":
                return self.error(404, "not_found_error", f"no route {self.path}")
            # the SDK sends the key as x-api-key (1.x) or as a bearer token (2.x); accept either
            key = self.headers.get("x-api-key") or self.headers.get("authorization", "").removeprefix("Bearer ")
            if key != SECRET:
                return self.error(401, "authentication_error", "invalid API key")
            if not self.headers.get("anthropic-version"):
                return self.error(400, "invalid_request_error", "anthropic-version header is required")
            last = body["messages"][-1]["content"]
            blocks = last if isinstance(last, list) else [{"type": "text", "text": last}]
            text = " ".join(b["text"] for b in blocks if b["type"] == "text")
            with state.lock:
                state.seen[text] += 1
                count = state.seen[text]
                state.bodies.append(body)
            if text == "rate limit once" and count == 1:
                return self.error(429, "rate_limit_error", "slow down", {"retry-after-ms": "300"})
            if text == "overloaded":
                return self.error(529, "overloaded_error", "Overloaded")
            if text == "bad request":
                return self.error(400, "invalid_request_error", f"messages: bad input, key was {SECRET}")
            if text == "garbage" and count == 1:
                return self.send(200, b"<html>not json</html>")
            if text == "describe images":
                images = [b for b in blocks if b["type"] == "image"]
                sizes = []
                for b in images:
                    with Image.open(io.BytesIO(base64.b64decode(b["source"]["data"]))) as im:
                        sizes.append(f"{b['source']['media_type']}:{im.width}x{im.height}")
                text = " ".join(sizes)
            if text == "system?":
                text = body.get("system", "<none>")
            words = text.split()
            limit = body["max_tokens"]
            stop = "max_tokens" if len(words) > limit else "end_turn"
            answer = " ".join(words[:limit])
            return self.send(
                200,
                {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": body["model"],
                    "content": [{"type": "text", "text": answer}],
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": {"input_tokens": len(text.split()), "output_tokens": min(len(words), limit)},
                },
            )

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, FakeAnthropic]]:
    state = FakeAnthropic()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()


def make_model(url: str, **kw: Any) -> AnthropicChatModel:
    options: dict[str, Any] = {
        "api_key": SECRET,
        "base_url": url,
        "backoff_base": 0.01,
        "timeout": 5.0,
        "max_retries": 2,
    }
    options.update(kw)
    return AnthropicChatModel("claude-test", **options)


def req(text: str, *images: ImageRef, max_tokens: int = 64, system: str | None = None) -> Request:
    messages = (Message("system", system),) if system else ()
    return Request.build("claude-test", (*messages, Message("user", text, tuple(images))), max_tokens=max_tokens)


def run(model: AnthropicChatModel, *requests: Request) -> list[Any]:
    async def go() -> list[Any]:
        try:
            return await asyncio.gather(*(model.generate(r) for r in requests), return_exceptions=True)
        finally:
            await model.aclose()

    return asyncio.run(go())


def png(path: Path, size: tuple[int, int], fmt: str = "PNG") -> ImageRef:
    Image.new("RGB", size, "teal").save(path, format=fmt)
    return ImageRef(str(path))


def test_answer_usage_and_finish_reasons(server: tuple[str, FakeAnthropic]) -> None:
    url, state = server
    plain, cut = run(make_model(url), req("hello claude"), req("one two three four", max_tokens=2))
    assert (plain.text, plain.finish_reason, plain.attempts) == ("hello claude", "stop", 1)
    assert plain.usage == {"prompt_tokens": 2, "completion_tokens": 2}
    assert (cut.text, cut.finish_reason) == ("one two", "length")
    assert state.bodies[0]["model"] == "claude-test" and state.bodies[0]["temperature"] == 0.0


def test_system_turn_goes_to_system_parameter(server: tuple[str, FakeAnthropic]) -> None:
    url, state = server
    (reply,) = run(make_model(url), req("system?", system="Be terse."))
    assert reply.text == "Be terse."
    assert [m["role"] for m in state.bodies[0]["messages"]] == ["user"]


def test_images_are_base64_blocks_encoded_once(server: tuple[str, FakeAnthropic], tmp_path: Path) -> None:
    url, _ = server
    small = png(tmp_path / "a.png", (20, 10))
    bmp = png(tmp_path / "b.bmp", (30, 30), fmt="BMP")  # not an accepted media type: re-encoded as PNG
    model = make_model(url)
    one, two = run(model, req("describe images", small, bmp), req("describe images", small))
    assert one.text == "image/png:20x10 image/png:30x30"
    assert two.text == "image/png:20x10"
    assert model.images_encoded == 2  # the shared image was encoded once


def test_max_image_side_downscales(tmp_path: Path) -> None:
    block = encode_image_block(png(tmp_path / "big.png", (400, 100)), max_side=100)
    with Image.open(io.BytesIO(base64.b64decode(block["source"]["data"]))) as im:
        assert im.size == (100, 25)
    assert encode_image_block(png(tmp_path / "ok.png", (50, 50)), max_side=100)["source"]["media_type"] == "image/png"


def test_large_photo_is_downscaled_only_when_asked_and_recorded(
    server: tuple[str, FakeAnthropic], tmp_path: Path
) -> None:
    """A 6000 x 4500 JPEG (flat colour: 0.3 MB, 27 M pixels) through the real SDK to the fake API."""
    url, state = server
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (6000, 4500), "teal").save(photo, quality=90)
    image = ImageRef(str(photo))
    small = make_model(url, max_image_side=800, spec="anthropic:claude-test")
    assert small.spec == "anthropic:claude-test?max_image_side=800"
    (reply,) = run(small, req("describe images", image))
    assert reply.text == "image/png:800x600"
    assert small.image_handling() == {
        "max_image_side": 800,
        "images": {"downscaled to ≤800 px, re-encoded as PNG": [image.sha256]},
    }
    full = make_model(url)
    (reply,) = run(full, req("describe images", image))
    assert reply.text == "image/jpeg:6000x4500"
    sent = state.bodies[-1]["messages"][0]["content"][0]["source"]["data"]
    assert base64.b64decode(sent) == photo.read_bytes()  # the file's own bytes
    assert full.image_handling() == {"max_image_side": None, "images": {"original bytes": [image.sha256]}}


def test_rate_limit_is_retried_after_the_servers_delay(server: tuple[str, FakeAnthropic]) -> None:
    url, state = server
    retries: list[tuple[int, str]] = []
    model = make_model(url)
    model.on_retry = lambda request, attempt, reason: retries.append((attempt, reason))
    start = time.perf_counter()
    (reply,) = run(model, req("rate limit once"))
    assert time.perf_counter() - start >= 0.3  # retry-after-ms: 300 honoured (backoff alone would be 0.01 s)
    assert (reply.text, reply.attempts) == ("rate limit once", 2)
    assert len(retries) == 1 and retries[0][0] == 1 and retries[0][1].startswith("HTTP 429")
    assert state.seen["rate limit once"] == 2


def test_overload_gives_up_after_bounded_retries(server: tuple[str, FakeAnthropic]) -> None:
    url, state = server
    (err,) = run(make_model(url, max_retries=2), req("overloaded"))
    assert isinstance(err, ModelCallError) and err.retryable and err.attempts == 3
    assert "HTTP 529" in str(err) and "gave up after 3 attempts" in str(err)
    assert state.seen["overloaded"] == 3


def test_client_error_is_not_retried_and_key_is_scrubbed(server: tuple[str, FakeAnthropic]) -> None:
    url, state = server
    model = make_model(url)
    (err,) = run(model, req("bad request"))
    assert isinstance(err, ModelCallError) and not err.retryable and err.attempts == 1
    assert "HTTP 400" in str(err) and SECRET not in str(err) and "***" in str(err)
    assert state.seen["bad request"] == 1
    assert SECRET not in repr(model) and SECRET not in json.dumps(model.describe())


def test_wrong_key_is_an_auth_error(server: tuple[str, FakeAnthropic]) -> None:
    url, _ = server
    (err,) = run(make_model(url, api_key="sk-ant-wrong"), req("hi"))
    assert isinstance(err, ModelCallError) and "HTTP 401" in str(err) and "not retryable" in str(err)


def test_garbled_body_is_retried(server: tuple[str, FakeAnthropic]) -> None:
    url, _ = server
    (reply,) = run(make_model(url), req("garbage"))
    assert reply.text == "garbage" and reply.attempts == 2


def test_connection_refused_is_retried_then_fails() -> None:
    model = make_model("http://127.0.0.1:9", max_retries=1)
    (err,) = run(model, req("anyone?"))
    assert isinstance(err, ModelCallError) and "connection error" in str(err) and err.attempts == 2


def test_spec_builder(server: tuple[str, FakeAnthropic], monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = server
    register_local_backends()
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(SpecError, match="set ANTHROPIC_API_KEY"):
        load_model("anthropic:claude-test")
    monkeypatch.setenv("MY_KEY", SECRET)
    model = load_model(f"anthropic:claude-test?api_key_env=MY_KEY&base_url={url}&max_retries=0&concurrency=3")
    assert isinstance(model, AnthropicChatModel)
    assert model.spec == f"anthropic:claude-test@{url}" and model.default_concurrency == 3
    assert SECRET not in json.dumps(model.describe())
    (reply,) = run(model, req("via spec"))
    assert reply.text == "via spec"
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    assert load_model("anthropic:claude-x").spec == "anthropic:claude-x"
