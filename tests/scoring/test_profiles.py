"""Judge profiles: packaged profiles load and say what is gone; bad files are one clear line; roles route
judges with task judges first, then the profile's role, then the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from multitrust.core.errors import SpecError
from multitrust.models.spec import load_model
from multitrust.scoring.base import EvalContext
from multitrust.scoring.profiles import classifier_env, load_profile, resolve
from multitrust.scoring.roles import ROLES, role_of


def test_every_role_is_named_and_every_judging_evaluator_has_one() -> None:
    from multitrust.cli_judges import role_evaluators

    used = role_evaluators()
    assert {r.name for r in ROLES} == set(used)  # every role is used by some task, and vice versa
    assert sorted({t for t, _ in used["consistency"]}) == ["T.1", "T.3", "T.4", "T.5", "T.7"]
    assert sorted({t for t, _ in used["harm"]}) == ["S.4", "S.5", "S.6"]
    assert role_of("rule.yes_no") is None  # reads the model's own answer, not a judge


def test_paper_profile_marks_the_gone_judges() -> None:
    r = resolve(load_profile("paper"))
    gone = [n for n in r.notes if "gpt-4-1106-preview" in n]
    assert len(gone) == 7 and all("shut down on 2026-10-23" in n and "stands in" in n for n in gone)
    assert r.role_specs["consistency"] is None  # the offline fallback stands in
    assert r.role_specs["harm"] == "hf:cais/HarmBench-Llama-2-13b-cls"
    assert r.refusal_list == "paper" and r.toxicity == "perspective"


def test_offline_and_open_profiles() -> None:
    off = resolve(load_profile("offline"))
    assert off.notes == [] and off.default is None and all(v is None for v in off.role_specs.values())
    assert classifier_env(off) == {
        "MULTITRUST_TOXICITY_BACKEND": "profanity-check",
        "MULTITRUST_ACTION_CLASSIFIER": None,
    }
    op = resolve(load_profile("open"))
    assert op.default and op.default.startswith("openai-compat:") and op.effective("stereotype") == op.default
    assert op.effective("harm").endswith("@cais/HarmBench-Llama-2-13b-cls")


def test_toxicity_backends_map_to_the_classifier_selection(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("name: t\nroles:\n  toxicity: {judge: 'moderation:omni-moderation-latest'}\n")
    env = classifier_env(resolve(load_profile(p)))
    assert (
        env["MULTITRUST_TOXICITY_BACKEND"] == "api" and env["MULTITRUST_MODERATION_MODEL"] == "omni-moderation-latest"
    )
    p.write_text("name: t\nroles:\n  toxicity: {judge: 'detoxify:/models/tox.ckpt'}\n")
    env = classifier_env(resolve(load_profile(p)))
    assert (
        env["MULTITRUST_TOXICITY_BACKEND"] == "detoxify" and env["MULTITRUST_DETOXIFY_CHECKPOINT"] == "/models/tox.ckpt"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nroles:\n  vibes: {judge: offline}\n", "unknown role 'vibes'"),
        ("name: x\nroles:\n  toxicity: {judge: 'hf:foo'}\n", "is not a toxicity backend"),
        ("name: x\nroles:\n  consistency: {judge: 'gpt-4o'}\n", "role 'consistency'"),
        ("name: x\nroles:\n  harm: {judge: 'openai:gone', available: false}\n", "needs a stand_in"),
        ("name: x\nroles:\n  refusal: {judge: 'rule:loose'}\n", "not a refusal rule"),
        ("name: x\nroles: [1, 2\n", "not valid YAML"),
        ("name: x\nextra: 1\n", "extra"),
    ],
)
def test_bad_profiles_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(SpecError) as info:
        load_profile(p)
    assert expected in str(info.value) and "\n" not in str(info.value) and str(p) in str(info.value)


def test_unknown_profile_name() -> None:
    with pytest.raises(SpecError, match="unknown judge profile 'nope'"):
        load_profile("nope")


def test_judge_precedence_task_then_role_then_default() -> None:
    default, role, task = load_model("scripted:yes"), load_model("scripted:no"), load_model("scripted:refuse")
    ctx = EvalContext(judge=default, role_judges={"harm": role, "stereotype": None}, task_judges={"S.5": task})
    assert ctx.judge_for("S.4", "harm") is role
    assert ctx.judge_for("S.5", "harm") is task
    assert ctx.judge_for("F.1", "stereotype") is None  # the profile asks for the offline fallback
    assert ctx.judge_for("T.5", "consistency") is default


def test_toxicity_by_an_llm_judge_is_recorded_per_verdict(tmp_path: Path) -> None:
    import asyncio
    import json

    from multitrust.core.types import Sample
    from multitrust.scoring.classifiers.toxicity import moderation_toxicity, parse_toxicity
    from multitrust.testing.server import start_server

    assert parse_toxicity("0.8") == 0.8 and parse_toxicity("Toxicity: .25") == 0.25 and parse_toxicity("1") == 1.0
    assert parse_toxicity("10 out of 10") is None and parse_toxicity("I can't rate that.") is None

    rules = [
        {"match": "Text: you absolute idiot", "reply": "0.9"},
        {"match": "Text: lovely weather", "reply": "0.02"},
        {"match": "Text:", "reply": "I'm ready to assist you. What's your question?"},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rules))
    p = tmp_path / "p.yaml"
    with start_server(reply="echo", reply_file=str(tmp_path / "r.jsonl")) as srv:
        spec = f"openai-compat:{srv.url}@tox"
        p.write_text(f"name: t\nroles:\n  toxicity: {{judge: 'judge:{spec}'}}\n")
        resolved = resolve(load_profile(p))
        assert resolved.role_specs == {"toxicity": spec} and resolved.effective("toxicity") == f"judge:{spec}"
        judge = load_model(spec)
        ctx = EvalContext(role_judges={"toxicity": judge}, judge=load_model("scripted:yes"))
        ev = moderation_toxicity()

        async def go() -> list:
            out = []
            for i, text in enumerate(["you absolute idiot", "lovely weather", "hmm", ""]):
                out.append(await ev.evaluate(Sample(f"S.2/x/{i}", "S.2", "x", ()), text, ctx))
            await judge.aclose()
            return out

        v = asyncio.run(go())
    assert [x.value for x in v] == [0.9, 0.02, None, 0.0]
    assert all(x.backend == f"judge:{spec}" for x in v)
    assert v[2].unscored == "unparsed reply" and v[2].ok
    assert ev.fingerprint(Sample("S.2/x/0", "S.2", "x", ()), ctx)["judge"] == spec
    # without the role's judge, --judge (the default judge) never replaces the toxicity classifier
    plain = EvalContext(judge=load_model("scripted:yes"))
    assert ev.describe(plain, "S.2")["backend"] != "judge:scripted:yes"


def test_a_run_with_the_paper_profile_says_what_is_gone_and_what_stands_in(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, COLUMNS="200", MULTITRUST_CALIBRATION_FILE=str(tmp_path / "c.json"))
    args = ["run", "--model", "scripted:yes", "--tasks", "T.5", "--limit", "2", "--out", str(tmp_path / "r"), "-q"]
    result = subprocess.run(
        [sys.executable, "-m", "multitrust", *args, "--judge-profile", "paper"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "judge profile paper" in line]
    assert len(lines) == 7
    assert "consistency: openai:gpt-4-1106-preview is not available" in result.stderr
    assert "the offline fallback stands in" in lines[0]
    bad = subprocess.run(
        [sys.executable, "-m", "multitrust", *args, "--judge-profile", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert bad.returncode == 2 and "unknown judge profile 'nope'" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.usefixtures("profile_env")
def test_load_judging_applies_the_profile() -> None:
    import os

    from multitrust.engine.scorer import load_judging

    off = load_judging(None, {}, profile="offline", refusal_list=None, seed=0)
    assert off.refusal_list is None and off.judge is None and set(off.role_judges.values()) == {None}
    paper = load_judging(None, {}, profile="paper", refusal_list=None, seed=0)
    assert paper.refusal_list == "paper" and len(paper.notes) == 7
    assert os.environ["MULTITRUST_ACTION_CLASSIFIER"] == "LibrAI/longformer-action-ro"  # undone after the test
    assert paper.role_judges["harm"] is not None and paper.role_judges["harm"].spec.endswith(
        "HarmBench-Llama-2-13b-cls"
    )
    explicit = load_judging("scripted:yes", {"F.1": "scripted:no"}, profile="paper", refusal_list="2025", seed=0)
    assert explicit.refusal_list == "2025"  # an explicit --refusal-list wins
    ctx = explicit.context("fixed")
    assert ctx.judge_for("T.5", "consistency").spec == "scripted:yes"  # --judge replaces the offline stand-in
    assert ctx.judge_for("S.4", "harm").spec.endswith("HarmBench-Llama-2-13b-cls")  # the profile's model stays
    assert ctx.judge_for("F.1", "stereotype").spec == "scripted:no"  # --task-judge first
    assert ctx.judge_for("X.1", None).spec == "scripted:yes"  # and everything without a role
