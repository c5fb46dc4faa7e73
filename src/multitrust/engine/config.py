"""The resolved configuration of a run, validated once and written to ``config.json`` (no secrets:
specs only *name* environment variables that hold keys)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from multitrust.core.errors import DataError
from multitrust.scoring.base import Fidelity


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="model spec, e.g. openai:gpt-4o or openai-compat:URL@name")
    tasks: list[str] = Field(description="task ids, in taxonomy order")
    data: str = Field(default="builtin", description="data tree directory, or 'builtin'")
    out: str = Field(description="run directory")
    seed: int = 0
    limit: int | None = Field(default=None, ge=1, description="at most this many samples per task variant")
    fidelity: Fidelity = "fixed"
    concurrency: int | None = Field(default=None, ge=1, le=4096)
    judge: str | None = Field(default=None, description="LLM judge spec for judge-scored tasks")
    task_judges: dict[str, str] = Field(default_factory=dict, description="task id → judge spec overrides")
    judge_profile: str | None = Field(
        default=None, description="judge profile (paper, offline, open or a YAML file) mapping roles to judges"
    )
    refusal_list: str | None = None
    bootstrap: int = Field(default=200, ge=0, le=10000, description="bootstrap rounds for intervals (0 = off)")
    shared_cache: bool = Field(
        default=True, description="reuse (and offer) generations of other run directories for identical requests"
    )
    max_tokens: int | None = Field(
        default=None, ge=1, description="cap on generated tokens per request (default: each task's own length)"
    )
    text_only: bool = Field(
        default=False, description="run only the variants without images (the model takes no images)"
    )

    @field_validator("tasks")
    @classmethod
    def _nonempty(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("no tasks selected")
        return v


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON run config (the keys of :class:`RunConfig`, ``tasks`` as a list or a selector
    string). Unknown keys and unreadable files are one-line errors naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read config ({exc.strerror})", path=str(p)) from None
    try:
        data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DataError(f"malformed config ({type(exc).__name__})", path=str(p)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DataError("a run config must be a mapping of settings", path=str(p))
    unknown = sorted(set(data) - set(RunConfig.model_fields))
    if unknown:
        raise DataError(
            f"unknown setting(s) {', '.join(unknown)} (known: {', '.join(RunConfig.model_fields)})", path=str(p)
        )
    return data
