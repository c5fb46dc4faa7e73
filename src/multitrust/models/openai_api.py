"""Adapter for OpenAI and OpenAI-compatible chat endpoints (vLLM, TGI, llama.cpp server, ...).

Retries are done by :class:`~multitrust.models.remote.RemoteChatModel` rather than by the SDK (the client
is built with ``max_retries=0``) so that each retry is reported through ``on_retry``, counted in
``ModelReply.attempts``, and covers what the SDK does not retry (malformed response bodies). Images are
sent as base64 data URLs, encoded once per image content hash: a benchmark pairs one image with many
prompts.

Two request paths, one behaviour: with a ``base_url`` (``openai-compat:``, vLLM, llama.cpp, ...) chat
requests go through the lean keep-alive client :class:`~multitrust.models.http1.OriginPool` (its CPU cost
per request does not grow with the requests in flight, the SDK's does); ``api.openai.com`` (no
``base_url``), a base URL with credentials in it, and one reached through an HTTP proxy
(``HTTP(S)_PROXY``) keep the SDK client. Both send the same body and ``Authorization``, and their errors
map to the same retry decisions (:meth:`OpenAIChatModel._classify`), ``GET /models`` (preflight) too.
The SDK is imported and its client built only when a request needs it: importing ``openai`` costs about
half a second of CPU, paid by every ``multitrust`` command that loads a model otherwise.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from multitrust import __version__
from multitrust.core.errors import SpecError
from multitrust.core.text import loads_json_body, well_formed
from multitrust.core.types import ModelReply, Request
from multitrust.models.http1 import HTTPStatusError, OriginPool, TransportError, TransportTimeout
from multitrust.models.remote import (
    Failure,
    MalformedResponse,
    RemoteChatModel,
    chat_messages,
    data_url_cache,
    parse_retry_after,
)

if TYPE_CHECKING:
    import openai

__all__ = ["OpenAIChatModel", "parse_retry_after"]

_PLACEHOLDER_KEY = "EMPTY"


# ---------------------------------------------------------------------------------------- responses


def _parse_completion(raw: bytes, attempt: int) -> ModelReply:
    """A ModelReply from a chat.completion body; anything unusable raises MalformedResponse (retried)."""
    try:
        data = loads_json_body(raw)
        choice = data["choices"][0]
        text = choice["message"].get("content")
        finish_reason = choice.get("finish_reason")
    except ValueError as exc:
        raise MalformedResponse(f"body is not JSON ({exc})") from None
    except (AttributeError, IndexError, KeyError, TypeError) as exc:
        raise MalformedResponse(f"no choices[0].message in body ({type(exc).__name__}: {exc})") from None
    if text is not None and not isinstance(text, str):
        raise MalformedResponse(f"message content is {type(text).__name__}, not a string")
    usage = data.get("usage")
    usage_dict = None
    if isinstance(usage, dict):
        usage_dict = {
            "prompt_tokens": int(usage.get("prompt_tokens") or 0),
            "completion_tokens": int(usage.get("completion_tokens") or 0),
        }
    return ModelReply(well_formed(text or ""), finish_reason, usage_dict, attempt)


# ----------------------------------------------------------------------------------------- adapter


class OpenAIChatModel(RemoteChatModel):
    """A chat model behind the OpenAI chat-completions API (``openai.AsyncOpenAI``, one client per model).
    Retries, ``max_retries``, ``on_retry`` and key handling are those of :class:`RemoteChatModel`."""

    default_concurrency = 32
    default_host = "api.openai.com"

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
        super().__init__(
            model,
            spec=spec,
            label=spec,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_image_side=max_image_side,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
        )
        self.extra_body = dict(extra_body) if extra_body else None
        key = self._resolve_key(api_key, base_url, spec)
        self._secret = key if key != _PLACEHOLDER_KEY else None
        self._key = key
        self._sdk_client: openai.AsyncOpenAI | None = None
        self._images = data_url_cache(max_image_side)
        self._lean: OriginPool | None = None
        if lean_path_applies(base_url):
            headers = {
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": f"multitrust/{__version__}",
                "Authorization": f"Bearer {key}",
            }
            self._lean = OriginPool(str(base_url), headers=headers)

    # -- the SDK, imported when first needed

    @property
    def _sdk(self) -> Any:  # type: ignore[override]
        import openai

        return openai

    @property
    def _sdk_error(self) -> type[Exception]:  # type: ignore[override]
        return self._sdk.OpenAIError

    @property
    def _client(self) -> openai.AsyncOpenAI:  # type: ignore[override]
        """The SDK client (built on first use: ``api.openai.com``, the SDK request path, ``endpoint``)."""
        if self._sdk_client is None:
            import openai

            self._sdk_client = openai.AsyncOpenAI(
                api_key=self._key, base_url=self.base_url, timeout=self.timeout, max_retries=0
            )
        return self._sdk_client

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

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "extra_body": self.extra_body}

    # -- request building

    async def _messages(self, request: Request) -> list[dict[str, Any]]:
        return await chat_messages(request.messages, self._images)

    async def _prepare(self, request: Request) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": await self._messages(request),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if self.extra_body:
            body.update(self.extra_body)
        return body

    # -- calling

    async def _attempt(self, body: dict[str, Any], attempt: int) -> ModelReply:
        return _parse_completion(await self._post(body), attempt)

    async def list_model_ids(self) -> list[str] | None:
        """``GET /models``: the ids the endpoint serves (OpenAI lists only models this key can use, so a
        shut-down model is absent). None when the server has no such route or answers something unreadable;
        errors such as a refused connection or a rejected key are raised (as :meth:`_classify` maps them)."""
        if self._lean is not None:
            try:
                _, _, raw = await self._lean.request("GET", "/models", None, timeout=self.timeout)
            except HTTPStatusError as exc:
                if exc.status_code in (404, 405, 501):
                    return None
                raise
        else:
            sdk = self._sdk
            try:
                raw = await self._client.get("/models", cast_to=bytes)
            except sdk.APIStatusError as exc:
                if exc.status_code in (404, 405, 501):
                    return None
                raise
        try:
            data = json.loads(raw)["data"]
            return [str(m["id"]) for m in data]
        except (ValueError, KeyError, TypeError):
            return None

    async def _post(self, body: dict[str, Any]) -> bytes:
        """POST /chat/completions: through the lean client when it applies (see the module), else through
        the SDK client (auth, timeouts, status → exception mapping) without its typed-params transform and
        response model, which cost ~1 ms of CPU per request on image prompts. Either way the body is parsed
        by :func:`_parse_completion`."""
        if self._lean is not None:
            payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            _, _, raw = await self._lean.request("POST", "/chat/completions", payload, timeout=self.timeout)
            return raw
        return await self._client.post("/chat/completions", cast_to=bytes, body=body)

    def _classify(self, exc: Exception) -> Failure:
        """The lean client's errors mapped as the SDK's equivalents are (timeout, connection, HTTP status)."""
        if isinstance(exc, TransportTimeout):
            return Failure(f"timed out after {self.timeout:g}s", True, unreachable=True)
        if isinstance(exc, TransportError):
            return Failure(f"connection error ({self._scrub(str(exc), limit=160)})", True, unreachable=True)
        if isinstance(exc, HTTPStatusError):
            return self._status_failure(exc.status_code, exc.headers, exc)
        return super()._classify(exc)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._lean is not None:
            await self._lean.aclose()
        if self._sdk_client is not None:
            await self._sdk_client.close()


def lean_path_applies(base_url: str | None) -> bool:
    """Whether chat requests to ``base_url`` go through the lean client: an ``http(s)`` URL without
    credentials in it, not to be reached through a proxy the environment names (the SDK's ``httpx`` honours
    ``HTTP(S)_PROXY``/``NO_PROXY``; the lean client does not speak to proxies)."""
    if not base_url:
        return False
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return False
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname))
