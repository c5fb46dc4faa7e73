"""A lean HTTP/1.1 keep-alive client for one origin, the request path of OpenAI-compatible servers.

Why not the SDK's client: at 256 requests in flight, ``openai`` over ``httpx``/``httpcore`` costs 1.5–2 ms
of CPU per request, most of it in the connection pool, which scans every connection on each request and
response (O(in flight) per request), and in building and validating the request and response models. A
local server (vLLM, llama.cpp, TGI) answering in milliseconds then waits on the harness. This client keeps
idle connections in a stack (O(1) to take and give back), writes each request in one ``write`` and parses
the response with ``h11`` (the HTTP/1.1 state machine ``httpcore`` itself uses), so per-request work does not
grow with the number of requests in flight.

What it does not do (the adapter keeps the SDK for those cases, see
:meth:`~multitrust.models.openai_api.OpenAIChatModel`): HTTP proxies, HTTP/2, credentials in the URL.

Errors: :class:`HTTPStatusError` (any non-2xx answer: status, lower-cased headers, the body as JSON when it
is JSON), :class:`TransportTimeout` (no complete answer within the timeout) and :class:`TransportError`
(connecting, sending or reading failed, or the peer broke the protocol; the cause is chained). A connection
that saw any error, a timeout or a cancellation is closed, never reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import h11

__all__ = ["HTTPStatusError", "OriginPool", "TransportError", "TransportTimeout"]

_READ_CHUNK = 1 << 16
#: seconds a connection may sit idle before it is dropped rather than reused: below the 5 s after which
#: uvicorn (vLLM, SGLang) closes an idle keep-alive connection, so a request rarely meets a closing one
KEEPALIVE_EXPIRY = 4.0


class TransportError(Exception):
    """The request could not be sent or its answer not read (refused, reset, closed early, not HTTP)."""


class TransportTimeout(TransportError):
    """No complete answer within the timeout."""


class HTTPStatusError(Exception):
    """A non-2xx answer. ``body`` is the parsed JSON (``{"error": {"message": ...}}`` as OpenAI-compatible
    servers send it) or the text; ``message`` reads like the SDK's (``Error code: 500 - {...}``)."""

    def __init__(self, status_code: int, headers: dict[str, str], raw: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        text = raw.decode("utf-8", "replace").strip()
        self.body: Any = text
        self.code: Any = None
        try:
            self.body = json.loads(text)
            self.message = f"Error code: {status_code} - {self.body}"
        except ValueError:
            self.message = text or f"Error code: {status_code}"
        super().__init__(self.message)


class _Connection:
    __slots__ = ("h11", "idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def reusable(self) -> bool:
        """Idle, open, and the server has not closed its side (an EOF read while the connection was idle)."""
        return not self.writer.is_closing() and not self.reader.at_eof() and self.h11.our_state is h11.IDLE

    def close(self) -> None:
        self.writer.close()


if sys.version_info >= (3, 11):
    _deadline = asyncio.timeout
else:  # pragma: no cover - Python 3.10

    class _deadline:
        """``asyncio.timeout`` for Python 3.10: cancel the current task when the delay passes."""

        def __init__(self, delay: float) -> None:
            self.delay = delay
            self.expired = False

        async def __aenter__(self) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._handle = asyncio.get_running_loop().call_later(self.delay, self._expire, task)

        def _expire(self, task: asyncio.Task[Any]) -> None:
            self.expired = True
            task.cancel()

        async def __aexit__(self, kind: Any, exc: Any, tb: Any) -> bool:
            self._handle.cancel()
            if self.expired and kind is asyncio.CancelledError:
                raise TimeoutError from None
            return False


class OriginPool:
    """Keep-alive connections to the origin of ``base_url`` (``http`` or ``https``); requests name paths
    under its path (``base_url`` ``http://h:8000/v1`` + ``/chat/completions``). No limit on connections: the
    caller bounds how many requests are in flight. Safe for one event loop."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        ssl_context: ssl.SSLContext | None = None,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {parts.scheme}://{parts.hostname}")
        if parts.username or parts.password:
            raise ValueError("credentials in the URL are not supported by the lean client")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        default_port = self.port == (443 if self.scheme == "https" else 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._headers = [("Host", host if default_port else f"{host}:{self.port}"), *headers.items()]
        self._ssl = ssl_context if ssl_context is not None else (_default_ssl() if self.scheme == "https" else None)
        self.keepalive_expiry = keepalive_expiry
        self._idle: list[_Connection] = []
        self._closed = False
        self.opened = 0  # connections opened so far (tests assert reuse)

    async def request(
        self, method: str, path: str, body: bytes | None, *, timeout: float
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request and read its whole answer: (status, lower-cased headers, body). A non-2xx answer
        raises :class:`HTTPStatusError`; see the module for the other errors."""
        try:
            async with _deadline(timeout):
                status, headers, raw = await self._exchange(method, path, body)
        except TimeoutError:
            raise TransportTimeout(f"no answer within {timeout:g}s") from None
        if not 200 <= status < 300:
            raise HTTPStatusError(status, headers, raw)
        return status, headers, raw

    async def _exchange(self, method: str, path: str, body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        conn = await self._acquire()
        try:
            headers = self._headers
            if body is not None:
                headers = [*headers, ("Content-Length", str(len(body)))]
            c = conn.h11
            out = c.send(h11.Request(method=method, target=self.prefix + path, headers=headers))
            if body:
                out += c.send(h11.Data(data=body))
            out += c.send(h11.EndOfMessage())
            conn.writer.write(out)
            response: h11.Response | None = None
            chunks: list[bytes] = []
            while True:
                event = c.next_event()
                if event is h11.NEED_DATA:
                    c.receive_data(await conn.reader.read(_READ_CHUNK))
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise TransportError("the server closed the connection before the answer was complete")
                # InformationalResponse (1xx): read on
            assert response is not None
        except h11.ProtocolError as exc:
            conn.close()
            raise TransportError(f"the server broke HTTP/1.1 ({exc})") from exc
        except OSError as exc:
            conn.close()
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:  # timeout, cancellation: the answer may still come, so never reuse
            conn.close()
            raise
        self._release(conn)
        headers_out = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
        return response.status_code, headers_out, b"".join(chunks)

    async def _acquire(self) -> _Connection:
        if self._closed:
            raise TransportError("the client is closed")
        idle = self._idle
        if idle:
            loop = asyncio.get_running_loop()
            oldest_kept = loop.time() - self.keepalive_expiry
            while idle:
                conn = idle.pop()  # the most recently used: the least likely to have been closed by the server
                if conn.idle_since < oldest_kept:  # this one and every one below it idled too long
                    conn.close()
                    for stale in idle:
                        stale.close()
                    idle.clear()
                    break
                if conn.reusable():
                    return conn
                conn.close()
        try:
            reader, writer = await asyncio.open_connection(
                self.host, self.port, ssl=self._ssl, server_hostname=self.host if self._ssl else None, limit=_READ_CHUNK
            )
        except OSError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        self.opened += 1
        return _Connection(reader, writer)

    def _release(self, conn: _Connection) -> None:
        c = conn.h11
        if self._closed or c.our_state is not h11.DONE or c.their_state is not h11.DONE:
            conn.close()  # the server asked to close (Connection: close, HTTP/1.0) or the client is closing
            return
        c.start_next_cycle()
        conn.idle_since = asyncio.get_running_loop().time()
        self._idle.append(conn)

    async def aclose(self) -> None:
        """Close the idle connections; ones in use are closed when their request ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        for conn in idle:
            with contextlib.suppress(OSError):  # ssl.SSLError is an OSError
                await conn.writer.wait_closed()


def _default_ssl() -> ssl.SSLContext:
    """Certificate checks as the SDK does them: certifi's CA bundle when installed, else the system's."""
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())
