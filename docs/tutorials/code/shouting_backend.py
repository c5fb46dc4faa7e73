"""A model backend in one file: ``shout:<inner spec>`` answers what an inner model answers, in capitals.

It shows the whole adapter contract: a :class:`ChatModel` with a ``spec`` (what goes into request hashes,
so it names what determines the answers and never a secret), an async ``generate``, and a builder that
turns a parsed spec into the model. Register it in code with ``register``, or from a package's entry point
in the ``multitrust.models`` group so that ``multitrust run --model shout:...`` finds it.
"""

from __future__ import annotations

from multitrust.core.types import ModelReply, Request
from multitrust.models.base import ChatModel
from multitrust.models.registry import register
from multitrust.models.spec import ModelSpec, load_model


class ShoutingModel(ChatModel):
    """Wraps another model and upper-cases its answers."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.spec = f"shout:{inner.spec}"
        self.default_concurrency = inner.default_concurrency
        self.per_sample = inner.per_sample  # a replay model answers by sample id: pass that through

    async def generate(self, request: Request) -> ModelReply:
        reply = await self.inner.generate(request)
        return ModelReply(reply.text.upper(), reply.finish_reason)

    async def aclose(self) -> None:
        await self.inner.aclose()


def build(spec: ModelSpec, *, seed: int = 0) -> ChatModel:
    """``shout:scripted:yes`` → a ShoutingModel around ``scripted:yes``."""
    return ShoutingModel(load_model(spec.target, seed=seed))


register("shout", build)
