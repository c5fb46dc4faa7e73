"""The lean HTTP/1.1 client (models/http1.py) against real loopback servers: keep-alive reuse, servers that
close connections, chunked bodies, status errors, timeouts; and which OpenAI adapters use it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from multitrust.core.errors import ModelCallError
from multitrust.core.types import Message, Request
from multitrust.models.http1 import HTTPStatusError, OriginPool, TransportError, TransportTimeout
from multitrust.models.openai_api import OpenAIChatModel, lean_path_applies
from multitrust.testing.server import start_server

pytestmark = pytest.mark.timeout(60)


class _Scripted(BaseHTTPRequestHandler):
    """Answers by path: /ok (keep-alive JSON), /close (answers, then closes the connection without saying
    so), /chunked, /error (HTTP 503 with Retry-After and a JSON error), /slow (2 s). Records each request."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        if self.path.endswith("/slow"):
            time.sleep(2)
        if self.path.endswith("/chunked"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b'{"a":', b" 1}"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        error = self.path.endswith("/error")
        status, payload = (503, {"error": {"message": "busy now"}}) if error else (200, {"ok": 1})
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        if status == 503:
            self.send_header("Retry-After", "7")
        self.end_headers()
        self.wfile.write(raw)
        if self.path.endswith("/close"):
            self.close_connection = True


class _Http10(_Scripted):
    protocol_version = "HTTP/1.0"  # every answer ends its connection


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def url() -> Iterator[str]:
    yield from _serve(_Scripted)


def _pool(url: str) -> OriginPool:
    return OriginPool(url, headers={"Authorization": "Bearer k", "Content-Type": "application/json"})


def test_connections_are_reused(url: str) -> None:
    async def go() -> tuple[int, int]:
        pool = _pool(url)
        try:
            for _ in range(20):  # one after another: one connection
                status, _, raw = await pool.request("POST", "/ok", b"{}", timeout=5)
                assert (status, json.loads(raw)) == (200, {"ok": 1})
            sequential = pool.opened
            await asyncio.gather(*(pool.request("POST", "/ok", b"{}", timeout=5) for _ in range(10)))
            await asyncio.gather(*(pool.request("POST", "/ok", b"{}", timeout=5) for _ in range(10)))
            return sequential, pool.opened
        finally:
            await pool.aclose()

    sequential, total = asyncio.run(go())
    assert sequential == 1
    assert total <= 10  # the second wave of ten reuses the first wave's connections
    assert len(_Scripted.seen) == 40
    first = _Scripted.seen[0]
    assert first["path"] == "/v1/ok" and first["headers"]["authorization"] == "Bearer k"
    assert first["headers"]["host"] == url.split("//")[1].split("/")[0]


def test_a_connection_the_server_closed_is_not_reused(url: str) -> None:
    async def go() -> int:
        pool = _pool(url)
        try:
            await pool.request("POST", "/close", b"{}", timeout=5)
            await asyncio.sleep(0.2)  # the server's FIN arrives while the connection is idle
            status, _, _ = await pool.request("POST", "/ok", b"{}", timeout=5)
            assert status == 200
            return pool.opened
        finally:
            await pool.aclose()

    assert asyncio.run(go()) == 2


def test_http10_answers_close_their_connection() -> None:
    for url in _serve(_Http10):

        async def go(url: str = url) -> int:
            pool = _pool(url)
            try:
                for _ in range(3):
                    assert (await pool.request("POST", "/ok", b"{}", timeout=5))[0] == 200
                return pool.opened
            finally:
                await pool.aclose()

        assert asyncio.run(go()) == 3


def test_chunked_body(url: str) -> None:
    async def go() -> bytes:
        pool = _pool(url)
        try:
            return (await pool.request("POST", "/chunked", b"{}", timeout=5))[2]
        finally:
            await pool.aclose()

    assert json.loads(asyncio.run(go())) == {"a": 1}


def test_status_error_carries_headers_and_json_body(url: str) -> None:
    async def go() -> HTTPStatusError:
        pool = _pool(url)
        try:
            with pytest.raises(HTTPStatusError) as info:
                await pool.request("POST", "/error", b"{}", timeout=5)
            assert (await pool.request("POST", "/ok", b"{}", timeout=5))[0] == 200  # the connection stays usable
            assert pool.opened == 1
            return info.value
        finally:
            await pool.aclose()

    err = asyncio.run(go())
    assert err.status_code == 503 and err.headers["retry-after"] == "7"
    assert err.body == {"error": {"message": "busy now"}}
    assert err.message == "Error code: 503 - {'error': {'message': 'busy now'}}"


def test_timeout_closes_the_connection(url: str) -> None:
    async def go() -> int:
        pool = _pool(url)
        try:
            t0 = time.monotonic()
            with pytest.raises(TransportTimeout):
                await pool.request("POST", "/slow", b"{}", timeout=0.3)
            assert time.monotonic() - t0 < 1.5
            assert (await pool.request("POST", "/ok", b"{}", timeout=5))[0] == 200
            return pool.opened
        finally:
            await pool.aclose()

    assert asyncio.run(go()) == 2  # the late answer of /slow never reaches the next request


def test_refused_connection_is_a_transport_error() -> None:
    with start_server() as srv:
        url = srv.url

    async def go() -> None:
        pool = _pool(url)
        try:
            await pool.request("POST", "/chat/completions", b"{}", timeout=5)
        finally:
            await pool.aclose()

    with pytest.raises(TransportError, match="ConnectionRefusedError") as info:
        asyncio.run(go())
    assert not isinstance(info.value, TransportTimeout)


def test_which_adapters_take_the_lean_path(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    assert lean_path_applies("http://127.0.0.1:8000/v1")
    assert lean_path_applies("https://example.org/v1")
    assert not lean_path_applies(None)  # api.openai.com through the SDK
    assert not lean_path_applies("http://user:pw@127.0.0.1:8000/v1")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    assert not lean_path_applies("http://gpu-box:8000/v1")  # the SDK's httpx speaks to the proxy
    assert lean_path_applies("https://example.org/v1")  # no proxy for https
    monkeypatch.setenv("NO_PROXY", "gpu-box")
    assert lean_path_applies("http://gpu-box:8000/v1")


def test_adapter_sends_key_and_body_through_the_lean_client(url: str) -> None:
    model = OpenAIChatModel("m", spec="x", base_url=url, api_key="sk-lean", max_retries=0, extra_body={"seed": 3})
    assert model._lean is not None
    request = Request.build("m", (Message("user", "héllo"),), max_tokens=5)

    async def go() -> None:
        try:
            with pytest.raises(ModelCallError, match="malformed response"):  # {"ok": 1} has no choices
                await model.generate(request)
        finally:
            await model.aclose()

    asyncio.run(go())
    (seen,) = _Scripted.seen
    assert seen["path"] == "/v1/chat/completions"
    assert seen["headers"]["authorization"] == "Bearer sk-lean"
    assert seen["headers"]["content-type"] == "application/json"
    body = json.loads(seen["body"])
    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "héllo"}],
        "max_tokens": 5,
        "temperature": 0.0,
        "seed": 3,
    }


def test_model_listing_goes_through_the_lean_client() -> None:
    with start_server() as srv:
        model = OpenAIChatModel("test-model", spec="x", base_url=srv.url)

        async def go() -> list[str] | None:
            try:
                await model.generate(Request.build("test-model", (Message("user", "hi"),), max_tokens=4))
                return await model.list_model_ids()
            finally:
                await model.aclose()

        ids = asyncio.run(go())
        assert ids is not None and "test-model" in ids
        assert model._lean is not None and model._lean.opened == 1  # the listing reused the chat connection


def test_the_lean_path_never_imports_the_sdk() -> None:
    """Importing ``openai`` costs about half a second of CPU; a run against a local server does without."""
    code = (
        "import asyncio, sys\n"
        "from multitrust.core.types import Message, Request\n"
        "from multitrust.models.spec import load_model, parse_model_spec\n"
        "from multitrust.testing.server import start_server\n"
        "with start_server() as srv:\n"
        "    m = load_model(parse_model_spec(f'openai-compat:{srv.url}@m'), seed=0)\n"
        "    async def go():\n"
        "        try:\n"
        "            return await m.generate(Request.build('m', (Message('user', 'hi'),), max_tokens=4))\n"
        "        finally:\n"
        "            await m.aclose()\n"
        "    print(asyncio.run(go()).text, 'openai' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["hi", "False"]


def test_connections_idle_past_the_expiry_are_not_reused(url: str) -> None:
    """Servers close idle keep-alive connections (uvicorn after 5 s); one idle longer than the expiry is
    dropped before the server can close it under a request."""

    async def go(expiry: float) -> int:
        pool = OriginPool(url, headers={}, keepalive_expiry=expiry)
        try:
            await asyncio.gather(*(pool.request("POST", "/ok", b"{}", timeout=5) for _ in range(3)))
            await asyncio.sleep(0.3)
            await pool.request("POST", "/ok", b"{}", timeout=5)
            return pool.opened
        finally:
            await pool.aclose()

    assert asyncio.run(go(0.1)) == 4  # three, then a fresh one: all three had idled too long
    assert asyncio.run(go(60)) == 3
