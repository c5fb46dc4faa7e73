"""The route table of published models: how each of the 44 leaderboard models is reached here.

Why a table and not code: the original toolbox wraps each model by hand, so knowing whether a published
row can be re-run means reading its wrapper. Here every model goes through one of a few generic backends
(``hf:``, ``vllm:``, the API adapters), and what differs per model — the hub id, the backend, whether
remote code runs, the input conventions (image count, resizing, system prompt, image placement) — is
data, in ``published_routes.yaml`` beside this module, validated on load. ``status`` says how far a route
is known to work, and is backed by evidence the tests check:

* ``tested``: an architecture test with a tiny model of the same transformers architecture passes
  through the route's backend (``test`` names it; ``tests/models/test_routes.py`` checks it exists);
* ``remote_code``: works only with ``trust_remote_code``; ``checked`` says what was checked;
* ``api``: a hosted model; the adapter is tested against a loopback server (``test``), the model itself
  needs the provider's key;
* ``untested``: a route that should work but nothing here exercises it yet (``checked`` says why);
* ``not_supported``: no generic backend can run it; ``checked`` says why.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources
from typing import Literal
from urllib.parse import urlencode

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from multitrust.core.errors import SpecError

__all__ = ["IMAGES_PER_PROMPT", "ROUTE_KINDS", "STATUSES", "Route", "leaderboard_models", "load_routes", "route_for"]

#: the most images one benchmark prompt carries (every task sends one user turn with at most one image);
#: vLLM's ``limit_mm_per_prompt`` defaults to this. ``tests/models/test_routes.py`` checks it on the data.
IMAGES_PER_PROMPT = 1

ROUTE_KINDS = ("openai", "anthropic", "openai-compat", "hf", "vllm")
Status = Literal["tested", "remote_code", "api", "untested", "not_supported"]
STATUSES: tuple[str, ...] = ("tested", "remote_code", "api", "untested", "not_supported")

_DATA = "published_routes.yaml"


class Route(BaseModel):
    """One leaderboard model's route (see ``published_routes.yaml`` for the meaning of each field)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    hub_id: str
    route: str
    options: dict[str, str] = Field(default_factory=dict)
    alternatives: tuple[str, ...] = ()
    architecture: str | None = None
    trust_remote_code: bool = False
    chat_template: str | None = None
    system_prompt: str | None = None
    status: Status
    test: str | None = None
    checked: str | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _options_as_strings(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("options"), dict):
            data = {**data, "options": {str(k): str(v) for k, v in data["options"].items()}}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Route:
        for spec in (self.route, *self.alternatives):
            kind = spec.partition(":")[0]
            if kind not in ROUTE_KINDS:
                raise ValueError(f"route {spec!r}: kind must be one of {', '.join(ROUTE_KINDS)}")
        if "?" in self.route:
            raise ValueError("route: put options under `options`, not in the route string")
        remote = self.options.get("trust_remote_code", "false").lower() == "true"
        if remote != self.trust_remote_code:
            raise ValueError("trust_remote_code must match options.trust_remote_code")
        if self.status in ("tested", "api") and not self.test:
            raise ValueError(f"status {self.status} needs `test` (the test that backs it)")
        if self.status in ("remote_code", "api", "untested", "not_supported") and not self.checked:
            raise ValueError(f"status {self.status} needs `checked` (what was checked, or why not)")
        if self.status == "remote_code" and not self.trust_remote_code:
            raise ValueError("status remote_code needs trust_remote_code: true")
        if self.status == "tested" and self.route.partition(":")[0] == "hf" and not self.architecture:
            raise ValueError("a tested hf: route names its transformers architecture")
        return self

    @property
    def kind(self) -> str:
        return self.route.partition(":")[0]

    @property
    def spec(self) -> str:
        """The full model spec to pass to ``--model``: the route with its options."""
        return self.route + ("?" + urlencode(self.options) if self.options else "")


@functools.lru_cache(maxsize=1)
def load_routes() -> tuple[Route, ...]:
    """The packaged route table, validated; a bad entry is one SpecError naming the entry and field."""
    text = resources.files("multitrust.models").joinpath(_DATA).read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, list):
        raise SpecError(f"{_DATA}: expected a list of routes")
    routes = []
    for i, entry in enumerate(raw):
        name = entry.get("model", f"#{i + 1}") if isinstance(entry, dict) else f"#{i + 1}"
        try:
            routes.append(Route.model_validate(entry))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "entry"
            raise SpecError(f"{_DATA}: route {name}: {where}: {err['msg']}") from None
    return tuple(routes)


def leaderboard_models() -> list[str]:
    """The model names of the packaged published leaderboard, in rank order."""
    text = resources.files("multitrust.reference").joinpath("published_leaderboard.csv").read_text(encoding="utf-8")
    return [row["model"] for row in csv.DictReader(text.splitlines())]


def route_for(name: str) -> Route:
    """The route of one published model (case-insensitive); SpecError naming close matches otherwise."""
    by_name = {r.model.lower(): r for r in load_routes()}
    found = by_name.get(name.strip().lower())
    if found is None:
        import difflib

        close = difflib.get_close_matches(name.lower(), list(by_name), n=3)
        hint = f" (did you mean {', '.join(by_name[c].model for c in close)}?)" if close else ""
        raise SpecError(f"no published model {name!r}{hint}; see `multitrust list models --published`")
    return found
