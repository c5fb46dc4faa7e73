"""The resolved configuration of a run, validated once and written to ``config.json`` (no secrets:
specs only *name* environment variables that hold keys)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    refusal_list: str | None = None
    bootstrap: int = Field(default=200, ge=0, le=10000, description="bootstrap rounds for intervals (0 = off)")

    @field_validator("tasks")
    @classmethod
    def _nonempty(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("no tasks selected")
        return v
