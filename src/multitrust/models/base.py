"""The one async interface every model adapter (and every LLM judge) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

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
    on_retry: RetryHook | None = None

    @abstractmethod
    async def generate(self, request: Request) -> ModelReply:
        """Answer one request."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections / engines. Safe to call more than once."""

    def describe(self) -> dict[str, object]:
        """Provenance recorded with a run (no secrets)."""
        return {"spec": self.spec, "class": type(self).__name__}
