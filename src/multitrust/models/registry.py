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


#: the entry-point group through which installed packages add adapter kinds (name = kind, value = builder)
PLUGIN_GROUP = "multitrust.models"
#: kinds added by plugins → the entry point's target (``module:builder``), for ``multitrust list models``
PLUGIN_KINDS: dict[str, str] = {}
_plugins_loaded = False


def register(kind: str, builder: Callable[..., ChatModel]) -> None:
    """Add an adapter kind: ``builder(spec: ModelSpec, *, seed: int) -> ChatModel`` builds it from a parsed
    spec. Local backends register themselves here; so can a user's own module, before it runs."""
    ADAPTERS[kind] = builder


def load_plugins() -> list[str]:
    """Register the adapter kinds that installed packages declare in the ``multitrust.models`` entry-point
    group, so ``--model KIND:...`` works from the command line without changing this package. A plugin's
    module is imported only when its kind is first used; built-in kinds cannot be overridden. Runs once."""
    global _plugins_loaded
    if _plugins_loaded:
        return []
    _plugins_loaded = True
    from importlib.metadata import entry_points

    added = []
    for ep in entry_points(group=PLUGIN_GROUP):
        if ep.name in ADAPTERS:
            continue
        ADAPTERS[ep.name] = _lazy_builder(ep)
        PLUGIN_KINDS[ep.name] = ep.value
        added.append(ep.name)
    return added


def _lazy_builder(ep: object) -> Callable[..., ChatModel]:
    def build(spec: ModelSpec, *, seed: int = 0) -> ChatModel:
        return ep.load()(spec, seed=seed)  # type: ignore[attr-defined]

    return build


__all__ = ["ADAPTERS", "PLUGIN_GROUP", "PLUGIN_KINDS", "ModelSpec", "load_plugins", "register"]


# Local and extra API backends register themselves; importing them never imports torch/transformers/vllm.
from multitrust.models.local_registry import register_local_backends  # noqa: E402

register_local_backends()
