"""The one async interface every model adapter (and every LLM judge) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable

from multitrust.core.types import ModelReply, Request

RetryHook = Callable[[Request, int, str], None]
"""Called as ``hook(request, attempt_number, reason)`` before each retry, so progress can show retries live."""


class ChatModel(ABC):
    """A chat model under test or used as a judge.

    ``spec`` is the canonical spec string: it goes into every request hash, so it names what determines
    the answers (backend, endpoint, model) and never a secret. ``generate`` returns a :class:`ModelReply`
    or raises :class:`multitrust.core.errors.ModelCallError` once its retries are spent; it must be safe
    to call concurrently from many tasks.
    """

    spec: str = ""
    #: True when answers depend on the sample id, not only on the request (``scripted:replay``).
    per_sample: bool = False
    #: Suggested number of in-flight requests when the user gives none.
    default_concurrency: int = 8
    #: The cap the user set with ``?concurrency=N`` (None: none set). The runner sizes its workers by it for
    #: the model under test; judges share the scorer's workers, so for a judge it caps that judge's calls
    #: in flight (a llama.cpp server answering one request at a time times out the rest otherwise).
    concurrency_limit: int | None = None
    on_retry: RetryHook | None = None

    @abstractmethod
    async def generate(self, request: Request) -> ModelReply:
        """Answer one request."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections / engines. Safe to call more than once."""

    def describe(self) -> dict[str, object]:
        """Provenance recorded with a run (no secrets)."""
        return {"spec": self.spec, "class": type(self).__name__}

    def image_handling(self) -> ImageHandling | None:
        """How the images this adapter sent were handled so far: ``{"max_image_side": N or None, "images":
        {how: [image sha256, ...]}}`` (``how`` e.g. ``"original bytes"``), or None when it sends none or
        does not say. The run records it, so a report says what the model was shown."""
        return None


ImageHandling = dict[str, object]


def merge_image_handling(parts: Iterable[ImageHandling | None]) -> ImageHandling | None:
    """One record from several (replicas of one model, or the invocations of one run): each image digest
    listed once per ``how``; the last ``max_image_side`` given."""
    out: ImageHandling | None = None
    images: dict[str, set[str]] = {}
    for part in parts:
        if not part:
            continue
        out = {"max_image_side": part.get("max_image_side")}
        for how, digests in dict(part.get("images") or {}).items():  # type: ignore[call-overload]
            images.setdefault(str(how), set()).update(str(d) for d in digests)
    if out is None:
        return None
    out["images"] = {how: sorted(d) for how, d in sorted(images.items())}
    return out


def without_images(handling: ImageHandling | None, other: ImageHandling | None) -> ImageHandling | None:
    """``handling`` less the image digests ``other`` lists (an adapter's images before a point in time, e.g.
    a preflight probe's), None when nothing is left."""
    if not handling or not other:
        return handling
    drop = {str(d) for digests in dict(other.get("images") or {}).values() for d in digests}  # type: ignore[call-overload]
    images = {how: [d for d in digests if d not in drop] for how, digests in dict(handling["images"]).items()}  # type: ignore[call-overload]
    images = {how: digests for how, digests in images.items() if digests}
    return {**handling, "images": images} if images else None
