"""Adapter for OpenAI and OpenAI-compatible chat endpoints (vLLM, TGI, llama.cpp server, ...).

Retries are done here rather than by the SDK (the client is built with ``max_retries=0``) so that each
retry is reported through ``on_retry``, counted in ``ModelReply.attempts``, and covers what the SDK does
not retry (malformed response bodies). Images are sent as base64 data URLs, encoded once per image
content hash: a benchmark pairs one image with many prompts.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import io
import json
import math
import os
import random
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.types import ImageRef, Message, ModelReply, Request
from multitrust.models.base import ChatModel

__all__ = ["OpenAIChatModel"]

_RETRYABLE_STATUS = frozenset({408, 409, 429})
_PLACEHOLDER_KEY = "EMPTY"
_MAX_REASON_CHARS = 300


class _Malformed(Exception):
    """The server answered 200 but the body is not a usable chat completion."""


class _Failure:
    """Why one attempt failed: a one-line reason, whether to retry, and the server's requested wait."""

    __slots__ = ("reason", "retry_after", "retryable")

    def __init__(self, reason: str, retryable: bool, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


def _one_line(text: str, limit: int = _MAX_REASON_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _redact_url(url: str | None) -> str | None:
    """Drop any ``user:password@`` from a URL so it can be recorded in provenance."""
    if not url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def parse_retry_after(headers: Any, cap: float) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, ``retry-after`` seconds or HTTP-date),
    clamped to ``[0, cap]``; None when absent or unparseable."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return _clamp(float(value) / 1000.0, cap)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return _clamp(float(value), cap)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return _clamp(when.timestamp() - time.time(), cap)


def _clamp(seconds: float, cap: float) -> float | None:
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)


# ------------------------------------------------------------------------------------------ images


def _encode_image(image: ImageRef, max_side: int | None) -> str:
    """A data URL for one image; downscaled (LANCZOS, aspect kept, re-encoded PNG) when larger than
    ``max_side``. Runs in a worker thread: decoding and resizing can take tens of milliseconds."""
    data = image.read_bytes()
    mime = image.mime
    if max_side is not None:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
            if max(w, h) > max_side:
                scale = max_side / max(w, h)
                size = (max(1, round(w * scale)), max(1, round(h * scale)))
                if im.mode not in ("L", "LA", "RGB", "RGBA"):
                    im = im.convert("RGBA" if "transparency" in im.info or "A" in im.mode else "RGB")
                out = io.BytesIO()
                im.resize(size, Image.Resampling.LANCZOS).save(out, format="PNG")
                data, mime = out.getvalue(), "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class _DataUrlCache:
    """LRU of data URLs keyed by image sha256, bounded in entries and characters. Concurrent requests for
    an image being encoded wait for that one encoding instead of starting their own."""

    def __init__(self, max_side: int | None, max_entries: int = 1024, max_chars: int = 256 << 20) -> None:
        self.max_side = max_side
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.encoded = 0  # how many encodings were done (tests assert reuse)
        self._urls: OrderedDict[str, str] = OrderedDict()
        self._chars = 0
        self._pending: dict[str, asyncio.Future[str]] = {}

    async def get(self, image: ImageRef) -> str:
        key = image.sha256
        url = self._urls.get(key)
        if url is not None:
            self._urls.move_to_end(key)
            return url
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(asyncio.to_thread(_encode_image, image, self.max_side))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        # shield: a cancelled caller must not cancel an encoding other requests wait for
        return await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Future[str]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled() and task.exception() is None:
            self.encoded += 1
            self._store(key, task.result())

    def _store(self, key: str, url: str) -> None:
        self._urls[key] = url
        self._chars += len(url)
        while self._urls and (len(self._urls) > self.max_entries or self._chars > self.max_chars):
            _, old = self._urls.popitem(last=False)
            self._chars -= len(old)


# ---------------------------------------------------------------------------------------- responses


def _parse_completion(raw: bytes, attempt: int) -> ModelReply:
    """A ModelReply from a chat.completion body; anything unusable raises _Malformed (retried)."""
    try:
        data = json.loads(raw)
        choice = data["choices"][0]
        text = choice["message"].get("content")
        finish_reason = choice.get("finish_reason")
    except ValueError as exc:
        raise _Malformed(f"body is not JSON ({exc})") from None
    except (AttributeError, IndexError, KeyError, TypeError) as exc:
        raise _Malformed(f"no choices[0].message in body ({type(exc).__name__}: {exc})") from None
    if text is not None and not isinstance(text, str):
        raise _Malformed(f"message content is {type(text).__name__}, not a string")
    usage = data.get("usage")
    usage_dict = None
    if isinstance(usage, dict):
        usage_dict = {
            "prompt_tokens": int(usage.get("prompt_tokens") or 0),
            "completion_tokens": int(usage.get("completion_tokens") or 0),
        }
    return ModelReply(text or "", finish_reason, usage_dict, attempt)


# ----------------------------------------------------------------------------------------- adapter


class OpenAIChatModel(ChatModel):
    """A chat model behind the OpenAI chat-completions API (``openai.AsyncOpenAI``, one client per model).

    ``max_retries`` counts retries, so a request is attempted at most ``max_retries + 1`` times. The API
    key lives in the SDK client (and a private copy used to scrub it from server error text); it is never
    part of ``describe()``, ``repr`` or error messages. ``on_retry`` gets the number of the attempt that
    just failed (1 before the second attempt).
    """

    default_concurrency = 32

    def __init__(
        self,
        model: str,
        *,
        spec: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 6,
        max_image_side: int | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        if max_retries < 0:
            raise SpecError(f"{spec}: max_retries must be >= 0, got {max_retries}")
        if max_image_side is not None and max_image_side < 1:
            raise SpecError(f"{spec}: max_image_side must be >= 1, got {max_image_side}")
        self.model = model
        self.spec = spec
        self.base_url = base_url
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.max_image_side = max_image_side
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.extra_body = dict(extra_body) if extra_body else None
        key = self._resolve_key(api_key, base_url, spec)
        self._secret = key if key != _PLACEHOLDER_KEY else None
        self._client = openai.AsyncOpenAI(api_key=key, base_url=base_url, timeout=self.timeout, max_retries=0)
        self._images = _DataUrlCache(max_image_side)
        self._jitter = random.Random()
        self._closed = False

    @staticmethod
    def _resolve_key(api_key: str | None, base_url: str | None, spec: str) -> str:
        """Explicit key > ``OPENAI_API_KEY`` (only for api.openai.com) > "EMPTY" for compat servers, which
        must never receive the user's OpenAI key."""
        if api_key:
            return api_key
        if base_url is not None:
            return _PLACEHOLDER_KEY
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            raise SpecError(f"{spec}: OPENAI_API_KEY is not set (export it, or give a base_url for a local server)")
        return key

    # -- provenance

    @property
    def images_encoded(self) -> int:
        """Number of image data URLs built so far (each image is encoded once while it stays cached)."""
        return self._images.encoded

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "model": self.model,
            "base_url": _redact_url(self.base_url),
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "max_image_side": self.max_image_side,
            "extra_body": self.extra_body,
        }

    def __repr__(self) -> str:
        url = _redact_url(self.base_url)
        return f"OpenAIChatModel(spec={self.spec!r}, model={self.model!r}, base_url={url!r})"

    # -- request building

    async def _content(self, message: Message) -> str | list[dict[str, Any]]:
        if not message.images:
            return message.text
        parts: list[dict[str, Any]] = []
        for image in message.images:
            parts.append({"type": "image_url", "image_url": {"url": await self._images.get(image)}})
        parts.append({"type": "text", "text": message.text})
        return parts

    async def _messages(self, request: Request) -> list[dict[str, Any]]:
        return [{"role": m.role, "content": await self._content(m)} for m in request.messages]

    # -- calling

    async def generate(self, request: Request) -> ModelReply:
        """Send one request, retrying transient failures; raise ModelCallError once they are spent."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": await self._messages(request),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if self.extra_body:
            body.update(self.extra_body)
        attempt = 0
        while True:
            attempt += 1
            try:
                return _parse_completion(await self._post(body), attempt)
            except Exception as exc:
                failure = self._classify(exc)
            if not failure.retryable:
                raise ModelCallError(self._message(failure.reason, attempt, final=False), attempts=attempt)
            if attempt > self.max_retries:
                raise ModelCallError(
                    self._message(failure.reason, attempt, final=True), attempts=attempt, retryable=True
                )
            if self.on_retry is not None:
                self.on_retry(request, attempt, failure.reason)
            await asyncio.sleep(self._delay(attempt, failure.retry_after))

    async def _post(self, body: dict[str, Any]) -> bytes:
        """POST /chat/completions through the SDK client (auth, timeouts, status → exception mapping) but
        without its typed-params transform and response model, which cost ~1 ms of CPU per request on
        image prompts; the body is parsed by :func:`_parse_completion` instead."""
        return await self._client.post("/chat/completions", cast_to=bytes, body=body)

    def _classify(self, exc: Exception) -> _Failure:
        """Map an exception from one attempt to a retry decision (the SDK's classes, then body errors)."""
        if isinstance(exc, openai.APITimeoutError):
            return _Failure(f"timed out after {self.timeout:g}s", True)
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            detail = f" ({type(cause).__name__})" if cause is not None else ""
            return _Failure(f"connection error{detail}", True)
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            retryable = status in _RETRYABLE_STATUS or status >= 500
            retry_after = parse_retry_after(exc.response.headers, self.backoff_max) if retryable else None
            return _Failure(f"HTTP {status}: {self._scrub(exc.message)}", retryable, retry_after)
        if isinstance(exc, (openai.APIResponseValidationError, _Malformed, json.JSONDecodeError)):
            return _Failure(f"malformed response: {self._scrub(str(exc))}", True)
        if isinstance(exc, ValueError):  # e.g. pydantic validation of a garbled body
            return _Failure(f"malformed response ({type(exc).__name__})", True)
        if isinstance(exc, openai.OpenAIError):
            return _Failure(f"{type(exc).__name__}: {self._scrub(str(exc))}", False)
        raise exc

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """The server's Retry-After when given, else ``backoff_base * 2**k`` (k = retries so far) with
        equal jitter, capped at ``backoff_max``."""
        if retry_after is not None:
            return retry_after
        exponent = min(attempt - 1, 60)
        delay = min(self.backoff_max, self.backoff_base * 2.0**exponent)
        return delay * (0.5 + 0.5 * self._jitter.random())

    def _scrub(self, text: str) -> str:
        text = _one_line(text)
        if self._secret and len(self._secret) >= 4:
            text = text.replace(self._secret, "***")
        return text

    def _message(self, reason: str, attempts: int, *, final: bool) -> str:
        where = _redact_url(self.base_url) or "api.openai.com"
        tail = f"gave up after {attempts} attempts" if final else "not retryable"
        return f"{self.model} @ {where}: {reason} ({tail})"

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.close()
