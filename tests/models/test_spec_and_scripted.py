import asyncio
import json
from pathlib import Path

import pytest

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.types import Message, Request
from multitrust.models.scripted import CANNED, RANDOM_ANSWERS
from multitrust.models.spec import load_model, parse_model_spec


def ask(model, text: str = "Is the sky blue?", context: str | None = None) -> str:  # type: ignore[no-untyped-def]
    req = Request.build(model.spec, (Message("user", text),), max_tokens=20, context=context)
    return asyncio.run(model.generate(req)).text


def test_parse_specs() -> None:
    s = parse_model_spec("openai-compat:http://127.0.0.1:8000/v1@my-model?timeout=5&api_key_env=K")
    assert (s.kind, s.base_url, s.target) == ("openai-compat", "http://127.0.0.1:8000/v1", "my-model")
    assert s.options == {"timeout": "5", "api_key_env": "K"}
    assert s.canonical == "openai-compat:http://127.0.0.1:8000/v1@my-model"
    assert parse_model_spec("openai:gpt-4o").canonical == "openai:gpt-4o"
    assert parse_model_spec("scripted:replay:a?b.jsonl").target == "replay:a?b.jsonl"


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("gpt-4o", "expected KIND:NAME"),
        ("foo:bar", "unknown kind 'foo'"),
        ("openai-compat:http://x/v1", "openai-compat:<base_url>@<model>"),
        ("openai-compat:localhost:8000@m", "must start with http"),
        ("scripted:shout", "unknown mode"),
        ("openai-compat:http://x/v1@m?bogus=1", "unknown option 'bogus'"),
        ("openai-compat:http://x/v1@m?timeout=soon", "timeout='soon' is not a float"),
        ("scripted:replay:/no/such/file.jsonl", "file not found"),
        ("openai:gpt-4o", "OPENAI_API_KEY"),
    ],
)
def test_bad_specs_give_one_clear_line(spec: str, fragment: str) -> None:
    with pytest.raises(SpecError) as err:
        load_model(spec)
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message


def test_missing_named_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(SpecError, match="MY_KEY"):
        load_model("openai-compat:http://127.0.0.1:9/v1@m?api_key_env=MY_KEY")


@pytest.mark.parametrize("mode", ["refuse", "comply", "yes", "no"])
def test_fixed_modes(mode: str) -> None:
    assert ask(load_model(f"scripted:{mode}")) == CANNED[mode]


def test_echo_returns_prompt() -> None:
    assert ask(load_model("scripted:echo"), "repeat me") == "repeat me"


def test_random_is_seeded_and_keyed_by_request() -> None:
    a, b = load_model("scripted:random", seed=1), load_model("scripted:random", seed=1)
    prompts = [f"question {i}" for i in range(40)]
    answers = [ask(a, p) for p in prompts]
    assert answers == [ask(b, p) for p in reversed(prompts)][::-1]
    assert set(answers) <= set(RANDOM_ANSWERS)
    assert len(set(answers)) > 3
    other = [ask(load_model("scripted:random", seed=2), p) for p in prompts]
    assert other != answers
    assert a.spec != load_model("scripted:random", seed=2).spec, "seed must be part of the cache key"


def test_replay(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    lines = [
        {"id": "T.6/confusion/0001", "response": "exact"},
        {"id": "T.6/*", "response": "task pattern"},
        {"id": "T.6/confusion/*", "response": "variant pattern"},
        {"id": "F.2/text/9", "error": "simulated outage"},
        {"id": "*", "response": "fallback"},
    ]
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    m = load_model(f"scripted:replay:{f}")
    assert m.per_sample
    assert ask(m, context="T.6/confusion/0001") == "exact"
    assert ask(m, context="T.6/confusion/0002") == "variant pattern"
    assert ask(m, context="T.6/other/0002") == "task pattern"
    assert ask(m, context="R.1/x/1") == "fallback"
    with pytest.raises(ModelCallError, match="simulated outage"):
        ask(m, context="F.2/text/9")
    spec_before = m.spec
    f.write_text(json.dumps({"id": "*", "response": "changed"}) + "\n")
    assert load_model(f"scripted:replay:{f}").spec != spec_before, "editing the file must invalidate the cache"


def test_replay_without_fallback_and_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text(json.dumps({"id": "a", "response": "x"}) + "\n")
    with pytest.raises(ModelCallError, match="no response for sample 'b'"):
        ask(load_model(f"scripted:replay:{f}"), context="b")
    f.write_text('{"id": "a"}\n')
    with pytest.raises(SpecError, match=r"r.jsonl:1"):
        load_model(f"scripted:replay:{f}")
