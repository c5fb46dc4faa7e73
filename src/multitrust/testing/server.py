"""A loopback HTTP server that speaks the OpenAI chat API, for tests, benchmarks and config dry-runs.

Why a real server rather than a mocked client: the OpenAI adapter's retry, timeout and connection-reuse
behaviour only shows up over real sockets, and benchmarks need a peer whose latency is known. The server
is stdlib only (``http.server``) so it runs anywhere the package does.

Endpoints::

    POST /v1/chat/completions   a chat.completion built from the reply mode / reply file
    GET  /v1/models             the models seen so far (plus a default one)
    GET  /stats                 counters (see :meth:`ServerState.snapshot`)
    POST /reset                 zero the counters, the fault-directive attempt counts and the RNG

Faults are either random (seeded rates) or, for deterministic tests, requested by the prompt itself: a
last user message containing ``[[fault:KIND:N]]`` gets that fault on its first N attempts and succeeds
afterwards. KIND is ``hang``, ``malformed``, ``drop`` (close the connection without answering), ``policy``
(OpenAI's HTTP 400 ``content_policy_violation``, the same body for every prompt it refuses) or an HTTP
status code such as ``500``, ``429`` (sent with ``Retry-After``), ``400``.

With ``echo_headers`` every error answer quotes the request's headers (``Authorization`` and ``x-api-key``
included) in its message, as some proxies and debugging servers do: the secrets suite uses it to make the
client's exceptions carry the caller's credentials.

Hostile replies for robustness tests come from a reply file. A rule with ``"status"`` answers with that
HTTP status and its ``reply`` as the error message. Reply characters U+DC80–U+DCFF (Python's
``surrogateescape`` form of undecodable bytes, written ``"\\udcff"`` in a reply file) are sent as the raw bytes
0x80–0xFF, so the body is invalid UTF-8; any other lone surrogate (``"\\ud800"``) is sent as its JSON
escape, which decodes to a string no UTF-8 encoder accepts.

Run it from the command line (``python -m multitrust.testing.server --port 0``), in a background thread
(:func:`start_server`) or in its own process (:func:`spawn_server`).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import itertools
import json
import random
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = [
    "POLICY_ERROR",
    "TEXT_ONLY_ERROR",
    "ReplyRule",
    "ServerHandle",
    "ServerOptions",
    "ServerProcess",
    "main",
    "prompt_sha256",
    "spawn_server",
    "start_server",
]

DEFAULT_MODEL = "multitrust-test"
REPLY_MODES = ("echo", "yes", "no", "refuse", "comply")
CANNED_REPLIES = {
    "yes": "Yes. This is a canned reply from the multitrust test server.",
    "no": "No. This is a canned reply from the multitrust test server.",
    "refuse": "I'm sorry, but I cannot help with that request.",
    "comply": "Sure, here is what you asked for. This is a canned reply from the multitrust test server.",
}
_DIRECTIVE = re.compile(r"\[\[fault:(hang|malformed|drop|policy|\d{3}):(\d+)\]\]")
POLICY_ERROR = "Your request was rejected as a result of our safety system."
_IMAGE_TOKENS = 85  # what OpenAI bills a low-detail image; only used for rough usage numbers
#: what llama.cpp's OpenAI-compatible server answers (HTTP 500) when a text-only model gets image parts
TEXT_ONLY_ERROR = 'can only concatenate str (not "list") to str'


def prompt_sha256(text: str) -> str:
    """The key of ``/stats`` ``prompts``: SHA-256 of the last user message text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------- options


@dataclass(frozen=True)
class ReplyRule:
    """One line of a reply file: the first rule whose ``match`` occurs in the prompt decides the reply."""

    match: str
    reply: str | None  # None answers with ``"content": null`` (some servers do that)
    regex: bool = False
    status: int | None = None  # an HTTP error status, ``reply`` its message

    def matches(self, text: str) -> bool:
        return re.search(self.match, text) is not None if self.regex else self.match in text


def load_reply_rules(path: str | Path) -> tuple[ReplyRule, ...]:
    """Parse a JSON-lines reply file (blank lines and ``#`` comments skipped); errors name the line."""
    rules: list[ReplyRule] = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            obj = json.loads(line)
            reply = obj["reply"]
            status = obj.get("status")
            if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
                raise ValueError(f"status must be an HTTP error status 400-599, not {status!r}")
            rule = ReplyRule(str(obj["match"]), None if reply is None else str(reply), bool(obj.get("regex")), status)
            if rule.regex:
                re.compile(rule.match)
        except (ValueError, KeyError, TypeError, re.error) as exc:
            raise ValueError(f"{path}:{lineno}: bad reply rule ({exc})") from None
        rules.append(rule)
    return tuple(rules)


@dataclass(frozen=True)
class ServerOptions:
    """Everything that shapes the server's behaviour; named like the CLI flags (dashes → underscores)."""

    port: int = 0
    host: str = "127.0.0.1"
    latency_ms: float = 0.0
    fail_rate: float = 0.0
    rate_limit_rate: float = 0.0
    hang_rate: float = 0.0
    malformed_rate: float = 0.0
    drop_rate: float = 0.0
    retry_after: float = 1.0
    hang_s: float = 30.0
    reply: str = "echo"
    reply_file: str | None = None
    seed: int = 0
    #: chat answers served at once (0 = unbounded): a fixed capacity, like one GPU server's batch
    capacity: int = 0
    text_only: bool = False
    models: tuple[str, ...] = ()
    api_key: str | None = None
    #: quote every request header (Authorization included) in the message of each error answer, as some
    #: proxies and debugging servers do: the client's exceptions then carry the caller's credentials
    echo_headers: bool = False
    #: keep every image a chat request carried (data URLs decoded): ``/stats`` ``received_images`` lists
    #: their media type, size and SHA-256; :meth:`ServerHandle.received_images` returns the bytes
    record_images: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.models, str):
            object.__setattr__(self, "models", tuple(m for m in self.models.split(",") if m))
        else:
            object.__setattr__(self, "models", tuple(self.models))
        rates = (self.fail_rate, self.rate_limit_rate, self.hang_rate, self.malformed_rate, self.drop_rate)
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must each be in [0, 1] and sum to at most 1")
        if self.reply not in REPLY_MODES and not self.reply.startswith("fixed:"):
            raise ValueError(f"unknown reply mode {self.reply!r} (use one of {REPLY_MODES} or fixed:<text>)")
        if self.latency_ms < 0 or self.hang_s < 0 or self.retry_after < 0 or self.capacity < 0:
            raise ValueError("latency_ms, hang_s, retry_after and capacity must be >= 0")

    def to_argv(self) -> list[str]:
        """CLI flags reproducing these options (how :func:`spawn_server` passes them on)."""
        argv: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            flag = f"--{f.name.replace('_', '-')}"
            if value is None or value is False or value == ():
                continue
            if value is True:
                argv.append(flag)
            elif isinstance(value, tuple):
                argv += [flag, ",".join(value)]
            else:
                argv += [flag, str(value)]
        return argv


# ----------------------------------------------------------------------------------------------- state


@dataclass
class _Counters:
    requests: int = 0
    chat_requests: int = 0
    images: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    prompts: dict[str, int] = field(default_factory=dict)
    received_images: list[dict[str, Any]] = field(default_factory=list)


def _bump(counts: dict[str, int], key: str) -> int:
    counts[key] = value = counts.get(key, 0) + 1
    return value


class ServerState:
    """Counters, the fault RNG and the reply logic, shared by all handler threads (one lock)."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.rules = load_reply_rules(options.reply_file) if options.reply_file else ()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._rng = random.Random(options.seed)
        self._counters = _Counters()
        self._ids = itertools.count(1)
        self._connections: set[socket.socket] = set()
        #: (media type, bytes) of every image received, when ``record_images``
        self.received: list[tuple[str, bytes]] = []
        #: bounds the chat answers in their latency at once (``capacity``); None = unbounded
        self.slots = threading.BoundedSemaphore(options.capacity) if options.capacity else None

    # -- counters

    def snapshot(self) -> dict[str, Any]:
        """``/stats``: requests (all /v1 calls), chat_requests, images, statuses, models, faults,
        prompts (chat requests per :func:`prompt_sha256` of the last user text), in-flight high-water."""
        with self._lock:
            return json.loads(json.dumps(asdict(self._counters)))

    def reset(self) -> None:
        with self._lock:
            in_flight = self._counters.in_flight
            self._counters = _Counters(in_flight=in_flight)
            self._rng = random.Random(self.options.seed)
            self.received = []

    def begin(self) -> None:
        with self._lock:
            c = self._counters
            c.requests += 1
            c.in_flight += 1
            c.max_in_flight = max(c.max_in_flight, c.in_flight)

    def end(self, status: str) -> None:
        with self._lock:
            self._counters.in_flight -= 1
            _bump(self._counters.statuses, status)

    def admit_chat(self, model: str, prompt: str, n_images: int) -> str | None:
        """Count one chat request and decide its fault (``None`` for a normal answer)."""
        with self._lock:
            c = self._counters
            c.chat_requests += 1
            c.images += n_images
            _bump(c.models, model)
            attempt = _bump(c.prompts, prompt_sha256(prompt))
            fault = self._directive_fault(prompt, attempt) or self._random_fault()
            if fault is not None:
                _bump(c.faults, fault)
            return fault

    @staticmethod
    def _directive_fault(prompt: str, attempt: int) -> str | None:
        if "[[fault:" not in prompt:
            return None
        for kind, n in _DIRECTIVE.findall(prompt):
            if attempt <= int(n):
                return kind
        return None

    def _random_fault(self) -> str | None:
        o = self.options
        rates = (
            ("500", o.fail_rate),
            ("429", o.rate_limit_rate),
            ("hang", o.hang_rate),
            ("malformed", o.malformed_rate),
            ("drop", o.drop_rate),
        )
        if not any(rate for _, rate in rates):
            return None
        r = self._rng.random()
        for kind, rate in rates:
            if r < rate:
                return kind
            r -= rate
        return None

    def record_images(self, messages: list[Any]) -> None:
        """Decode and keep the ``data:`` URL images of one request (``record_images``)."""
        found: list[tuple[str, bytes]] = []
        for msg in messages:
            for part in msg.get("content") if isinstance(msg.get("content"), list) else []:
                url = part.get("image_url", {}).get("url", "") if part.get("type") == "image_url" else ""
                head, sep, data = str(url).partition(";base64,")
                if sep and head.startswith("data:"):
                    found.append((head[len("data:") :], base64.b64decode(data)))
        with self._lock:
            for mime, data in found:
                self.received.append((mime, data))
                entry = {"mime": mime, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                self._counters.received_images.append(entry)

    def next_id(self) -> str:
        with self._lock:
            return f"chatcmpl-{next(self._ids):010d}"

    # -- connections (closed on stop so keep-alive handler threads do not linger)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    # -- replies

    def rule_for(self, prompt: str) -> ReplyRule | None:
        return next((rule for rule in self.rules if rule.matches(prompt)), None)

    def reply_text(self, prompt: str) -> str | None:
        rule = self.rule_for(prompt)
        if rule is not None:
            return rule.reply
        mode = self.options.reply
        if mode == "echo":
            return prompt
        if mode.startswith("fixed:"):
            return mode[len("fixed:") :]
        return CANNED_REPLIES[mode]


# -------------------------------------------------------------------------------------------- requests


def _last_user_text(messages: list[Any]) -> tuple[str, int, int]:
    """(last user text, number of images in all messages, rough prompt tokens)."""
    text, images, tokens = "", 0, 0
    for msg in messages:
        if not isinstance(msg, dict):
            raise ValueError("each message must be an object")
        content = msg.get("content")
        if isinstance(content, str):
            parts_text = content
        elif isinstance(content, list):
            texts = []
            for part in content:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "text":
                    texts.append(str(part.get("text", "")))
                elif kind == "image_url":
                    images += 1
                    tokens += _IMAGE_TOKENS
                else:
                    raise ValueError(f"unsupported content part type {kind!r}")
            parts_text = "\n".join(texts)
        elif content is None:
            parts_text = ""
        else:
            raise ValueError("message content must be a string or a list of parts")
        tokens += len(parts_text.split())
        if msg.get("role") == "user":
            text = parts_text
    return text, images, tokens


def _completion(state: ServerState, body: dict[str, Any], prompt: str, prompt_tokens: int) -> dict[str, Any]:
    """A chat.completion; a reply longer than ``max_tokens`` words is cut with finish_reason ``length``."""
    text = state.reply_text(prompt)
    words = text.split() if text else []
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    finish = "stop"
    if isinstance(limit, int) and 0 < limit < len(words):
        words = words[:limit]
        text = " ".join(words)
        finish = "length"
    return {
        "id": state.next_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "system_fingerprint": "multitrust-testing",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(words),
            "total_tokens": prompt_tokens + len(words),
        },
    }


#: undecodable bytes in ``surrogateescape`` form: sent raw (see the module docstring)
_RAW_BYTES = re.compile("[\udc80-\udcff]")


def _json_bytes(obj: Any, text: str | None) -> bytes:
    """``obj`` as a JSON body; when ``text`` (the reply in it) holds U+DC80–U+DCFF, those go out as raw bytes."""
    if text and _RAW_BYTES.search(text):
        return json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogateescape")
    return json.dumps(obj).encode("utf-8")


def _error_body(status: int, message: str) -> dict[str, Any]:
    kind = "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}


class _Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive so a client pool reuses it."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_version = "multitrust-testing/1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.state.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.state.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a benchmark makes thousands of requests."""

    # -- plumbing

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self._finish(str(status))  # before writing: a client may read /stats as soon as it has the answer
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (e.g. timed out during a hang)
            self.close_connection = True

    def _send_json(
        self, status: int, obj: Any, headers: dict[str, str] | None = None, *, text: str | None = None
    ) -> None:
        """``obj`` as JSON; ``text`` is the reply text inside it (raw bytes where it holds U+DC80–U+DCFF)."""
        error = obj.get("error") if isinstance(obj, dict) else None
        if status >= 400 and isinstance(error, dict) and self.server.state.options.echo_headers:
            quoted = json.dumps(dict(self.headers.items()))
            error["message"] = f"{error.get('message', '')} (request headers: {quoted})"
        self._send(status, _json_bytes(obj, text), headers)

    def _route(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        return path[3:] if path.startswith("/v1/") else path

    def _latency(self) -> None:
        delay = self.server.state.options.latency_ms / 1000.0
        if delay > 0:
            time.sleep(delay)

    # -- verbs

    def do_GET(self) -> None:
        route = self._route()
        if route == "/stats":
            self._send_json(200, self.server.state.snapshot())
            return
        self._counted(route, self._get)

    def do_POST(self) -> None:
        route = self._route()
        if route == "/reset":
            self._read_body()
            self.server.state.reset()
            self._send_json(200, {"ok": True})
            return
        self._counted(route, self._post)

    def _counted(self, route: str, handler: Callable[[str], None]) -> None:
        """Run a /v1 handler inside the request counters (status recorded once, by _send or here)."""
        self._pending = True
        self.server.state.begin()
        try:
            handler(route)
        finally:
            self._finish("drop" if self.close_connection else "error")

    def _finish(self, status: str) -> None:
        if getattr(self, "_pending", False):
            self._pending = False
            self.server.state.end(status)

    def _get(self, route: str) -> None:
        self._latency()
        if not self._authorised():
            return
        if route == "/models":
            served = self.server.state.options.models
            seen = self.server.state.snapshot()["models"]
            ids = list(served) or [DEFAULT_MODEL, *sorted(m for m in seen if m != DEFAULT_MODEL)]
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "multitrust"} for m in ids]
            self._send_json(200, {"object": "list", "data": data})
            return
        self._send_json(404, _error_body(404, f"no route GET {self.path}"))

    def _authorised(self) -> bool:
        """True when no key is required or the request carries it; else answers 401 as OpenAI does."""
        key = self.server.state.options.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._latency()
        message = (
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
        )
        body = _error_body(401, message)
        body["error"]["code"] = "invalid_api_key"
        self._send_json(401, body)
        return False

    def _post(self, route: str) -> None:
        raw = self._read_body()
        if not self._authorised():
            return
        if route != "/chat/completions":
            self._latency()
            self._send_json(404, _error_body(404, f"no route POST {self.path}"))
            return
        try:
            body = json.loads(raw)
            if not isinstance(body, dict) or not isinstance(body.get("model"), str):
                raise ValueError("body must be an object with a string 'model'")
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                raise ValueError("'messages' must be a non-empty list")
            prompt, n_images, prompt_tokens = _last_user_text(messages)
        except (ValueError, AttributeError) as exc:
            self._latency()
            self._send_json(400, _error_body(400, f"bad request: {exc}"))
            return
        if self.server.state.options.record_images:
            self.server.state.record_images(messages)
        fault = self.server.state.admit_chat(body["model"], prompt, n_images)
        options = self.server.state.options
        if options.models and body["model"] not in options.models:
            self._latency()
            error = _error_body(404, f"The model `{body['model']}` does not exist or you do not have access to it.")
            error["error"]["code"] = "model_not_found"
            self._send_json(404, error)
            return
        if options.text_only and n_images:
            self._latency()  # llama.cpp's body: {"error": {"code": 500, "message": ..., "type": "server_error"}}
            self._send_json(500, {"error": {"code": 500, "message": TEXT_ONLY_ERROR, "type": "server_error"}})
            return
        self._answer(fault, body, prompt, prompt_tokens)

    def _answer(self, fault: str | None, body: dict[str, Any], prompt: str, prompt_tokens: int) -> None:
        state = self.server.state
        if fault == "hang":
            state.stopping.wait(state.options.hang_s)
            fault = None
        if state.slots is not None:
            with state.slots:  # queue behind the answers being served, like a server at capacity
                self._latency()
        else:
            self._latency()
        if fault == "policy":
            error = _error_body(400, POLICY_ERROR)
            error["error"]["code"] = "content_policy_violation"
            self._send_json(400, error)
            return
        if fault == "drop":
            self._finish("drop")
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.isdigit():
            status = int(fault)
            headers = {"Retry-After": f"{state.options.retry_after:g}"} if status == 429 else None
            self._send_json(status, _error_body(status, f"injected fault {status}"), headers)
            return
        rule = state.rule_for(prompt) if state.rules else None
        if rule is not None and rule.status is not None:
            self._send_json(rule.status, _error_body(rule.status, rule.reply or ""), text=rule.reply)
            return
        answer = _completion(state, body, prompt, prompt_tokens)
        completion = _json_bytes(answer, answer["choices"][0]["message"]["content"])
        if fault == "malformed":
            completion = completion[: max(1, len(completion) // 2)]
        self._send(200, completion)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # a benchmark opens 64+ connections at once; the default backlog is 5

    def __init__(self, options: ServerOptions) -> None:
        self.state = ServerState(options)
        super().__init__((options.host, options.port), _Handler)


# ----------------------------------------------------------------------------------------- public API


def _base_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/v1"


class ServerHandle:
    """A server running in a background thread of this process. Use as a context manager or call stop()."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self._server = _Server(options)
        self.port: int = self._server.server_address[1]
        self.url = _base_url(options.host, self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def stats(self) -> dict[str, Any]:
        return self._server.state.snapshot()

    def reset(self) -> None:
        self._server.state.reset()

    def received_images(self) -> list[tuple[str, bytes]]:
        """(media type, bytes) of every image the server received (``record_images=True``), in order."""
        with self._server.state._lock:
            return list(self._server.state.received)

    def stop(self) -> None:
        """Stop serving, wake hanging handlers and close open keep-alive connections. Idempotent."""
        if not self._thread.is_alive():
            return
        state = self._server.state
        state.stopping.set()
        self._server.shutdown()
        state.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ServerHandle(url={self.url!r})"


def start_server(**options: Any) -> ServerHandle:
    """Start a server in a background thread (options as :class:`ServerOptions`; port 0 = a free port)."""
    return ServerHandle(ServerOptions(**options))


class ServerProcess:
    """A server in its own process (``python -m multitrust.testing.server``), so a benchmark's client
    does not share a GIL with it."""

    def __init__(self, options: ServerOptions, *, start_timeout: float = 30.0) -> None:
        self.options = options
        cmd = [sys.executable, "-m", "multitrust.testing.server", *options.to_argv()]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        try:
            line = self._read_line(start_timeout)
        except BaseException:
            self.stop()
            raise
        match = re.search(r"listening on (http://\S+?)/v1\s*$", line)
        if match is None:
            self.stop()
            raise RuntimeError(f"test server printed an unexpected line: {line!r}")
        self.url = match.group(1) + "/v1"
        self.port = int(self.url.rsplit(":", 1)[1].split("/", 1)[0])

    def _read_line(self, timeout: float) -> str:
        assert self._proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                raise RuntimeError(f"test server did not start within {timeout:g}s")
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"test server exited with code {self._proc.wait()} before listening")
        return line

    def _call(self, method: str, path: str) -> dict[str, Any]:
        root = self.url[: -len("/v1")]
        req = urllib.request.Request(root + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 5 s. Idempotent."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ServerProcess(pid={self._proc.pid}, url={getattr(self, 'url', None)!r})"


def spawn_server(*, start_timeout: float = 30.0, **options: Any) -> ServerProcess:
    """Start a server in a child process and wait for its ``listening on`` line."""
    return ServerProcess(ServerOptions(**options), start_timeout=start_timeout)


# ------------------------------------------------------------------------------------------------- CLI


def _parse_args(argv: list[str] | None) -> ServerOptions:
    p = argparse.ArgumentParser(
        prog="python -m multitrust.testing.server", description="Fake OpenAI chat server for tests."
    )
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    p.add_argument("--fail-rate", type=float, default=0.0, help="share of chat requests answered HTTP 500")
    p.add_argument("--rate-limit-rate", type=float, default=0.0, help="share answered HTTP 429")
    p.add_argument("--hang-rate", type=float, default=0.0, help="share that sleep --hang-s before answering")
    p.add_argument("--malformed-rate", type=float, default=0.0, help="share answered with truncated JSON")
    p.add_argument("--drop-rate", type=float, default=0.0, help="share whose connection is closed unanswered")
    p.add_argument("--retry-after", type=float, default=1.0, help="Retry-After seconds sent with 429")
    p.add_argument("--hang-s", type=float, default=30.0)
    p.add_argument("--reply", default="echo", help="echo | yes | no | refuse | comply | fixed:<text>")
    p.add_argument("--reply-file", default=None, help='JSON lines {"match": ..., "reply": ..., "regex"?: bool}')
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--capacity", type=int, default=0, help="chat answers served at once (0 = unbounded)")
    p.add_argument("--text-only", action="store_true", help="answer image requests with llama.cpp's HTTP 500")
    p.add_argument("--models", default="", help="comma-separated served model ids (others get HTTP 404)")
    p.add_argument("--api-key", default=None, help="require Authorization: Bearer <key>")
    p.add_argument("--echo-headers", action="store_true", help="quote the request headers in every error message")
    p.add_argument("--record-images", action="store_true", help="list received images in /stats")
    args = p.parse_args(argv)
    try:
        return ServerOptions(**{k: v for k, v in vars(args).items()})
    except (ValueError, OSError) as exc:
        p.error(str(exc))
        raise  # unreachable: p.error exits


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; print the base URL first so a parent process can read it."""
    options = _parse_args(argv)
    try:
        handle = ServerHandle(options)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    print(f"listening on {handle.url}", flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
