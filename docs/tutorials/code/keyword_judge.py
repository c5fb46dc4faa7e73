"""A judge backend in one file: ``keyword-judge:`` answers a judge prompt with "Yes" or "No".

Judge-scored tasks send their judge prompt to whatever model ``--judge SPEC`` names, so any chat model is
a judge backend. This one is a deterministic stand-in for a judge model: it says "Yes" when the response
quoted in the prompt contains the ground truth quoted beside it. A real one would wrap an endpoint or a
local classifier the same way.
"""

from __future__ import annotations

import re

from multitrust.core.types import ModelReply, Request
from multitrust.models.base import ChatModel
from multitrust.models.registry import register
from multitrust.models.spec import ModelSpec

_PAIR = re.compile(r"response[^:]*:(?P<pred>.*?),\s*(?:its )?ground truth:(?P<label>.*?)\.", re.S | re.I)


class KeywordJudge(ChatModel):
    spec = "keyword-judge:v1"  # bump the version when the behaviour changes: verdicts are keyed by it
    default_concurrency = 64

    async def generate(self, request: Request) -> ModelReply:
        match = _PAIR.search(request.prompt)
        if match is None:
            return ModelReply("No", "stop")
        pred, label = match["pred"].strip().lower(), match["label"].strip().lower()
        return ModelReply("Yes" if label and label in pred else "No", "stop")


def build(spec: ModelSpec, *, seed: int = 0) -> ChatModel:
    return KeywordJudge()


register("keyword-judge", build)
