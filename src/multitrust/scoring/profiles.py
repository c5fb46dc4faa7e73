"""Judge profiles: which judge fills each judging role (:mod:`multitrust.scoring.roles`).

A profile is a YAML file validated with pydantic::

    name: open
    description: open models behind an OpenAI-compatible server
    default: openai-compat:http://localhost:8000/v1@Qwen/Qwen2.5-VL-72B-Instruct   # every llm role not listed
    roles:
      harm: {judge: "openai-compat:http://localhost:8001/v1@cais/HarmBench-Llama-2-13b-cls"}
      toxicity: {judge: "detoxify:/models/toxic_original.ckpt"}
      refusal: {judge: "rule:fixed"}
      consistency:
        judge: openai:gpt-4-1106-preview
        available: false                      # the judge is gone ...
        note: shut down 2026-10-23
        stand_in: offline                     # ... and this stands in for it

What a role's ``judge`` may be depends on the role's kind:

- ``llm`` and ``harm`` roles: a chat-model spec (``openai:…``, ``openai-compat:URL@NAME``, ``hf:…``,
  ``scripted:…``), or ``offline`` for the role's documented fallback;
- ``toxicity``: ``perspective`` (Perspective API; key from the environment), ``moderation[:MODEL]``
  (OpenAI Moderation with a named model, e.g. ``moderation:omni-moderation-latest``), ``detoxify:PATH``
  (a local Detoxify checkpoint), ``judge:SPEC`` (an LLM judge asked for a 0-1 rating with
  :data:`~multitrust.scoring.classifiers.toxicity.TOXICITY_JUDGE_PROMPT`; a reply without a number is
  unscored), or ``offline`` (alt-profanity-check, else the lexicon). The backend that scored is written into
  every verdict;
- ``action``: ``hf:ID`` or ``hf:PATH`` (the Longformer action classifier through transformers), or
  ``offline`` (the refusal keywords decide);
- ``refusal``: ``rule:fixed``, ``rule:paper`` or ``rule:2025`` (which keyword list), or ``offline`` (the
  fidelity mode's default list: the paper-era list in paper mode, the corrected one in fixed mode).

Packaged profiles: ``paper`` (the original's judges, each marked available or not, with what stands in),
``offline`` (today's fallbacks, no network) and ``open`` (open models behind any OpenAI-compatible server).
``--judge SPEC`` remains the one-line shortcut: it fills every ``llm``/``harm`` role the profile does not give
a model (roles it leaves open or offline, and offline stand-ins for judges that are gone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from multitrust.core.errors import SpecError
from multitrust.core.hashing import hash_json
from multitrust.scoring.roles import ROLE_BY_NAME, ROLES, get_role

PACKAGED = ("paper", "offline", "open")
OFFLINE = "offline"
_REFUSAL_LISTS = ("fixed", "paper", "2025")


class RoleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    judge: str = Field(description="who fills the role (see the module docstring for what each kind accepts)")
    available: bool = Field(default=True, description="False when the judge no longer exists")
    note: str = Field(default="", description="why it is (un)available, dates, caveats")
    stand_in: str | None = Field(default=None, description="what judges instead when the judge is unavailable")


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    default: str | None = Field(default=None, description="judge spec for every llm/harm role not listed")
    roles: dict[str, RoleEntry] = Field(default_factory=dict)

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: dict[str, RoleEntry]) -> dict[str, RoleEntry]:
        for name, entry in roles.items():
            if name not in ROLE_BY_NAME:
                raise ValueError(f"unknown role {name!r} (known: {', '.join(ROLE_BY_NAME)})")
            check_judge(name, entry.judge)
            if entry.stand_in is not None:
                check_judge(name, entry.stand_in)
            if not entry.available and entry.stand_in is None:
                raise ValueError(f"role {name!r}: an unavailable judge needs a stand_in (a spec or 'offline')")
        return roles

    @model_validator(mode="after")
    def _default_is_a_model(self) -> Profile:
        if self.default is not None and self.default != OFFLINE:
            _check_model_spec("default", self.default)
        return self


def _check_model_spec(where: str, spec: str) -> None:
    from multitrust.models.spec import parse_model_spec

    try:
        parse_model_spec(spec)
    except SpecError as exc:
        raise ValueError(f"{where}: {exc}") from None


def check_judge(role: str, judge: str) -> None:
    """Raise ValueError when ``judge`` cannot fill ``role``."""
    kind = get_role(role).kind
    if judge == OFFLINE:
        return
    if kind in ("llm", "harm"):
        _check_model_spec(f"role {role!r}", judge)
    elif kind == "toxicity":
        head, _, rest = judge.partition(":")
        if head == "perspective" and not rest:
            return
        if head == "moderation":
            return
        if head == "detoxify" and rest:
            return
        if head == "judge" and rest:
            _check_model_spec(f"role {role!r}", rest)
            return
        raise ValueError(
            f"role {role!r}: {judge!r} is not a toxicity backend (perspective, moderation[:MODEL], "
            "detoxify:PATH, judge:SPEC or offline)"
        )
    elif kind == "action":
        if not judge.startswith("hf:") or len(judge) == 3:
            raise ValueError(f"role {role!r}: {judge!r} is not an action classifier (hf:ID, hf:PATH or offline)")
    elif kind == "refusal" and (not judge.startswith("rule:") or judge.removeprefix("rule:") not in _REFUSAL_LISTS):
        raise ValueError(f"role {role!r}: {judge!r} is not a refusal rule (rule:fixed, rule:paper, rule:2025)")


def load_profile(name_or_path: str | Path) -> Profile:
    """A packaged profile by name, or a YAML file. Errors are one line naming the file and field."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        if not path.is_file():
            raise SpecError(f"judge profile {str(path)!r}: file not found")
        text, where = path.read_text(encoding="utf-8"), str(path)
    elif str(name_or_path) in PACKAGED:
        text = resources.files("multitrust.scoring").joinpath(f"judge_profiles/{name_or_path}.yaml").read_text("utf-8")
        where = f"profile {name_or_path}"
    else:
        raise SpecError(f"unknown judge profile {str(name_or_path)!r}: use {', '.join(PACKAGED)} or a YAML file")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{where}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{where}: a profile is a mapping with name, default and roles")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise SpecError(f"{where}: {loc}: {first['msg'].removeprefix('Value error, ')}") from None


@dataclass
class Resolved:
    """A profile turned into what scoring needs: which judge each role gets and what the user must know."""

    profile: str
    #: llm/harm role → model spec, or None for the role's offline fallback (roles absent: the default judge);
    #: ``toxicity`` too when an LLM judge rates toxicity
    role_specs: dict[str, str | None] = field(default_factory=dict)
    default: str | None = None
    refusal_list: str | None = None
    toxicity: str | None = None
    action: str | None = None
    #: one line per unavailable judge: what is gone and what stands in
    notes: list[str] = field(default_factory=list)

    def effective(self, role: str) -> str:
        """What fills ``role`` under this profile, as a spec string (``offline`` for the fallback)."""
        kind = get_role(role).kind
        if kind in ("llm", "harm"):
            spec = self.role_specs.get(role, self.default)
            return spec or OFFLINE
        value = {"toxicity": self.toxicity, "action": self.action}.get(kind)
        if kind == "refusal":
            value = f"rule:{self.refusal_list}" if self.refusal_list else "rule:fixed"
        return value or OFFLINE

    def fingerprint(self, role: str) -> str:
        """Key of calibration figures: the role and what fills it (not the profile's name)."""
        return hash_json({"role": role, "judge": self.effective(role)})[:16]


def resolve(profile: Profile) -> Resolved:
    out = Resolved(profile.name, default=None if profile.default in (None, OFFLINE) else profile.default)
    for name, entry in profile.roles.items():
        judge = entry.judge
        if not entry.available:
            stand_in = entry.stand_in or OFFLINE
            out.notes.append(
                f"{name}: {judge} is not available{f' ({entry.note})' if entry.note else ''}; "
                f"{'the offline fallback' if stand_in == OFFLINE else stand_in} stands in"
            )
            judge = stand_in
        kind = get_role(name).kind
        if kind in ("llm", "harm"):
            out.role_specs[name] = None if judge == OFFLINE else judge
        elif kind == "refusal":
            out.refusal_list = None if judge == OFFLINE else judge.removeprefix("rule:")
        elif kind == "toxicity":
            out.toxicity = None if judge == OFFLINE else judge
            if judge.startswith("judge:"):
                out.role_specs[name] = judge.removeprefix("judge:")
        elif kind == "action":
            out.action = None if judge == OFFLINE else judge
    return out


def classifier_env(resolved: Resolved) -> dict[str, str | None]:
    """Environment settings that make the process-wide toxicity and action classifier selection follow the
    profile (None: unset). Keys stay in the environment where the user put them; none is written here."""
    env: dict[str, str | None] = {}
    tox = resolved.toxicity
    if tox is None:
        env["MULTITRUST_TOXICITY_BACKEND"] = "profanity-check"
    else:
        head, _, rest = tox.partition(":")
        if head == "detoxify":
            env.update(MULTITRUST_TOXICITY_BACKEND="detoxify", MULTITRUST_DETOXIFY_CHECKPOINT=rest)
        elif head == "judge":
            env["MULTITRUST_TOXICITY_BACKEND"] = "profanity-check"  # unused: the LLM judge scores instead
        else:
            env["MULTITRUST_TOXICITY_BACKEND"] = "api"
            if head == "moderation" and rest:
                env["MULTITRUST_MODERATION_MODEL"] = rest
    env["MULTITRUST_ACTION_CLASSIFIER"] = resolved.action.removeprefix("hf:") if resolved.action else None
    return env


def apply_classifier_env(resolved: Resolved, environ: Any = None) -> None:
    """Point the toxicity and action classifier selection at the profile's choice (they are chosen once
    per process from the environment; the choices made so far are forgotten)."""
    import os

    from multitrust.scoring.classifiers.action import reset_action_backend
    from multitrust.scoring.classifiers.toxicity import reset_backends

    environ = os.environ if environ is None else environ
    for key, value in classifier_env(resolved).items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    reset_backends()
    reset_action_backend()


def role_table(resolved: Resolved | None = None) -> list[dict[str, str]]:
    """One row per role: kind, description, the paper's judge, the fallback, and (with a profile) what fills it."""
    rows = []
    for role in ROLES:
        row = {
            "role": role.name,
            "kind": role.kind,
            "description": role.description,
            "paper": role.paper,
            "fallback": role.fallback,
        }
        if resolved is not None:
            row["judge"] = resolved.effective(role.name)
        rows.append(row)
    return rows
