"""Adapter for the Anthropic Messages API (``anthropic:<model>``) with the official async SDK.

Same approach as :mod:`multitrust.models.openai_api`: the SDK client is built with ``max_retries=0`` and
this adapter retries itself, so every retry is reported through ``on_retry``, counted in
``ModelReply.attempts``, honours the server's ``retry-after`` / ``retry-after-ms``, and also covers bodies
the SDK cannot parse. Images go as base64 ``image`` blocks, encoded once per image content hash (a
benchmark pairs one image with many prompts); formats the API does not take (BMP, TIFF, ...) and images
over its size limit are re-encoded. The API key lives only in the SDK client and a private copy used to
scrub it from error text; it is never in ``describe()``, ``repr`` or error messages.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import random
from collections import OrderedDict
from typing import Any

import anthropic

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.types import ImageRef, Message, ModelReply, Request
from multitrust.models.base import ChatModel
from multitrust.models.openai_api import _redact_url, parse_retry_after

__all__ = ["AnthropicChatModel", "encode_image_block"]

_RETRYABLE_STATUS = frozenset({408, 409, 429})
_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
#: the API rejects base64 images over 5 MB; stay under it with some margin
_MAX_IMAGE_BYTES = 3_700_000
#: the long side the API itself scales larger images down to
_DOWNSCALE_SIDE = 1568
_STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "refusal": "content_filter"}


class _Malformed(Exception):
    """The server answered 200 but the body is not a usable message."""


class _Failure:
    __slots__ = ("reason", "retry_after", "retryable")

    def __init__(self, reason: str, retryable: bool, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def encode_image_block(image: ImageRef, max_side: int | None = None) -> dict[str, Any]:
    """An Anthropic ``image`` content block. The file's bytes are sent as they are when the API accepts
    the format and size; otherwise the image is downscaled / re-encoded (PNG, or JPEG for large photos)."""
    data = image.read_bytes()
    mime = image.mime
    too_big = len(data) > _MAX_IMAGE_BYTES
    if mime in _MEDIA_TYPES and not too_big and max_side is None:
        return _block(mime, data)
    from PIL import Image

    limit = min(max_side or _DOWNSCALE_SIDE, _DOWNSCALE_SIDE) if too_big else max_side
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        if mime in _MEDIA_TYPES and not too_big and (limit is None or max(im.size) <= limit):
            return _block(mime, data)
        if limit is not None and max(im.size) > limit:
            scale = limit / max(im.size)
            im = im.resize(
                (max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.Resampling.LANCZOS
            )
        if im.mode not in ("L", "LA", "RGB", "RGBA"):
            im = im.convert("RGBA" if "transparency" in im.info or "A" in im.mode else "RGB")
        out = io.BytesIO()
        im.save(out, format="PNG")
        if out.tell() > _MAX_IMAGE_BYTES:  # a large photo: JPEG keeps it under the limit
            out = io.BytesIO()
            im.convert("RGB").save(out, format="JPEG", quality=90)
            return _block("image/jpeg", out.getvalue())
        return _block("image/png", out.getvalue())


def _block(mime: str, data: bytes) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": mime, "data": base64.b64encode(data).decode()}}


class _BlockCache:
    """Image blocks by image sha256 (LRU, bounded); concurrent requests for one image share one encoding."""

    def __init__(self, max_side: int | None, max_entries: int = 512) -> None:
        self.max_side = max_side
        self.max_entries = max_entries
        self.encoded = 0
        self._blocks: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}

    async def get(self, image: ImageRef) -> dict[str, Any]:
        key = image.sha256
        block = self._blocks.get(key)
        if block is not None:
            self._blocks.move_to_end(key)
            return block
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(asyncio.to_thread(encode_image_block, image, self.max_side))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Future[dict[str, Any]]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled() and task.exception() is None:
            self.encoded += 1
            self._blocks[key] = task.result()
            while len(self._blocks) > self.max_entries:
                self._blocks.popitem(last=False)


def _parse_message(message: Any, attempt: int) -> ModelReply:
    try:
        blocks = message.content
        text = "".join(getattr(b, "text", "") or "" for b in blocks if getattr(b, "type", None) == "text")
        stop = message.stop_reason
    except (AttributeError, TypeError) as exc:
        raise _Malformed(f"no content blocks in body ({type(exc).__name__})") from None
    if not isinstance(blocks, list):
        raise _Malformed("content is not a list of blocks")
    usage = None
    raw_usage = getattr(message, "usage", None)
    if raw_usage is not None:
        usage = {
            "prompt_tokens": int(getattr(raw_usage, "input_tokens", 0) or 0),
            "completion_tokens": int(getattr(raw_usage, "output_tokens", 0) or 0),
        }
    return ModelReply(text, _STOP_REASONS.get(str(stop), stop), usage, attempt)


class AnthropicChatModel(ChatModel):
    """A Claude model behind the Messages API. ``max_retries`` counts retries (at most ``max_retries + 1``
    attempts); ``on_retry`` gets the number of the attempt that just failed. System turns go to the
    ``system`` parameter, as the API requires. ``send_temperature=False`` leaves the temperature to the
    API's default, for models that reject the parameter."""

    default_concurrency = 16

    def __init__(
        self,
        model: str,
        *,
        spec: str | None = None,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 6,
        max_image_side: int | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        send_temperature: bool = True,
    ) -> None:
        if max_retries < 0:
            raise SpecError(f"anthropic:{model}: max_retries must be >= 0, got {max_retries}")
        if max_image_side is not None and max_image_side < 1:
            raise SpecError(f"anthropic:{model}: max_image_side must be >= 1, got {max_image_side}")
        if not api_key:
            raise SpecError(f"anthropic:{model}: no API key (set ANTHROPIC_API_KEY)")
        self.model = model
        self.spec = spec or f"anthropic:{model}"
        self.base_url = base_url
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.max_image_side = max_image_side
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.send_temperature = bool(send_temperature)
        self._secret = api_key
        self._client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, timeout=self.timeout, max_retries=0)
        self._images = _BlockCache(max_image_side)
        self._jitter = random.Random()
        self._closed = False

    @property
    def images_encoded(self) -> int:
        return self._images.encoded

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "model": self.model,
            "base_url": _redact_url(self.base_url),
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "max_image_side": self.max_image_side,
            "send_temperature": self.send_temperature,
        }

    def __repr__(self) -> str:
        return f"AnthropicChatModel(spec={self.spec!r}, model={self.model!r}, base_url={_redact_url(self.base_url)!r})"

    async def _content(self, message: Message) -> str | list[dict[str, Any]]:
        if not message.images:
            return message.text
        parts = [await self._images.get(image) for image in message.images]
        parts.append({"type": "text", "text": message.text})
        return parts

    async def _body(self, request: Request) -> dict[str, Any]:
        system = "\n\n".join(m.text for m in request.messages if m.role == "system")
        turns = [{"role": m.role, "content": await self._content(m)} for m in request.messages if m.role != "system"]
        body: dict[str, Any] = {"model": self.model, "max_tokens": request.max_tokens, "messages": turns}
        if system:
            body["system"] = system
        if self.send_temperature:
            # through extra_body: recent SDKs dropped the typed ``temperature`` argument, the API still takes it
            body["extra_body"] = {"temperature": request.temperature}
        return body

    async def generate(self, request: Request) -> ModelReply:
        """Send one request, retrying transient failures; raise ModelCallError once they are spent."""
        try:
            body = await self._body(request)
        except OSError as exc:
            raise ModelCallError(f"{self.model}: cannot read image: {_one_line(str(exc))}") from exc
        attempt = 0
        while True:
            attempt += 1
            try:
                return _parse_message(await self._client.messages.create(**body), attempt)
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

    def _classify(self, exc: Exception) -> _Failure:
        if isinstance(exc, anthropic.APITimeoutError):
            return _Failure(f"timed out after {self.timeout:g}s", True)
        if isinstance(exc, anthropic.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            detail = f" ({type(cause).__name__})" if cause is not None else ""
            return _Failure(f"connection error{detail}", True)
        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            retryable = status in _RETRYABLE_STATUS or status >= 500  # 529 = overloaded
            retry_after = parse_retry_after(exc.response.headers, self.backoff_max) if retryable else None
            return _Failure(f"HTTP {status}: {self._scrub(exc.message)}", retryable, retry_after)
        if isinstance(exc, (anthropic.APIResponseValidationError, _Malformed, json.JSONDecodeError)):
            return _Failure(f"malformed response: {self._scrub(str(exc))}", True)
        if isinstance(exc, ValueError):
            return _Failure(f"malformed response ({type(exc).__name__})", True)
        if isinstance(exc, anthropic.AnthropicError):
            return _Failure(f"{type(exc).__name__}: {self._scrub(str(exc))}", False)
        raise exc

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """The server's retry-after when given, else exponential backoff with equal jitter."""
        if retry_after is not None:
            return retry_after
        delay = min(self.backoff_max, self.backoff_base * 2.0 ** min(attempt - 1, 60))
        return delay * (0.5 + 0.5 * self._jitter.random())

    def _scrub(self, text: str) -> str:
        text = _one_line(text)
        if self._secret and len(self._secret) >= 4:
            text = text.replace(self._secret, "***")
        return text

    def _message(self, reason: str, attempts: int, *, final: bool) -> str:
        where = _redact_url(self.base_url) or "api.anthropic.com"
        tail = f"gave up after {attempts} attempts" if final else "not retryable"
        return f"{self.model} @ {where}: {reason} ({tail})"

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.close()
