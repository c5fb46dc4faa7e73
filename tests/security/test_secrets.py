"""Secrets suite: keys in the environment (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``HF_TOKEN``, a custom
``api_key_env`` variable) and in files the CLI reads (a run config, a judge profile, a replicas file: keys
as URL userinfo) never reach disk or the console. ``run``, ``score`` and ``report`` run with ``--verbose``
against loopback servers that quote every request header (Authorization, x-api-key) in their error
messages, so the failing calls' exceptions carry the credentials: 500s of the model under test, a 401
judge, a 404 Anthropic endpoint, a dead endpoint, failed and successful judge calls. Then every file
written and everything printed is scanned for each key, its base64 and its URL-encoded forms."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from multitrust.testing.server import start_server
from tests.tasks.handmade import t6_tree
from tests.tasks.handmade_fairness import f1_tree
from tests.tasks.handmade_truthfulness import t3_tree, t5_tree

pytestmark = pytest.mark.timeout(300)

OPENAI_KEY = "sk-mtOPENAI+7f3a/9c2eK"
ANTHROPIC_KEY = "sk-ant-mtANTH5d1e+8b/Q"
HF_TOKEN = "hf_mtHFTOKEN9c4b2aZ"
CUSTOM_KEY = "mtCUSTOM+3e7f/1dW"  # in MT_JUDGE_CRED, a name that does not look like a key's
#: URL passwords and tokens typed into files and options: (user, password as sent, as written in the URL)
CONFIG_PW = ("mtuser", "mtURLpw+8b2c", "mtURLpw%2B8b2c")
REPLICA_PW = ("rep", "mtREPpw/77c1", "mtREPpw%2F77c1")
PROFILE_PW = ("prof", "mtPROFpw5e9a", "mtPROFpw5e9a")
SCORE_PW = ("scorer", "mtSCOREpw3c8d", "mtSCOREpw3c8d")
DEAD_TOKEN = "mtDEADtok6a1b"  # a token given as the URL's user name


def forms(secret: str, user: str | None = None) -> set[str]:
    """How a secret can show up: itself, URL-encoded, base64 (standard, URL-safe, unpadded), and for a URL
    password the base64 of ``user:password`` (an HTTP Basic header)."""
    values = {secret, quote(secret, safe=""), quote_plus(secret)}
    raws = [secret.encode()] + ([f"{user}:{secret}".encode()] if user else [])
    for raw in raws:
        for enc in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            values |= {enc.decode(), enc.decode().rstrip("=")}
    return values


SECRETS: dict[str, set[str]] = {
    "OPENAI_API_KEY": forms(OPENAI_KEY),
    "ANTHROPIC_API_KEY": forms(ANTHROPIC_KEY),
    "HF_TOKEN": forms(HF_TOKEN),
    "MT_JUDGE_CRED": forms(CUSTOM_KEY),
    "config file URL": forms(CONFIG_PW[1], CONFIG_PW[0]),
    "replicas file URL": forms(REPLICA_PW[1], REPLICA_PW[0]),
    "judge profile URL": forms(PROFILE_PW[1], PROFILE_PW[0]),
    "score --judge URL": forms(SCORE_PW[1], SCORE_PW[0]),
    "dead endpoint token": forms(DEAD_TOKEN),
}


def leaks(name: str, blob: bytes) -> list[str]:
    """``"name: secret"`` for each secret that occurs in ``blob`` in any of its forms."""
    return [f"{name}: {secret}" for secret, values in SECRETS.items() if any(v.encode() in blob for v in values)]


def with_userinfo(url: str, cred: tuple[str, str, str]) -> str:
    return url.replace("http://", f"http://{cred[0]}:{cred[2]}@")


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "multitrust", *args], capture_output=True, text=True, timeout=240, env=env, cwd=cwd
    )


def test_no_secret_reaches_a_file_or_the_console(tmp_path: Path) -> None:
    inputs, work, cache = tmp_path / "inputs", tmp_path / "work", tmp_path / "cache"
    data = work / "data"
    for make in (t3_tree, t5_tree, t6_tree, f1_tree):
        make(data)
    inputs.mkdir()
    out = work / "run"
    env = {
        **os.environ,
        "COLUMNS": "200",
        "OPENAI_API_KEY": OPENAI_KEY,
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "HF_TOKEN": HF_TOKEN,
        "MT_JUDGE_CRED": CUSTOM_KEY,
        "MULTITRUST_CACHE_DIR": str(cache / "multitrust"),
        "XDG_CACHE_HOME": str(cache),
    }
    printed: list[tuple[str, str]] = []
    codes: list[int] = []
    with start_server() as gone:
        dead = gone.url  # nothing listens there once it stops
    with (
        start_server(echo_headers=True, fail_rate=0.25, seed=5, reply="yes") as model_a,
        start_server(echo_headers=True, fail_rate=0.25, seed=6, reply="yes") as model_b,
        start_server(echo_headers=True, fail_rate=0.2, seed=7, reply="fixed:Yes") as openai_api,
        start_server(echo_headers=True, api_key="the-right-key") as guarded,
    ):
        env["OPENAI_BASE_URL"] = openai_api.url  # openai:gpt-4o goes to loopback with OPENAI_API_KEY
        replicas = inputs / "replicas.txt"
        replicas.write_text(with_userinfo(model_b.url, REPLICA_PW) + "\n")
        profile = inputs / "profile.yaml"
        profile_judge = with_userinfo(guarded.url, PROFILE_PW) + "@guard?api_key_env=MT_JUDGE_CRED&max_retries=0"
        profile.write_text(f"name: leaky\nroles:\n  stereotype: {{judge: 'openai-compat:{profile_judge}'}}\n")
        config = inputs / "run.yaml"
        config.write_text(
            f"model: 'openai-compat:{with_userinfo(model_a.url, CONFIG_PW)}@m?max_retries=1&replicas_file={replicas}'\n"
            "tasks: [T.3, T.5, T.6, F.1]\n"
            f"data: '{data}'\n"
            f"out: '{out}'\n"
            "judge: 'openai:gpt-4o?max_retries=1'\n"
            f"judge_profile: '{profile}'\n"
            "task_judges:\n"
            f"  T.5: 'anthropic:claude-3-5-haiku-latest?base_url={model_a.url.removesuffix('/v1')}&max_retries=0'\n"
            "bootstrap: 0\n"
        )
        steps = {
            # preflight meets the 401 judge (its message quotes the request's Authorization header)
            "run (preflight)": ["run", "--config", str(config), "--verbose", "-q"],
            # the run itself: model 500s quoting headers, 401 and 404 judge calls, successful judge calls
            "run": ["run", "--config", str(config), "--verbose", "-q", "--no-preflight"],
            # a dead judge whose URL carries a token: preflight says it is unreachable
            "score (dead judge)": [
                "score", str(out), "-v", "-q", "--task-judge", f"T.3=openai-compat:http://{DEAD_TOKEN}@"
                f"{dead.removeprefix('http://')}@dead",
            ],
            # judge calls that fail with 401, the URL password and the custom key both in the echoed headers
            "score": [
                "score", str(out), "-v", "-q", "--no-preflight", "--judge",
                f"openai-compat:{with_userinfo(guarded.url, SCORE_PW)}@j?api_key_env=MT_JUDGE_CRED&max_retries=0",
            ],
            "report": [
                "report", str(out), "-v", "--json", str(work / "r.json"), "--html", str(work / "r.html"),
                "--csv", str(work / "r.csv"), "--samples", str(work / "s.jsonl"),
            ],
        }  # fmt: skip
        for name, args in steps.items():
            result = cli(args, env, work)
            codes.append(result.returncode)
            printed.append((f"{name} stdout", result.stdout))
            printed.append((f"{name} stderr", result.stderr))
        served = {
            "model": model_a.stats()["chat_requests"] + model_b.stats()["chat_requests"],
            "openai": openai_api.stats(),
            "guarded": guarded.stats()["statuses"],
        }

    # the scenario happened: failures quoting headers, judge calls, a dead endpoint, every file written
    by_name = dict(printed)
    assert codes[0] == 2 and "preflight: judge (stereotype) guard @ " in by_name["run (preflight) stderr"]
    assert "HTTP 401" in by_name["run (preflight) stderr"] and "request headers" in by_name["run (preflight) stderr"]
    assert codes[1] in (0, 1, 3), by_name["run stderr"]
    assert "injected fault 500 (request headers" in by_name["run stderr"]  # verbose: a retried model call
    assert "HTTP 404" in by_name["run stderr"] and "HTTP 401" in by_name["run stderr"]  # anthropic, the profile judge
    assert "answered in" in by_name["run stderr"]  # verbose: successful judge calls
    assert codes[2] == 2 and "is unreachable" in by_name["score (dead judge) stderr"]
    assert codes[3] == 3 and "HTTP 401" in by_name["score stderr"]
    assert codes[4] == 0 and "report: writing HTML" in by_name["report stderr"]
    assert served["model"] > 0 and served["openai"]["faults"].get("500", 0) > 0 and served["guarded"]["401"] > 0
    assert "Traceback" not in "".join(text for _, text in printed)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and inputs not in p.parents]
    names = {p.name for p in written}
    assert {"run.sqlite", "config.json", "report.json", "report.html", "r.csv", "s.jsonl"} <= names
    assert any(p.is_relative_to(cache) for p in written)  # the shared cache was written too

    found = [hit for p in written for hit in leaks(str(p.relative_to(tmp_path)), p.read_bytes())]
    found += [hit for name, text in printed for hit in leaks(name, text.encode())]
    assert found == [], found  # "where: which secret"


def test_registered_secrets_are_scrubbed_in_every_form() -> None:
    from multitrust.core.redact import redact_text, remember_secret, remember_url_credentials

    remember_secret("mtUNIT+key/42")
    remember_url_credentials("http://unit:mtUNITpw%2B9@127.0.0.1:9/v1")
    basic = base64.b64encode(b"unit:mtUNITpw+9").decode()
    text = f"a mtUNIT+key/42 b {quote('mtUNIT+key/42', safe='')} c Basic {basic} d mtUNITpw+9 e"
    assert redact_text(text) == "a *** b *** c Basic *** d *** e"
    assert redact_text("nothing secret here: api.example.org") == "nothing secret here: api.example.org"


def test_a_server_message_is_scrubbed_before_it_is_cut() -> None:
    """A key that straddles the cut of a long server message must not leave its first half behind."""
    from multitrust.models.openai_api import OpenAIChatModel
    from multitrust.models.remote import MAX_REASON_CHARS

    model = OpenAIChatModel("m", spec="openai-compat:http://127.0.0.1:9/v1@m", base_url="http://127.0.0.1:9/v1",
                            api_key="mtCUTkey0123456789")  # fmt: skip
    text = "x" * (MAX_REASON_CHARS - 8) + " mtCUTkey0123456789 tail"
    assert "mtCUTk" not in model._scrub(text)


def test_a_toxicity_apis_message_is_scrubbed_before_it_is_cut() -> None:
    from multitrust.models.remote import MAX_REASON_CHARS
    from multitrust.scoring.classifiers.toxicity import PerspectiveBackend

    backend = PerspectiveBackend(api_key="AIzaCUTkey0123456789", url="http://127.0.0.1:9/v1")
    text = "x" * (MAX_REASON_CHARS - 8) + " AIzaCUTkey0123456789 tail"
    assert "AIzaCU" not in backend._scrub(text)
