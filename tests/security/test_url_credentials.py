"""Credentials typed into a model or judge spec (URL userinfo, key-like options) reach only the adapter:
a scan of every file a run, score and report write (run dir and shared cache) and of everything printed
finds no copy of the secret, while the server still answers and the request hash ignores them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from multitrust.core.errors import SpecError
from multitrust.core.redact import redact_spec
from multitrust.core.types import Message, Request
from multitrust.models.spec import load_model, parse_model_spec
from multitrust.testing.server import start_server
from tests.tasks.handmade import f2_tree, t6_tree

SECRET = "SECRETpw42"


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "multitrust", *args], capture_output=True, text=True, timeout=300, env=env
    )


def _files_with_secret(*roots: Path) -> list[str]:
    hits = []
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file() and SECRET.encode() in p.read_bytes():
                hits.append(str(p))
    return hits


def test_no_copy_of_url_credentials_anywhere(tmp_path: Path) -> None:
    data, out, cache = tmp_path / "data", tmp_path / "run", tmp_path / "cache"
    t6_tree(data)
    f2_tree(data)
    env = {**os.environ, "MULTITRUST_CACHE_DIR": str(cache), "COLUMNS": "200"}
    with start_server() as server:
        host = server.url.removeprefix("http://")
        model = f"openai-compat:http://user:{SECRET}@{host}@m?max_retries=0"
        judge = f"openai-compat:http://judge:{SECRET}@{host}@j"
        printed = []
        for args in (
            ["run", "--model", model, "--judge", judge, "--tasks", "T.6,F.2", "--data", str(data), "--out", str(out)],
            ["score", str(out), "--judge", judge],
            ["report", str(out), "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")],
            ["run", "--model", f"openai-compat:ftp://user:{SECRET}@{host}@m", "--out", str(tmp_path / "x")],
            ["run", "--model", f"openai-compat:http://u:{SECRET}@{host}@m?api_key={SECRET}", "--out", str(out)],
        ):
            result = _cli(args, env)
            printed.append(result.stdout + result.stderr)
        answered = server.stats()["chat_requests"]
    assert "bad model spec" in printed[3] and "unknown option 'api_key'" in printed[4], printed
    assert answered > 0  # the credentials did not stop the adapter from connecting
    assert (out / "run.sqlite").is_file() and (out / "report.html").is_file()
    assert _files_with_secret(out, cache, tmp_path / "r.json", tmp_path / "r.html", tmp_path / "x") == []
    assert [i for i, text in enumerate(printed) if SECRET in text] == []


def test_request_hash_ignores_credentials() -> None:
    plain = load_model("openai-compat:http://127.0.0.1:9/v1@m")
    secret = load_model(f"openai-compat:http://user:{SECRET}@127.0.0.1:9/v1@m")
    assert secret.spec == plain.spec == "openai-compat:http://127.0.0.1:9/v1@m"
    msgs = (Message("user", "hi"),)
    assert Request.build(plain.spec, msgs, max_tokens=5).hash == Request.build(secret.spec, msgs, max_tokens=5).hash
    assert parse_model_spec(f"openai-compat:http://user:{SECRET}@127.0.0.1:9/v1@m").base_url == (
        f"http://user:{SECRET}@127.0.0.1:9/v1"  # the adapter still gets them
    )


def test_spec_errors_never_show_credentials() -> None:
    for spec in (
        f"openai-compat:ftp://user:{SECRET}@h/v1@m",
        f"openai-compat:http://user:{SECRET}@h/v1",
        f"openai-compat:http://h/v1@m?api_key={SECRET}",
        f"nope:http://user:{SECRET}@h/v1@m",
    ):
        with pytest.raises(SpecError) as err:
            load_model(spec)
        assert SECRET not in str(err.value), str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"openai-compat:http://user:{SECRET}@h:1/v1@m", "openai-compat:http://h:1/v1@m"),
        (
            f"openai:gpt-4o?api_key={SECRET}&api_key_env=K&max_tokens=3",
            "openai:gpt-4o?api_key=***&api_key_env=K&max_tokens=3",
        ),
        (f"x?token={SECRET}&access_token={SECRET}&monkey=2", "x?token=***&access_token=***&monkey=2"),
        ("openai-compat:http://127.0.0.1:8/v1@m", "openai-compat:http://127.0.0.1:8/v1@m"),
    ],
)
def test_redact_spec(text: str, expected: str) -> None:
    assert redact_spec(text) == expected
    assert redact_spec(expected) == expected


def test_anthropic_base_url_credentials_stay_out_of_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key")
    model = load_model(f"anthropic:claude-x?base_url=http://u:{SECRET}@127.0.0.1:9")
    assert model.spec == "anthropic:claude-x@http://127.0.0.1:9"
    assert SECRET not in repr(model.describe()) and SECRET not in repr(model)


def test_replica_urls_with_credentials_stay_out_of_names_and_specs() -> None:
    model = load_model(f"openai-compat:http://a:{SECRET}@127.0.0.1:9/v1,http://b:{SECRET}@127.0.0.1:10/v1@m")
    assert model.spec == "openai-compat:http://127.0.0.1:9/v1@m"
    assert SECRET not in repr(model.describe())
    with pytest.raises(SpecError) as err:
        parse_model_spec(f"openai-compat:http://a:{SECRET}@h/v1,ftp://b:{SECRET}@h/v1@m").base_urls  # noqa: B018
    assert SECRET not in str(err.value)


def test_sweep_directory_names_and_records_carry_no_credentials() -> None:
    from multitrust.core.redact import redact_tree
    from multitrust.engine.sweep import slug

    with_secret = slug(f"openai-compat:http://u:{SECRET}@127.0.0.1:9/v1@m")
    assert SECRET not in with_secret and with_secret == slug("openai-compat:http://127.0.0.1:9/v1@m")
    record = redact_tree({"models": [f"openai-compat:http://u:{SECRET}@h/v1@m"], "seeds": [0, 1]})
    assert record == {"models": ["openai-compat:http://h/v1@m"], "seeds": [0, 1]}
