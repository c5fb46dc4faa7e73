"""Plain data types that flow through a run: sample → request → generation → judgement → scores.

They are dataclasses rather than pydantic models because millions of them are built on the hot path;
configuration (which is validated once) uses pydantic.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multitrust.core.hashing import file_sha256, hash_json


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An image on disk. Requests hash its bytes, never its path, so moving the data tree keeps the cache."""

    path: str

    @property
    def sha256(self) -> str:
        return file_sha256(self.path)

    @property
    def mime(self) -> str:
        return mimetypes.guess_type(self.path)[0] or "image/png"

    def read_bytes(self) -> bytes:
        return Path(self.path).read_bytes()


@dataclass(frozen=True, slots=True)
class Message:
    """One chat turn: text plus zero or more images (images are placed before the text)."""

    role: str
    text: str
    images: tuple[ImageRef, ...] = ()

    def key(self) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "image", "sha256": im.sha256} for im in self.images]
        content.append({"type": "text", "text": self.text})
        return {"role": self.role, "content": content}


@dataclass(frozen=True, slots=True)
class Sample:
    """One question put to the model under test.

    ``id`` is ``<task>/<variant>/<record key>`` and stable across runs of the same data tree; ``meta``
    holds the source fields an evaluator or report may need (``subset`` groups per-subset metrics).
    """

    id: str
    task: str
    variant: str
    messages: tuple[Message, ...]
    target: Any = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    record: str = ""

    @property
    def prompt(self) -> str:
        """The text of the last user turn (what the model is asked)."""
        return self.messages[-1].text

    @property
    def images(self) -> tuple[ImageRef, ...]:
        return tuple(im for m in self.messages for im in m.images)

    @property
    def subset(self) -> str | None:
        value = self.meta.get("subset")
        return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Request:
    """What is sent to a model. ``hash`` (SHA-256 of canonical JSON, images by content hash) is the cache key.

    ``context`` is only set for models whose answer depends on more than the request (``scripted:replay``
    answers by sample id); it is part of the hash so such answers are never shared between samples.
    """

    model: str
    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float = 0.0
    context: str | None = None
    hash: str = ""

    @staticmethod
    def build(
        model: str,
        messages: tuple[Message, ...],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        context: str | None = None,
    ) -> Request:
        payload: dict[str, Any] = {
            "model": model,
            "params": {"max_tokens": int(max_tokens), "temperature": float(temperature)},
            "messages": [m.key() for m in messages],
        }
        if context is not None:
            payload["context"] = context
        return Request(model, messages, int(max_tokens), float(temperature), context, hash_json(payload))

    @property
    def prompt(self) -> str:
        return self.messages[-1].text


@dataclass(slots=True)
class ModelReply:
    """What an adapter returns for a request that succeeded."""

    text: str
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    attempts: int = 1


@dataclass(slots=True)
class Generation:
    """A stored answer (or the final error) for one request hash."""

    request_hash: str
    model: str
    text: str | None
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    latency_s: float = 0.0
    attempts: int = 1
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None


#: why a verdict is unscored when the judge's reply does not parse into a verdict
UNPARSED = "unparsed reply"


@dataclass(slots=True)
class Verdict:
    """An evaluator's output for one response: a parsed value (JSON-able), plus provenance.

    ``value`` is None when ``error`` is set (a failed judge call: the sample is an error, retried on the next
    scoring) or when the judge answered but its reply is not a verdict (``unscored``, e.g. "unparsed reply";
    ``raw`` keeps the reply). Neither is ever scored as 0: both are left out of the metric and counted.
    A verdict with no value and no error is unscored by definition, so stored verdicts read back the same.
    """

    value: Any
    raw: str | None = None
    backend: str | None = None
    prompt_hash: str | None = None
    error: str | None = None
    unscored: str | None = None

    def __post_init__(self) -> None:
        if self.value is None and self.error is None and self.unscored is None:
            self.unscored = UNPARSED

    @property
    def ok(self) -> bool:
        """The evaluator ran (no failed call); an unscored verdict is ok but has no value."""
        return self.error is None

    @property
    def scored(self) -> bool:
        """The verdict has a value the metric may use."""
        return self.error is None and self.unscored is None


@dataclass(slots=True)
class Judgement:
    """A stored verdict: which evaluator (id, version, judge backend) judged which sample's generation."""

    key: str
    sample_id: str
    evaluator: str
    version: str
    verdict: Verdict


@dataclass(slots=True)
class VariantResult:
    """Metrics of one task variant. ``metrics`` values are fractions/raw statistics as the metric defines."""

    variant: str
    metrics: dict[str, float]
    by_subset: dict[str, dict[str, float]] = field(default_factory=dict)
    n_samples: int = 0
    n_scored: int = 0
    n_errors: int = 0
    #: judged samples whose judge reply was not a verdict (left out of the metric, not counted as errors)
    n_unscored: int = 0


@dataclass(slots=True)
class TaskScore:
    """A task's 0–100 score (higher is better) with what it was computed from. ``score`` is None when the
    task could not be scored (no data, or every sample failed)."""

    task: str
    score: float | None
    variants: dict[str, VariantResult]
    n_samples: int = 0
    n_errors: int = 0
    notes: list[str] = field(default_factory=list)
    #: per evaluator: which backend judged (rule, judge:<spec>, fallback:<name>, classifier:<name>), how many
    #: verdicts each backend gave, and whether that matches the paper's choice
    provenance: dict[str, Any] = field(default_factory=dict)
    #: paired variants → {"both", "a_only", "b_only", "neither"} counts of per-record success
    flips: dict[str, dict[str, int]] = field(default_factory=dict)
    #: seeded bootstrap over records: the replicate scores and their 95% percentile interval
    replicates: list[float] = field(default_factory=list)
    ci: tuple[float, float] | None = None
    #: samples whose judge (LLM or classifier) replied with something that is not a verdict (fixed mode):
    #: left out of the metric; a task with more than 20% unscored is left out of the aggregates
    unscored: int = 0
