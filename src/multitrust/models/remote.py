"""What the adapters that call a chat API over HTTP share (:mod:`~multitrust.models.openai_api`,
:mod:`~multitrust.models.anthropic_api`), plus small helpers other modules reuse.

:class:`RemoteChatModel` does the retrying itself rather than leaving it to the SDK (clients are built
with ``max_retries=0``) so that each retry is reported through ``on_retry``, counted in
``ModelReply.attempts``, honours the server's ``retry-after`` / ``retry-after-ms``, and also covers bodies
the SDK cannot parse. Images are encoded once per image content hash (:class:`ImageCache`): a benchmark
pairs one image with many prompts. Importing this module imports no SDK.

Fail fast (:class:`FailFast`): what is transient is retried (connection errors, timeouts, 408/409/429,
502/503/504/529, any 5xx that carries ``Retry-After``, unreadable bodies). A deterministic error — a 4xx
other than those, or a 5xx without ``Retry-After`` that comes back with the same body when the request is
retried — that repeats on ``FAIL_FAST_AFTER`` distinct requests in a row, with no request of the same shape
(text, or with images) answered meanwhile, stops the endpoint for that shape: those requests fail at once
with that cause, without being sent (and one retried with an error other requests already had is not
retried again). Random 500s of a flaky server are retried as before: other requests keep succeeding. This
is what turns a text-only server answering every image request with the same HTTP 500 into a failure
found in seconds rather than hours of backoff. An endpoint that has never answered is stopped the same
way once ``FAIL_FAST_AFTER`` requests in a row spent all their retries failing to reach it (a dead port
with ``--no-preflight``); one that has answered before is never stopped for being unreachable, since an
outage may end.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import random
import re
import time
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence, Sized
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.text import well_formed
from multitrust.core.types import ImageRef, Message, ModelReply, Request
from multitrust.models.base import ChatModel, ImageHandling

__all__ = [
    "FAIL_FAST_AFTER",
    "FailFast",
    "Failure",
    "ImageCache",
    "MalformedResponse",
    "RemoteChatModel",
    "Stopped",
    "chat_messages",
    "data_url_cache",
    "encode_data_url",
    "one_line",
    "parse_retry_after",
    "redact_url",
    "remote_parts",
    "server_message",
    "with_image_side",
]

#: HTTP statuses retried besides 5xx
RETRYABLE_STATUS = frozenset({408, 409, 429})
#: 5xx statuses that mean "try again later" whatever the body: gateway errors, timeouts, overloaded
TRANSIENT_5XX = frozenset({502, 503, 504, 529})
#: distinct requests in a row that must fail with the same deterministic error before an endpoint is stopped
FAIL_FAST_AFTER = 3
#: error codes of a refusal of one request's content (a verdict on that prompt, not an endpoint failure):
#: never counted by fail fast, however often they repeat (jailbreak tasks are full of such prompts)
CONTENT_POLICY_CODES = frozenset({"content_policy_violation", "content_filter", "invalid_prompt"})
MAX_REASON_CHARS = 300
_USERINFO = re.compile(r"//[^/\s@]+@")

V = TypeVar("V", bound=Sized)


class MalformedResponse(Exception):
    """The server answered 200 but the body is not a usable reply."""


class Failure:
    """Why one attempt failed: a one-line reason, whether to retry, the server's requested wait, whether
    the same request would fail the same way again (``deterministic``: counted by :class:`FailFast`), and
    whether the server could not be reached or did not answer in time (``unreachable``)."""

    __slots__ = ("deterministic", "reason", "retry_after", "retryable", "unreachable")

    def __init__(
        self,
        reason: str,
        retryable: bool,
        retry_after: float | None = None,
        *,
        deterministic: bool = False,
        unreachable: bool = False,
    ) -> None:
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.deterministic = deterministic
        self.unreachable = unreachable


class Stopped:
    """An endpoint stopped for one request shape: the cause, the message every affected request fails
    with, and the distinct requests that failed with it (``count``)."""

    __slots__ = ("_requests", "cause", "message", "shape")

    def __init__(self, shape: str, cause: str, message: str, requests: set[str]) -> None:
        self.shape = shape
        self.cause = cause
        self.message = message
        self._requests = set(requests)

    def add(self, request_hash: str) -> None:
        self._requests.add(request_hash)

    @property
    def count(self) -> int:
        return len(self._requests)


class FailFast:
    """Per endpoint (one adapter) and request shape: the current run of distinct requests that failed with
    the same deterministic error; ``threshold`` of them in a row (no success of that shape in between)
    stops the shape. Transient failures neither extend nor break a run. Safe under asyncio (no awaits)."""

    def __init__(self, threshold: int = FAIL_FAST_AFTER) -> None:
        if threshold < 1:
            raise ValueError("fail-fast threshold must be >= 1")
        self.threshold = threshold
        self._runs: dict[str, tuple[str, set[str]]] = {}
        self._last_success: dict[str, float] = {}
        self.stopped: dict[str, Stopped] = {}

    def success(self, shape: str) -> None:
        self._runs.pop(shape, None)
        self._last_success[shape] = time.monotonic()

    @property
    def answered(self) -> bool:
        """Whether the endpoint has answered any request (of any shape) since the adapter was built."""
        return bool(self._last_success)

    def suspect(self, shape: str, reason: str, request_hash: str, since: float) -> bool:
        """Whether another request already had this error (confirmed) and none of the shape succeeded since
        ``since``: then retrying ``request_hash`` further is unlikely to help."""
        current = self._runs.get(shape)
        if current is None or current[0] != reason or not (current[1] - {request_hash}):
            return False
        return self._last_success.get(shape, -math.inf) < since

    def failure(
        self,
        shape: str,
        reason: str,
        request_hash: str,
        message: Callable[[str, int], str],
        since: float | None = None,
    ) -> Stopped | None:
        """Record one deterministic failure of a request that first failed at ``since`` (monotonic time;
        now when None); the :class:`Stopped` when the shape is (now) stopped. A failure does not count when
        a request of the same shape succeeded since: then the endpoint does serve such requests (a flaky
        server's 500s come in bursts, a text-only server never answers an image)."""
        stopped = self.stopped.get(shape)
        if stopped is not None:
            return stopped
        if since is not None and self._last_success.get(shape, -math.inf) >= since:
            return None
        current = self._runs.get(shape)
        if current is None or current[0] != reason:
            current = (reason, set())
            self._runs[shape] = current
        current[1].add(request_hash)
        if len(current[1]) < self.threshold:
            return None
        stopped = Stopped(shape, reason, message(reason, len(current[1])), current[1])
        self.stopped[shape] = stopped
        del self._runs[shape]
        return stopped


def _shape(request: Request) -> str:
    """What fail fast keeps apart: requests with images (a text-only server rejects them all) and text."""
    return "image" if any(m.images for m in request.messages) else "text"


def remote_parts(model: ChatModel) -> list[RemoteChatModel]:
    """The HTTP adapters behind a model: itself, or each replica of a replica pool; none for local ones."""
    if isinstance(model, RemoteChatModel):
        return [model]
    replicas = getattr(model, "replicas", None) or []
    return [r.model for r in replicas if isinstance(getattr(r, "model", None), RemoteChatModel)]


def one_line(text: object, limit: int = MAX_REASON_CHARS) -> str:
    """``text`` on one line (runs of whitespace become one space), cut to ``limit`` characters with "…";
    lone surrogates (a server's JSON may hold them) become U+FFFD so the store can hold the text."""
    text = " ".join(well_formed(str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def redact_url(url: str | None, *, drop_query: bool = False) -> str | None:
    """Drop any ``user:password@`` from a URL so it can be recorded in provenance; ``drop_query`` also
    drops the query and fragment (where keys like ``?key=`` live), keeping scheme, host and path only."""
    if not url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if drop_query:
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=netloc))


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


def server_message(exc: Any) -> str:
    """The server's own error message of an SDK status error (``{"error": {"message": ...}}`` as OpenAI,
    Anthropic and llama.cpp send it), else the SDK's ``message`` ("Error code: 500 - {...}")."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        for source in (body, inner if isinstance(inner, dict) else {}):
            message = source.get("message")
            if isinstance(message, str) and message.strip():
                return message
    return str(getattr(exc, "message", exc))


def _content_refusal(exc: Any) -> bool:
    """Whether a 4xx refuses this request's content (OpenAI ``content_policy_violation``, Azure's
    ``content_filter``) rather than every request."""
    body = getattr(exc, "body", None)
    inner = body.get("error") if isinstance(body, dict) else None
    codes = {getattr(exc, "code", None)}
    for source in (body, inner):
        if isinstance(source, dict):
            codes.add(source.get("code"))
    return any(isinstance(c, str) and c in CONTENT_POLICY_CODES for c in codes)


def _clamp(seconds: float, cap: float) -> float | None:
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)


# ------------------------------------------------------------------------------------------ images


def encode_data_url(image: ImageRef, max_side: int | None) -> str:
    """A data URL for one image: the file's bytes, or downscaled (LANCZOS, aspect kept, re-encoded PNG) when
    larger than ``max_side`` (see :func:`multitrust.models.images.data_url`)."""
    from multitrust.models.images import data_url

    return data_url(image, max_side).value


def with_image_side(spec: str, max_image_side: int | None) -> str:
    """The canonical spec of an adapter that downscales images: ``?max_image_side=N`` appended, because the
    model then sees other pixels and gives other answers, so the request hashes (cache keys) must differ."""
    return f"{spec}?max_image_side={max_image_side}" if max_image_side is not None else spec


def _data_url(image: ImageRef, max_side: int | None) -> Any:
    from multitrust.models.images import data_url

    return data_url(image, max_side)


class ImageCache(Generic[V]):
    """LRU of encoded images (``encode(image, max_side)``, run in a worker thread) keyed by image sha256,
    bounded in entries and, when ``max_chars`` is given, in the total ``len()`` of the values. Concurrent
    requests for an image being encoded wait for that one encoding instead of starting their own.

    ``encode`` returns a :class:`~multitrust.models.images.Encoded` (the value and how the image was
    handled); ``handled`` maps each ``how`` to the image digests it was applied to (what the run records)."""

    def __init__(
        self,
        encode: Callable[[ImageRef, int | None], Any],
        max_side: int | None,
        *,
        max_entries: int,
        max_chars: int | None = None,
    ) -> None:
        self.encode = encode
        self.max_side = max_side
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.encoded = 0  # how many encodings were done (tests assert reuse)
        self.handled: dict[str, set[str]] = {}
        self._values: OrderedDict[str, V] = OrderedDict()
        self._chars = 0
        self._pending: dict[str, asyncio.Future[Any]] = {}

    async def get(self, image: ImageRef) -> V:
        key = image.sha256
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
            return value
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(asyncio.to_thread(self.encode, image, self.max_side))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        # shield: a cancelled caller must not cancel an encoding other requests wait for
        return (await asyncio.shield(task)).value  # type: ignore[no-any-return]

    def _finished(self, key: str, task: asyncio.Future[Any]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled() and task.exception() is None:
            self.encoded += 1
            value, how = task.result()
            self.handled.setdefault(how, set()).add(key)
            self._store(key, value)

    def _store(self, key: str, value: V) -> None:
        self._values[key] = value
        max_chars = self.max_chars
        if max_chars is not None:
            self._chars += len(value)
        while self._values and (
            len(self._values) > self.max_entries or (max_chars is not None and self._chars > max_chars)
        ):
            _, old = self._values.popitem(last=False)
            if max_chars is not None:
                self._chars -= len(old)


def data_url_cache(max_side: int | None) -> ImageCache[str]:
    """The cache of image data URLs used by the OpenAI-format adapters (OpenAI API and vLLM)."""
    return ImageCache(_data_url, max_side, max_entries=1024, max_chars=256 << 20)


async def chat_messages(messages: Sequence[Message], images: ImageCache[str]) -> list[dict[str, Any]]:
    """Chat turns in the OpenAI format: a turn with images becomes data-URL ``image_url`` parts, then its text."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if not m.images:
            out.append({"role": m.role, "content": m.text})
            continue
        parts: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": await images.get(image)}} for image in m.images
        ]
        parts.append({"type": "text", "text": m.text})
        out.append({"role": m.role, "content": parts})
    return out


# ----------------------------------------------------------------------------------------- adapter


class RemoteChatModel(ChatModel):
    """A chat model behind an HTTP API reached through an async SDK client.

    ``max_retries`` counts retries, so a request is attempted at most ``max_retries + 1`` times;
    ``on_retry`` gets the number of the attempt that just failed (1 before the second attempt). The API
    key lives in the SDK client (and ``_secret``, a private copy used to scrub it from server error text);
    it is never part of ``describe()``, ``repr`` or error messages.

    Subclasses set ``_client``, ``_secret`` and ``_images`` in their constructor, name the host errors
    mention when there is no ``base_url`` (``default_host``) and the SDK whose exception classes
    :meth:`_classify` maps (``_sdk``, ``_sdk_error``), and implement :meth:`_prepare` and :meth:`_attempt`.
    """

    default_host: str = ""
    #: the SDK module (``openai``, ``anthropic``: the same exception hierarchy) and its base exception
    _sdk: Any = None
    _sdk_error: type[Exception] = Exception
    _client: Any
    _secret: str | None
    _images: ImageCache[Any]

    def __init__(
        self,
        model: str,
        *,
        spec: str,
        label: str,
        base_url: str | None,
        timeout: float,
        max_retries: int,
        max_image_side: int | None,
        backoff_base: float,
        backoff_max: float,
    ) -> None:
        if max_retries < 0:
            raise SpecError(f"{label}: max_retries must be >= 0, got {max_retries}")
        if max_image_side is not None and max_image_side < 1:
            raise SpecError(f"{label}: max_image_side must be >= 1, got {max_image_side}")
        self.model = model
        self.spec = with_image_side(spec, max_image_side)
        self.base_url = base_url
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.max_image_side = max_image_side
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self._jitter = random.Random()
        self._closed = False
        self.fail_fast = FailFast()

    # -- provenance

    @property
    def images_encoded(self) -> int:
        """Number of images encoded so far (each image is encoded once while it stays cached)."""
        return self._images.encoded

    def image_handling(self) -> ImageHandling | None:
        handled = self._images.handled
        images = {how: sorted(digests) for how, digests in handled.items()}
        return {"max_image_side": self.max_image_side, "images": images} if images else None

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "model": self.model,
            "base_url": redact_url(self.base_url),
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "max_image_side": self.max_image_side,
        }

    def __repr__(self) -> str:
        url = redact_url(self.base_url)
        return f"{type(self).__name__}(spec={self.spec!r}, model={self.model!r}, base_url={url!r})"

    # -- calling

    @abstractmethod
    async def _prepare(self, request: Request) -> Any:
        """The request body, built once (images encoded) and sent on every attempt."""

    @abstractmethod
    async def _attempt(self, body: Any, attempt: int) -> ModelReply:
        """One call: the reply, or an exception that :meth:`_classify` maps to a retry decision."""

    @property
    def endpoint(self) -> str:
        """Where requests go, for messages: the base URL without credentials (the client's own when none was
        given: the SDKs read ``OPENAI_BASE_URL`` / ``ANTHROPIC_BASE_URL``), or the API's host."""
        url = self.base_url or str(getattr(getattr(self, "_client", None), "base_url", "") or "")
        return redact_url(url, drop_query=True) or self.default_host

    def stopped(self) -> list[Stopped]:
        """The request shapes this endpoint stopped serving (fail fast), with their causes and counts."""
        return list(self.fail_fast.stopped.values())

    def confirm_failure(self, request: Request, cause: str, since: float | None = None) -> Stopped | None:
        """Count a deterministic failure of ``request`` (first failed at ``since``) for fail fast (a replica
        pool calls this when two of its replicas gave one request the same error); the :class:`Stopped`
        once its kind is stopped."""
        return self.fail_fast.failure(_shape(request), cause, request.hash, self._stop_message, since)

    def suspects(self, request: Request, cause: str, since: float) -> bool:
        """Whether retrying ``request`` after ``cause`` is unlikely to help (see :meth:`FailFast.suspect`)."""
        return self.fail_fast.suspect(_shape(request), cause, request.hash, since)

    def refuses(self, request: Request) -> bool:
        """Whether fail fast stopped the kind of request this is (a replica pool routes it elsewhere)."""
        return _shape(request) in self.fail_fast.stopped

    def _refuse(self, stopped: Stopped, request: Request, attempts: int) -> ModelCallError:
        """The error of a request of a stopped shape (retryable: another replica may serve it; a later run
        sends it again)."""
        stopped.add(request.hash)
        return ModelCallError(stopped.message, attempts=attempts, retryable=True, cause=stopped.cause)

    async def generate(self, request: Request) -> ModelReply:
        """Send one request, retrying transient failures; raise ModelCallError once they are spent, at once
        for a non-retryable error, and without sending anything once :class:`FailFast` stopped the shape."""
        shape = _shape(request)
        stopped = self.fail_fast.stopped.get(shape)
        if stopped is not None:
            raise self._refuse(stopped, request, 0)
        body = await self._prepare(request)
        attempt = 0
        last_deterministic: str | None = None
        first_failed: float | None = None  # when this request first failed with a deterministic error
        while True:
            attempt += 1
            try:
                reply = await self._attempt(body, attempt)
            except Exception as exc:
                failure = self._classify(exc)
            else:
                self.fail_fast.success(shape)
                return reply
            cause = failure.reason if failure.deterministic else None
            # counted once confirmed: a 4xx at once, a 5xx when the same request got the same body twice
            # (a flaky server's random 500s rarely hit one request twice; a text-only server's always do)
            if cause is not None and first_failed is None:
                first_failed = time.monotonic()
            if cause is not None and (not failure.retryable or cause == last_deterministic):
                stopped = self.confirm_failure(request, cause, first_failed)
                if stopped is not None:
                    raise self._refuse(stopped, request, attempt)
            if not failure.retryable:
                raise ModelCallError(self._message(failure.reason, attempt, final=False), attempts=attempt, cause=cause)
            if (
                cause is not None
                and cause == last_deterministic
                and first_failed is not None
                and self.fail_fast.suspect(shape, cause, request.hash, first_failed)
            ):
                raise ModelCallError(
                    self._message(
                        failure.reason, attempt, final=True, tail="the same error as other requests; not retried again"
                    ),
                    attempts=attempt,
                    retryable=True,
                    cause=cause,
                )
            if attempt > self.max_retries:
                if failure.unreachable and not self.fail_fast.answered:
                    # retries spent on an endpoint that has not answered once: after FAIL_FAST_AFTER such
                    # requests in a row it is taken as down (a dead port, a wrong host), not as an outage
                    # of a server that was serving; the rest fail at once instead of each backing off again
                    stopped = self.confirm_failure(request, failure.reason, None)
                    if stopped is not None:
                        raise self._refuse(stopped, request, attempt)
                raise ModelCallError(
                    self._message(failure.reason, attempt, final=True), attempts=attempt, retryable=True, cause=cause
                )
            last_deterministic = failure.reason if failure.deterministic else None
            if self.on_retry is not None:
                self.on_retry(request, attempt, failure.reason)
            await asyncio.sleep(self._delay(attempt, failure.retry_after))
            stopped = self.fail_fast.stopped.get(shape)
            if stopped is not None:  # another request stopped the endpoint while this one waited
                raise self._refuse(stopped, request, attempt)

    async def probe(self, request: Request, *, attempts: int = 3) -> ModelReply:
        """One request for a preflight check: transient failures are retried (at most ``attempts`` tries),
        but an unreachable server and a deterministic error fail at once (a 5xx without ``Retry-After``
        gets one more try), with the server's own message. Not counted by fail fast."""
        body = await self._prepare(request)
        last: str | None = None
        for attempt in range(1, attempts + 1):
            try:
                return await self._attempt(body, attempt)
            except Exception as exc:
                failure = self._classify(exc)
            final = (
                failure.unreachable
                or not failure.retryable
                or attempt == attempts
                or (failure.deterministic and failure.reason == last)
            )
            if final:
                raise ModelCallError(failure.reason, attempts=attempt, retryable=failure.retryable)
            last = failure.reason if failure.deterministic else None
            await asyncio.sleep(self._delay(attempt, failure.retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    async def list_model_ids(self) -> list[str] | None:
        """The model ids the endpoint says it serves, or None when it has no such listing."""
        return None

    def _classify(self, exc: Exception) -> Failure:
        """Map an exception from one attempt to a retry decision (the SDK's classes, then body errors);
        anything else is raised as it is."""
        sdk = self._sdk
        if isinstance(exc, sdk.APITimeoutError):
            return Failure(f"timed out after {self.timeout:g}s", True, unreachable=True)
        if isinstance(exc, sdk.APIConnectionError):
            return self._connection_failure(exc)
        if isinstance(exc, sdk.APIStatusError):
            return self._status_failure(exc.status_code, exc.response.headers, exc)
        if isinstance(exc, (sdk.APIResponseValidationError, MalformedResponse, json.JSONDecodeError)):
            return Failure(f"malformed response: {self._scrub(str(exc))}", True)
        if isinstance(exc, ValueError):  # e.g. pydantic validation of a garbled body
            return Failure(f"malformed response ({type(exc).__name__})", True)
        if isinstance(exc, self._sdk_error):
            return Failure(f"{type(exc).__name__}: {self._scrub(str(exc))}", False)
        raise exc

    def _status_failure(self, status: int, headers: Any, exc: Any) -> Failure:
        """The retry decision for an HTTP error answer (``exc`` carries ``body``/``message``/``code`` as the
        SDKs' status errors do; the lean HTTP client's :class:`~multitrust.models.http1.HTTPStatusError` too)."""
        reason = f"HTTP {status}: {self._scrub(server_message(exc))}"
        if status in RETRYABLE_STATUS:
            return Failure(reason, True, parse_retry_after(headers, self.backoff_max))
        if status >= 500:
            retry_after = parse_retry_after(headers, self.backoff_max)
            # a 5xx without Retry-After may be the server's answer to this request (llama.cpp's text-only
            # server answers every image request with the same 500): retried, but counted by fail fast
            transient = retry_after is not None or status in TRANSIENT_5XX
            return Failure(reason, True, retry_after, deterministic=not transient)
        return Failure(reason, False, deterministic=not _content_refusal(exc))

    def _connection_failure(self, exc: BaseException) -> Failure:
        """A connection that failed (refused, reset, closed early): the cause's type and text, scrubbed."""
        cause = exc.__cause__ or exc.__context__
        detail = ""
        if cause is not None:
            text = self._scrub(str(cause), limit=120)
            detail = f" ({type(cause).__name__}: {text})" if text else f" ({type(cause).__name__})"
        return Failure(f"connection error{detail}", True, unreachable=True)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """The server's Retry-After when given, else ``backoff_base * 2**k`` (k = retries so far) with
        equal jitter, capped at ``backoff_max``."""
        if retry_after is not None:
            return retry_after
        exponent = min(attempt - 1, 60)
        delay = min(self.backoff_max, self.backoff_base * 2.0**exponent)
        return delay * (0.5 + 0.5 * self._jitter.random())

    def _scrub(self, text: str, limit: int = MAX_REASON_CHARS) -> str:
        """One line, without the key and without any ``user:password@`` of a URL the text quotes."""
        from multitrust.core.redact import scrub_secrets, secret_forms

        text = _USERINFO.sub("//", " ".join(str(text).split()))  # before cutting: a cut key is a leaked prefix
        if self._secret and len(self._secret) >= 4:
            for form in sorted(secret_forms(self._secret) | {self._secret}, key=len, reverse=True):
                text = text.replace(form, "***")
        return one_line(scrub_secrets(text), limit)

    def _message(self, reason: str, attempts: int, *, final: bool, tail: str | None = None) -> str:
        tail = tail or (f"gave up after {attempts} attempt{'' if attempts == 1 else 's'}" if final else "not retryable")
        return f"{self.model} @ {self.endpoint}: {reason} ({tail})"

    def _stop_message(self, reason: str, n: int) -> str:
        return (
            f"{self.model} @ {self.endpoint}: {reason} (the same error on {n} requests in a row: "
            f"stopped sending requests of this kind)"
        )

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.close()
