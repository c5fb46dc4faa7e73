"""Adapter for the Anthropic Messages API (``anthropic:<model>``) with the official async SDK.

Same approach as :mod:`multitrust.models.openai_api` (both are a
:class:`~multitrust.models.remote.RemoteChatModel`): the SDK client is built with ``max_retries=0`` and
the adapter retries itself, so every retry is reported through ``on_retry``, counted in
``ModelReply.attempts``, honours the server's ``retry-after`` / ``retry-after-ms``, and also covers bodies
the SDK cannot parse. Images go as base64 ``image`` blocks, encoded once per image content hash (a
benchmark pairs one image with many prompts); formats the API does not take (BMP, TIFF, ...) and images
over its size limit are re-encoded. The API key lives only in the SDK client and a private copy used to
scrub it from error text; it is never in ``describe()``, ``repr`` or error messages.
"""

from __future__ import annotations

import base64
import io
import os
from typing import Any

import anthropic

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.text import well_formed
from multitrust.core.types import ImageRef, Message, ModelReply, Request
from multitrust.models.images import Encoded
from multitrust.models.remote import ImageCache, MalformedResponse, RemoteChatModel, one_line

__all__ = ["AnthropicChatModel", "encode_image", "encode_image_block"]

_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
#: the API rejects base64 images over 5 MB; stay under it with some margin
_MAX_IMAGE_BYTES = 3_700_000
#: the long side the API itself scales larger images down to
_DOWNSCALE_SIDE = 1568
_STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "refusal": "content_filter"}


def encode_image_block(image: ImageRef, max_side: int | None = None) -> dict[str, Any]:
    """An Anthropic ``image`` content block (see :func:`encode_image`)."""
    return encode_image(image, max_side).value


def encode_image(image: ImageRef, max_side: int | None = None) -> Encoded[dict[str, Any]]:
    """An ``image`` block and how the image was handled. The file's bytes are sent as they are (streamed
    into base64) when the API accepts the format and size and the image fits ``max_side``; otherwise it is
    downscaled and/or re-encoded (PNG, or JPEG for a large photo). Only the header is read to decide, and
    a JPEG is decoded at reduced scale (:func:`~multitrust.models.images.open_downscaled`)."""
    from multitrust.data.images import image_size, open_downscaled
    from multitrust.models.images import ORIGINAL, b64_file, downscaled, png_bytes, reencoded

    mime = image.mime
    too_big = os.stat(image.path).st_size > _MAX_IMAGE_BYTES
    accepted = mime in _MEDIA_TYPES and not too_big
    if accepted and max_side is None:
        return Encoded(_b64_block(mime, b64_file(image.path)), ORIGINAL)
    limit = min(max_side or _DOWNSCALE_SIDE, _DOWNSCALE_SIDE) if too_big else max_side
    shrink = limit is not None and max(image_size(image.path)) > limit
    if accepted and not shrink:
        return Encoded(_b64_block(mime, b64_file(image.path)), ORIGINAL)
    with open_downscaled(image.path, limit if shrink else None) as im:
        if im.mode not in ("L", "LA", "RGB", "RGBA"):
            im = im.convert("RGBA" if "transparency" in im.info or "A" in im.mode else "RGB")
        data, fmt = png_bytes(im), "PNG"
        if len(data) > _MAX_IMAGE_BYTES:  # a large photo: JPEG keeps it under the limit
            out = io.BytesIO()
            im.convert("RGB").save(out, format="JPEG", quality=90)
            data, fmt = out.getvalue(), "JPEG"
    if shrink:
        how = downscaled(int(limit or 0), fmt)
    else:
        how = reencoded(fmt, "over the API's 5 MB limit" if too_big else f"{mime} is not a format the API takes")
    return Encoded(_block(f"image/{fmt.lower()}", data), how)


def _block(mime: str, data: bytes) -> dict[str, Any]:
    return _b64_block(mime, base64.b64encode(data).decode("ascii"))


def _b64_block(mime: str, data: str) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": mime, "data": data}}


def _parse_message(message: Any, attempt: int) -> ModelReply:
    try:
        blocks = message.content
        text = "".join(getattr(b, "text", "") or "" for b in blocks if getattr(b, "type", None) == "text")
        stop = message.stop_reason
    except (AttributeError, TypeError) as exc:
        raise MalformedResponse(f"no content blocks in body ({type(exc).__name__})") from None
    if not isinstance(blocks, list):
        raise MalformedResponse("content is not a list of blocks")
    usage = None
    raw_usage = getattr(message, "usage", None)
    if raw_usage is not None:
        usage = {
            "prompt_tokens": int(getattr(raw_usage, "input_tokens", 0) or 0),
            "completion_tokens": int(getattr(raw_usage, "output_tokens", 0) or 0),
        }
    return ModelReply(well_formed(text), _STOP_REASONS.get(str(stop), stop), usage, attempt)


class AnthropicChatModel(RemoteChatModel):
    """A Claude model behind the Messages API. ``max_retries`` counts retries (at most ``max_retries + 1``
    attempts); ``on_retry`` gets the number of the attempt that just failed. System turns go to the
    ``system`` parameter, as the API requires. ``send_temperature=False`` leaves the temperature to the
    API's default, for models that reject the parameter."""

    default_concurrency = 16
    default_host = "api.anthropic.com"
    _sdk = anthropic
    _sdk_error = anthropic.AnthropicError

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
        super().__init__(
            model,
            spec=spec or f"anthropic:{model}",
            label=f"anthropic:{model}",
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_image_side=max_image_side,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
        )
        if not api_key:
            raise SpecError(f"anthropic:{model}: no API key (set ANTHROPIC_API_KEY)")
        self.send_temperature = bool(send_temperature)
        self._secret = api_key
        self._client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, timeout=self.timeout, max_retries=0)
        self._images = ImageCache(encode_image, max_image_side, max_entries=512)

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "send_temperature": self.send_temperature}

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

    async def _prepare(self, request: Request) -> dict[str, Any]:
        try:
            return await self._body(request)
        except OSError as exc:
            raise ModelCallError(f"{self.model}: cannot read image: {one_line(str(exc))}") from exc

    async def _attempt(self, body: dict[str, Any], attempt: int) -> ModelReply:
        return _parse_message(await self._client.messages.create(**body), attempt)
