"""Model spec strings: ``KIND:TARGET[?option=value&...]`` → a :class:`ChatModel`.

Examples: ``openai:gpt-4o``, ``openai-compat:http://127.0.0.1:8000/v1@my-model?api_key_env=VLLM_KEY``,
``scripted:refuse``, ``scripted:replay:answers.jsonl``. Options never enter the canonical spec (they
don't change answers) except ``max_image_side``, which the adapters append to their spec because the model
then sees other pixels (so a different downscale is a different request), and secrets are only ever named
(``api_key_env``). Credentials typed into a spec anyway (``http://user:SECRET@host``, ``?api_key=SECRET``)
reach only the adapter: the canonical spec and every message carry
:func:`~multitrust.core.redact.redact_spec`'s version.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from multitrust.core.errors import SpecError
from multitrust.core.redact import redact_spec, redact_url
from multitrust.models.base import ChatModel

KINDS: dict[str, str] = {
    "openai": "OpenAI API; key from OPENAI_API_KEY (or the env var named by ?api_key_env=)",
    "openai-compat": "any OpenAI-compatible server (vLLM, SGLang, Ollama, LM Studio, llama.cpp): URL@model",
    "scripted": "offline deterministic models: refuse, comply, yes, no, echo, random, replay:<file.jsonl>",
}

#: options understood by the OpenAI adapters, with their types
_OPENAI_OPTIONS: dict[str, type] = {
    "api_key_env": str,
    "timeout": float,
    "max_retries": int,
    "max_image_side": int,
    "concurrency": int,
    "replicas_file": str,
}


@dataclass(frozen=True)
class ModelSpec:
    kind: str
    target: str
    base_url: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    @property
    def base_urls(self) -> list[str]:
        """The replicas of an ``openai-compat`` spec: its comma-separated base URLs, then those listed one per
        line in the ``replicas_file`` option (blank lines and ``#`` comments skipped)."""
        urls = [u.strip().rstrip("/") for u in (self.base_url or "").split(",") if u.strip()]
        listed = self.options.get("replicas_file")
        if listed:
            try:
                lines = Path(listed).read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise SpecError(f"replicas_file {listed!r}: {exc.strerror}") from None
            urls += [ln.strip().rstrip("/") for ln in lines if ln.strip() and not ln.strip().startswith("#")]
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise SpecError(f"bad replica base URL {redact_url(url)!r}: must start with http:// or https://")
        return list(dict.fromkeys(urls))

    @property
    def canonical(self) -> str:
        """The spec without options and credentials: what identifies the answers (goes into request hashes,
        the run store and reports). Replicas of one model serve the same answers, so only the first base URL
        names them: adding replicas keeps a run resumable, and which replica answered never changes a hash.
        ``base_url`` keeps any credentials for the adapter to connect with."""
        if self.kind == "openai-compat":
            first = (self.base_url or "").split(",")[0].strip().rstrip("/")
            return f"{self.kind}:{redact_url(first)}@{self.target}"
        return str(redact_spec(f"{self.kind}:{self.target}"))


def parse_model_spec(text: str) -> ModelSpec:
    """Parse a spec string; raise :class:`SpecError` with one line naming the problem."""
    raw = text.strip()
    shown = redact_spec(raw)
    kind, sep, rest = raw.partition(":")
    if not sep or not rest:
        raise SpecError(f"bad model spec {shown!r}: expected KIND:NAME, KIND one of {', '.join(known_kinds())}")
    if kind not in known_kinds():
        raise SpecError(f"bad model spec {shown!r}: unknown kind {kind!r} (known: {', '.join(known_kinds())})")
    options: dict[str, str] = {}
    if "?" in rest and kind != "scripted":
        rest, _, query = rest.rpartition("?")
        options = dict(parse_qsl(query, keep_blank_values=True))
    if kind == "openai-compat":
        url, at, model = rest.rpartition("@")
        if not at or not url or not model:
            raise SpecError(f"bad model spec {shown!r}: expected openai-compat:<base_url>@<model>")
        for one in url.split(","):
            if not one.strip().startswith(("http://", "https://")):
                raise SpecError(f"bad model spec {shown!r}: base URL must start with http:// or https://")
            if not _valid_host(one.strip()):
                raise SpecError(f"bad model spec {shown!r}: base URL has no valid host and port")
        return ModelSpec(kind, model, url.rstrip("/"), options)
    return ModelSpec(kind, rest, None, options)


def _valid_host(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:
        return False


def known_kinds() -> list[str]:
    from multitrust.models import registry

    registry.load_plugins()
    return sorted(registry.ADAPTERS)


def _typed_options(spec: ModelSpec, allowed: dict[str, type]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in spec.options.items():
        if key not in allowed:
            raise SpecError(
                f"bad model spec {spec.canonical!r}: unknown option {key!r} (known: {', '.join(sorted(allowed))})"
            )
        try:
            out[key] = allowed[key](value)
        except ValueError:
            raise SpecError(
                f"bad model spec {spec.canonical!r}: option {key}={value!r} is not a {allowed[key].__name__}"
            ) from None
    return out


def build_openai(spec: ModelSpec, *, seed: int = 0) -> ChatModel:
    """``openai:`` and ``openai-compat:`` adapters (imported lazily: the openai SDK costs ~0.5 s to import)."""
    from multitrust.models.openai_api import OpenAIChatModel

    opts = _typed_options(spec, _OPENAI_OPTIONS)
    key_env = opts.pop("api_key_env", None)
    concurrency = opts.pop("concurrency", None)
    opts.pop("replicas_file", None)
    api_key: str | None = None
    if key_env is not None:
        api_key = os.environ.get(str(key_env))
        if not api_key:
            raise SpecError(f"model {spec.canonical}: environment variable {key_env} (api_key_env) is not set")
    elif spec.kind == "openai":
        api_key = os.environ.get("OPENAI_API_KEY")
        if not api_key:
            raise SpecError(f"model {spec.canonical}: set OPENAI_API_KEY (or name another variable with ?api_key_env=)")
    urls = spec.base_urls if spec.kind == "openai-compat" else []
    if len(urls) > 1:
        return _replica_pool(spec, urls, api_key, opts, concurrency)
    base_url = urls[0] if urls else spec.base_url
    model = OpenAIChatModel(spec.target, spec=spec.canonical, base_url=base_url, api_key=api_key, **opts)  # type: ignore[arg-type]
    if concurrency is not None:
        model.default_concurrency = model.concurrency_limit = int(concurrency)  # type: ignore[arg-type]
    return model


def _replica_pool(
    spec: ModelSpec, urls: list[str], api_key: str | None, opts: dict[str, object], concurrency: object
) -> ChatModel:
    """One adapter per replica without retries of its own: the pool retries, on the least busy healthy
    replica. ``max_retries`` bounds the pool's attempts; ``concurrency`` is per replica."""
    from multitrust.models.openai_api import OpenAIChatModel
    from multitrust.models.remote import redact_url
    from multitrust.models.replicas import ReplicaPool

    max_attempts = int(opts.pop("max_retries", 6)) + 1  # type: ignore[call-overload]
    replicas = []
    for url in urls:
        one = OpenAIChatModel(spec.target, spec=spec.canonical, base_url=url, api_key=api_key, max_retries=0, **opts)  # type: ignore[arg-type]
        if concurrency is not None:
            one.default_concurrency = int(concurrency)  # type: ignore[call-overload]
        replicas.append((redact_url(url, drop_query=True) or url, one))
    return ReplicaPool(replicas, spec=replicas[0][1].spec, max_attempts=max_attempts)  # max_image_side included


def load_model(text: str | ModelSpec, *, seed: int = 0) -> ChatModel:
    """Build the adapter for a spec. ``seed`` feeds models with random choices (``scripted:random``)."""
    from multitrust.models import registry

    spec = parse_model_spec(text) if isinstance(text, str) else text
    model = registry.ADAPTERS[spec.kind](spec, seed=seed)
    _remember_credentials(model)
    return model


def _remember_credentials(model: ChatModel) -> None:
    """Register the key and URL credentials an adapter connects with (:mod:`multitrust.core.redact`), so any
    message quoting them — a server echoing request headers, an exception — is scrubbed before it is shown,
    logged or stored."""
    from multitrust.core.redact import remember_secret, remember_url_credentials
    from multitrust.models.remote import remote_parts

    for part in remote_parts(model):
        remember_secret(getattr(part, "_secret", None))
        remember_url_credentials(part.base_url)
