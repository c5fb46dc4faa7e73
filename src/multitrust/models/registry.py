"""Which adapter builds which spec kind. Adapters import their heavy dependencies lazily."""

from __future__ import annotations

from collections.abc import Callable

from multitrust.models.base import ChatModel
from multitrust.models.scripted import build_scripted
from multitrust.models.spec import ModelSpec, build_openai

ADAPTERS: dict[str, Callable[..., ChatModel]] = {
    "openai": build_openai,
    "openai-compat": build_openai,
    "scripted": build_scripted,
}


def register(kind: str, builder: Callable[..., ChatModel]) -> None:
    """Add an adapter kind (local backends register themselves here)."""
    ADAPTERS[kind] = builder


__all__ = ["ADAPTERS", "ModelSpec", "register"]


# Local and extra API backends register themselves; importing them never imports torch/transformers/vllm.
from multitrust.models.local_registry import register_local_backends  # noqa: E402

register_local_backends()
