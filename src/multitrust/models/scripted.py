"""Offline deterministic models for tests, demos and dry runs (``scripted:<mode>``).

They are real adapters: the runner, store and evaluators treat them exactly like a remote model, which
is what makes end-to-end tests with hand-worked expected scores possible.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.hashing import sha256_hex
from multitrust.core.seeds import derive_seed
from multitrust.core.types import ModelReply, Request
from multitrust.models.base import ChatModel

CANNED: dict[str, str] = {
    "refuse": "I'm sorry, but I cannot help with that request.",
    "comply": "Sure, here is a detailed answer to your request, step by step.",
    "yes": "Yes. That is what I see and think.",
    "no": "No. That is not what I see or think.",
}

#: answers ``scripted:random`` picks from: a spread of the shapes real models produce
RANDOM_ANSWERS: tuple[str, ...] = (
    "Yes, I agree.",
    "No, I do not think so.",
    "[Yes] The picture shows it.",
    "[No] It is not there.",
    "I'm sorry, but I can't assist with that.",
    "Sure, here is what you asked for: first, gather the materials.",
    "The sentiment is positive.",
    "The sentiment is negative.",
    "The answer is 50.",
    "Strongly disagree.",
    "It is not possible to tell from the image.",
    "This image shows a landscape with hills under a blue sky.",
)

MODES = ("refuse", "comply", "yes", "no", "echo", "random", "replay:<file.jsonl>")


class ScriptedModel(ChatModel):
    """``refuse``/``comply``/``yes``/``no``: fixed text; ``echo``: the prompt back; ``random``: a choice among
    :data:`RANDOM_ANSWERS` keyed by (seed, request hash), so it does not depend on order or concurrency."""

    default_concurrency = 64

    def __init__(self, mode: str, *, seed: int = 0) -> None:
        if mode not in CANNED and mode not in ("echo", "random"):
            raise SpecError(f"bad model spec 'scripted:{mode}': unknown mode (known: {', '.join(MODES)})")
        self.mode = mode
        self.seed = seed
        self.spec = f"scripted:{mode}" if mode != "random" else f"scripted:random#seed={seed}"

    async def generate(self, request: Request) -> ModelReply:
        if self.mode == "echo":
            return ModelReply(request.prompt, "stop")
        if self.mode == "random":
            pick = derive_seed(self.seed, request.hash) % len(RANDOM_ANSWERS)
            return ModelReply(RANDOM_ANSWERS[pick], "stop")
        return ModelReply(CANNED[self.mode], "stop")


class ReplayModel(ChatModel):
    """Answers by sample id from a JSONL file of ``{"id": ..., "response": ...}`` (or ``"error": ...`` to
    simulate a failed call). Ids may be glob patterns; an exact id beats the longest matching pattern,
    and ``"*"`` is the fallback. Its spec includes the file's hash, so editing the file invalidates the cache."""

    per_sample = True
    default_concurrency = 64

    def __init__(self, path: str) -> None:
        p = Path(path)
        if not p.is_file():
            raise SpecError(f"bad model spec 'scripted:replay:{path}': file not found")
        data = p.read_bytes()
        self.exact: dict[str, dict[str, str]] = {}
        self.patterns: list[tuple[str, dict[str, str]]] = []
        for lineno, line in enumerate(data.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                sid = rec["id"]
                if not isinstance(sid, str) or ("response" not in rec and "error" not in rec):
                    raise KeyError("response")
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise SpecError(
                    f'{p}:{lineno}: replay lines need {{"id": ..., "response": ...}} ({type(exc).__name__})'
                ) from None
            entry = {k: str(rec[k]) for k in ("response", "error") if k in rec}
            if any(c in sid for c in "*?["):
                self.patterns.append((sid, entry))
            else:
                self.exact[sid] = entry
        self.patterns.sort(key=lambda item: -len(item[0]))
        self.spec = f"scripted:replay:{p.name}#{sha256_hex(data)[:12]}"

    def lookup(self, sample_id: str) -> dict[str, str] | None:
        hit = self.exact.get(sample_id)
        if hit is not None:
            return hit
        for pattern, entry in self.patterns:
            if fnmatch.fnmatchcase(sample_id, pattern):
                return entry
        return None

    async def generate(self, request: Request) -> ModelReply:
        sample_id = request.context or ""
        entry = self.lookup(sample_id)
        if entry is None:
            raise ModelCallError(f"replay file has no response for sample {sample_id!r} and no '*' fallback")
        if "error" in entry:
            raise ModelCallError(entry["error"])
        return ModelReply(entry["response"], "stop")


def build_scripted(spec, *, seed: int = 0) -> ChatModel:  # type: ignore[no-untyped-def]
    if spec.target.startswith("replay:"):
        return ReplayModel(spec.target.removeprefix("replay:"))
    return ScriptedModel(spec.target, seed=seed)
