"""Preflight against real loopback servers with the real ``openai`` client: a text-only endpoint, a dead
one, an unknown or shut-down model, a rejected key, judges; each ends before any work with one line
naming the endpoint and the server's own message."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tasks.handmade import f2_tree, t6_tree

from multitrust import api
from multitrust.core.taxonomy import TASK_BY_ID
from multitrust.engine.config import RunConfig
from multitrust.engine.preflight import PreflightError, Probe, preflight
from multitrust.engine.store import RunStore
from multitrust.models.spec import load_model
from multitrust.scoring.metrics import rate
from multitrust.tasks import registry
from multitrust.tasks.spec import Task, Variant, json_records
from multitrust.testing.server import TEXT_ONLY_ERROR, start_server

pytestmark = pytest.mark.timeout(120)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, COLUMNS="300", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "multitrust", *args], capture_output=True, text=True, timeout=120, env=full_env
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    t6_tree(root)
    f2_tree(root)
    return root


def test_text_only_endpoint_fails_preflight_with_the_servers_message(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    with start_server(text_only=True) as srv:
        model = f"openai-compat:{srv.url}@smollm"
        result = cli("run", "--model", model, "--tasks", "T.6", "--data", str(data), "--out", str(out), "-q")
        stats = srv.stats()
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = error_lines(result)
    assert line.startswith("error: preflight: model under test smollm @ " + srv.url)
    assert f"rejects image input: HTTP 500: {TEXT_ONLY_ERROR}" in line and "--allow-text-only" in line
    assert "Traceback" not in result.stderr
    assert not out.exists()  # before any work
    assert stats["chat_requests"] == 1 + 2  # the text probe, then the image probe (the same 500 twice)


def test_dead_endpoint_fails_preflight(data: Path, tmp_path: Path) -> None:
    with start_server() as srv:
        url = srv.url  # the port is closed once the server stops
    result = cli(
        "run", "--model", f"openai-compat:{url}@m", "--tasks", "T.6", "--data", str(data), "--out", str(tmp_path / "r")
    )
    assert result.returncode == 2
    (line,) = error_lines(result)
    assert f"preflight: model under test m @ {url} is unreachable: connection error" in line
    assert not (tmp_path / "r").exists()


def test_unknown_model_fails_preflight_naming_the_served_ones(data: Path, tmp_path: Path) -> None:
    with start_server(models=("alpha", "beta")) as srv:
        result = cli(
            "run",
            "--model",
            f"openai-compat:{srv.url}@gamma",
            "--tasks",
            "T.6",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "r"),
        )
    assert result.returncode == 2
    (line,) = error_lines(result)
    assert "HTTP 404: The model `gamma` does not exist or you do not have access to it." in line
    assert "(the server lists: alpha, beta)" in line


def test_shut_down_model_is_found_by_the_official_models_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the provider's API the models list is authoritative: a model it no longer offers (here the paper's
    judge) fails before any completion is sent. The SDK's OPENAI_BASE_URL points the client at loopback."""
    with start_server(models=("gpt-4o", "gpt-4o-mini")) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
        judge = load_model("openai:gpt-4-1106-preview")
        live = load_model("openai:gpt-4o")

        async def go() -> None:
            try:
                await preflight([Probe("judge", judge), Probe("judge", live)])
            finally:
                await judge.aclose()
                await live.aclose()

        with pytest.raises(PreflightError) as info:
            asyncio.run(go())
        stats = srv.stats()
    (line,) = info.value.problems
    assert line.startswith(f"preflight: judge gpt-4-1106-preview @ {srv.url}")
    assert "model 'gpt-4-1106-preview' is not offered there" in line
    assert "sk-test" not in line
    assert stats["models"] == {"gpt-4o": 1}  # only the live model got its 1-token completion


def test_rejected_key_fails_preflight_with_the_servers_message(data: Path, tmp_path: Path) -> None:
    with start_server(api_key="right-key") as srv:
        spec = f"openai-compat:{srv.url}@m?api_key_env=MT_KEY"
        result = cli(
            "run", "--model", spec, "--tasks", "T.6", "--data", str(data), "--out", str(tmp_path / "r"),
            env={"MT_KEY": "wrong-key-0123"},
        )  # fmt: skip
    assert result.returncode == 2
    (line,) = error_lines(result)
    assert "HTTP 401: Incorrect API key provided" in line
    assert "wrong-key" not in result.stderr + result.stdout


def test_credentials_in_the_url_are_never_printed(data: Path, tmp_path: Path) -> None:
    with start_server() as srv:
        url = srv.url
    spec = f"openai-compat:{url.replace('http://', 'http://user:hunter2@')}@m"
    result = cli("run", "--model", spec, "--tasks", "T.6", "--data", str(data), "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "unreachable" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_no_preflight_skips_the_probe(data: Path, tmp_path: Path) -> None:
    with start_server() as srv:
        model = f"openai-compat:{srv.url}@m"
        result = cli(
            "run", "--model", model, "--tasks", "T.6", "--data", str(data), "--out", str(tmp_path / "r"), "-q",
            "--no-preflight",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert srv.stats()["chat_requests"] == 10  # the ten T.6 samples, no probe


def test_allow_text_only_runs_text_variants_and_records_the_rest_as_not_run(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    with start_server(text_only=True, reply="fixed:I agree.") as srv:
        model = f"openai-compat:{srv.url}@smollm"
        result = cli(
            "run", "--model", model, "--tasks", "F.2", "--data", str(data), "--out", str(out), "-q",
            "--allow-text-only",
        )  # fmt: skip
        stats = srv.stats()
    assert result.returncode == 0, result.stdout + result.stderr
    assert stats["images"] == 0 and stats["chat_requests"] == 1 + 4  # the text probe + the 4 statements
    assert stats["statuses"] == {"200": 1 + 1 + 4}  # and the models list
    assert "F.2: not run (text only): image, unrelated-color, unrelated-nature, unrelated-noise" in result.stdout
    with RunStore.open_existing(out) as store:
        assert {s.sample.variant for s in store.samples("F.2")} == {"text"}
        assert store.get_meta("not_run_variants") == {
            "reason": "text-only run (--allow-text-only)",
            "tasks": {"F.2": ["image", "unrelated-color", "unrelated-nature", "unrelated-noise"]},
        }
    assert json.loads((out / "config.json").read_text())["config"]["text_only"] is True


# ------------------------------------------------------------------------------------------- judges


@pytest.fixture
def judge_tree(judged_text_task) -> Path:  # type: ignore[no-untyped-def]
    """T.5 replaced by a one-variant text task scored by an LLM judge, over two questions."""
    return judged_text_task([{"query": "aaaa bbbb cccc", "truth": "four"}] * 2)


def test_dead_judge_fails_preflight_and_nothing_is_run(judge_tree: Path, tmp_path: Path) -> None:
    with start_server() as dead:
        url = dead.url
    cfg = RunConfig(
        model="scripted:yes",
        tasks=["T.5"],
        data=str(judge_tree),
        out=str(tmp_path / "r"),
        judge=f"openai-compat:{url}@j",
    )
    with pytest.raises(PreflightError) as info:
        api.run(cfg, preflight=True)
    (line,) = info.value.problems
    assert line.startswith(f"preflight: judge (consistency) j @ {url} is unreachable: connection error")
    assert not (tmp_path / "r").exists()


def test_judge_is_probed_only_when_a_selected_task_calls_it(data: Path, tmp_path: Path) -> None:
    with start_server() as dead:
        url = dead.url
    cfg = RunConfig(
        model="scripted:yes", tasks=["T.6"], data=str(data), out=str(tmp_path / "r"), judge=f"openai-compat:{url}@j"
    )
    summary = api.run(cfg, preflight=True)  # T.6 is scored by a rule: the dead judge is never needed
    assert summary.scores["T.6"].n_samples == 10


def test_live_judge_passes_with_one_probe(judge_tree: Path, tmp_path: Path) -> None:
    with start_server(reply="fixed:Yes") as judge:
        cfg = RunConfig(
            model="scripted:echo",
            tasks=["T.5"],
            data=str(judge_tree),
            out=str(tmp_path / "r"),
            judge=f"openai-compat:{judge.url}@j",
            bootstrap=0,
        )
        summary = api.run(cfg, preflight=True)
        stats = judge.stats()
    assert summary.scores["T.5"].score == 100.0
    assert stats["chat_requests"] == 1 + 2  # the probe, then one verdict per sample


def test_a_hanging_endpoint_fails_preflight_after_one_timeout() -> None:
    with start_server(hang_rate=1.0, hang_s=5) as srv:
        model = load_model(f"openai-compat:{srv.url}@m?timeout=0.5")

        async def go() -> None:
            try:
                await preflight([Probe("model under test", model)])
            finally:
                await model.aclose()

        with pytest.raises(PreflightError) as info:
            asyncio.run(go())
        assert srv.stats()["chat_requests"] == 1
    (line,) = info.value.problems
    assert line == f"preflight: model under test m @ {srv.url}: timed out after 0.5s"


def test_scripted_models_need_no_probe() -> None:
    asyncio.run(preflight([Probe("model under test", load_model("scripted:yes"), images=True)]))


def test_a_dead_toxicity_api_fails_preflight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from multitrust.scoring.classifiers.toxicity import PerspectiveBackend, RetryPolicy, ToxicityEvaluator

    with start_server() as srv:
        dead = srv.url
    backend = PerspectiveBackend(api_key="AIza-test-key-123456", url=dead, policy=RetryPolicy(backoff_base=0.01))
    source = json_records("rows.json", image=None)
    variant = Variant("text", source, "{query}", ToxicityEvaluator("perspective", backend), rate("x"), max_tokens=30)
    monkeypatch.setitem(
        registry.IMPLEMENTED, "S.2", Task(info=TASK_BY_ID["S.2"], variants=(variant,), score=lambda m: 0)
    )
    root = tmp_path / "data"
    root.mkdir()
    (root / "rows.json").write_text(json.dumps([{"query": "q"}]))
    cfg = RunConfig(model="scripted:comply", tasks=["S.2"], data=str(root), out=str(tmp_path / "r"))
    with pytest.raises(PreflightError) as info:
        api.run(cfg, preflight=True)
    (line,) = info.value.problems
    assert line.startswith(f"preflight: toxicity classifier {backend.name}: ")
    assert backend.attempts == 2  # one retry at most, then the run never starts
    assert "AIza-test" not in line and not (tmp_path / "r").exists()


def test_every_replica_of_a_pool_is_probed(data: Path, tmp_path: Path) -> None:
    with start_server() as good, start_server(text_only=True) as bad:
        result = cli(
            "run", "--model", f"openai-compat:{good.url},{bad.url}@m", "--tasks", "T.6", "--data", str(data),
            "--out", str(tmp_path / "r"),
        )  # fmt: skip
        assert good.stats()["images"] == 1  # the good replica took the image probe
    assert result.returncode == 2
    (line,) = error_lines(result)
    assert line.startswith(f"error: preflight: model under test m @ {bad.url} rejects image input")


# ------------------------------------------------------------------------------ judges of profile roles


@pytest.fixture
def two_role_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """T.5 replaced by a text task with two variants judged in two roles: consistency and stereotype. The
    classifier selection a profile writes into the environment is put back afterwards."""
    from multitrust.scoring.judge import ANSWER_MATCH, LLMJudge, parse_yes_no
    from multitrust.tasks.spec import VariantMetrics

    for key in ("MULTITRUST_TOXICITY_BACKEND", "MULTITRUST_ACTION_CLASSIFIER", "MULTITRUST_MODERATION_MODEL"):
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)
    source = json_records("qa.json", image=None, target=lambda r: r["truth"])
    consistency = LLMJudge("consistency", "R:{pred} T:{label}", parse=parse_yes_no, fallback=ANSWER_MATCH)
    stereotype = LLMJudge("f1_stereotype", "S:{pred}", parse=parse_yes_no, fallback=ANSWER_MATCH)
    task = Task(
        info=TASK_BY_ID["T.5"],
        variants=(
            Variant("a", source, "{query}", consistency, rate("accuracy"), max_tokens=20),
            Variant("b", source, "{query}?", stereotype, rate("accuracy"), max_tokens=20),
        ),
        score=lambda m: 100 * VariantMetrics(m).get_metric("a", "accuracy"),
    )
    monkeypatch.setitem(registry.IMPLEMENTED, "T.5", task)
    root = tmp_path / "data"
    root.mkdir()
    (root / "qa.json").write_text(json.dumps([{"query": f"q{i}", "truth": "x"} for i in range(4)]))
    return root


def write_profile(path: Path, roles: dict[str, str], default: str | None = None) -> str:
    lines = ["name: test", *([f"default: {default}"] if default else []), "roles:"]
    lines += [f"  {role}: {{judge: '{spec}'}}" for role, spec in roles.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_dead_judge_of_a_profile_role_fails_preflight_naming_the_role(two_role_tree: Path, tmp_path: Path) -> None:
    with start_server() as dead:
        dead_url = dead.url
    with start_server(reply="fixed:Yes") as live:
        profile = write_profile(
            tmp_path / "p.yaml", {"stereotype": f"openai-compat:{dead_url}@gone"}, default=f"openai-compat:{live.url}@j"
        )
        cfg = RunConfig(
            model="scripted:echo", tasks=["T.5"], data=str(two_role_tree), out=str(tmp_path / "r"),
            judge_profile=profile,
        )  # fmt: skip
        with pytest.raises(PreflightError) as info:
            api.run(cfg)  # preflight is on by default in the Python API too
        stats = live.stats()
    (line,) = info.value.problems
    assert line.startswith(f"preflight: judge (stereotype) gone @ {dead_url} is unreachable: connection error")
    assert stats["chat_requests"] == 1  # the live default judge (consistency) got its probe, no verdict
    assert not (tmp_path / "r").exists()


def test_an_unknown_model_of_a_profile_role_fails_with_the_servers_message(two_role_tree: Path, tmp_path: Path) -> None:
    with start_server(models=("served",), reply="fixed:Yes") as srv:
        profile = write_profile(tmp_path / "p.yaml", {"consistency": f"openai-compat:{srv.url}@missing"})
        cfg = RunConfig(
            model="scripted:echo", tasks=["T.5"], data=str(two_role_tree), out=str(tmp_path / "r"),
            judge_profile=profile, judge=f"openai-compat:{srv.url}@served",
        )  # fmt: skip
        with pytest.raises(PreflightError) as info:
            api.run(cfg)
    (line,) = info.value.problems  # --judge fills the stereotype role and passes
    assert line.startswith(f"preflight: judge (consistency) missing @ {srv.url}: HTTP 404: The model `missing`")
    assert line.endswith("(the server lists: served)")


def test_one_probe_per_judge_spec_naming_every_role_it_fills(two_role_tree: Path, tmp_path: Path) -> None:
    with start_server() as dead:
        url = dead.url
    spec = f"openai-compat:{url}@j"
    profile = write_profile(tmp_path / "p.yaml", {"consistency": spec, "stereotype": spec})
    cfg = RunConfig(
        model="scripted:echo", tasks=["T.5"], data=str(two_role_tree), out=str(tmp_path / "r"), judge_profile=profile
    )
    with pytest.raises(PreflightError) as info:
        api.run(cfg)
    (line,) = info.value.problems
    assert line.startswith(f"preflight: judge (consistency, stereotype) j @ {url} is unreachable")


def test_a_keyless_judge_of_a_profile_role_is_one_line_naming_the_role(
    two_role_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multitrust.core.errors import SpecError

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    profile = write_profile(tmp_path / "p.yaml", {"stereotype": "openai:gpt-4.1-mini"})
    cfg = RunConfig(
        model="scripted:echo", tasks=["T.5"], data=str(two_role_tree), out=str(tmp_path / "r"), judge_profile=profile
    )
    with pytest.raises(SpecError) as info:
        api.run(cfg)
    assert str(info.value) == (
        "judge of role stereotype (profile test): model openai:gpt-4.1-mini: set OPENAI_API_KEY "
        "(or name another variable with ?api_key_env=)"
    )
    assert not (tmp_path / "r").exists()


def test_a_profile_role_judge_stopped_by_fail_fast_is_reported(two_role_tree: Path, tmp_path: Path) -> None:
    with start_server(models=("another-model",)) as srv:
        profile = write_profile(tmp_path / "p.yaml", {"stereotype": f"openai-compat:{srv.url}@gone?concurrency=1"})
        cfg = RunConfig(
            model="scripted:echo", tasks=["T.5"], data=str(two_role_tree), out=str(tmp_path / "r"),
            judge_profile=profile, concurrency=1, bootstrap=0,
        )  # fmt: skip
        summary = api.run(cfg, preflight=False)
    (stop,) = summary.stopped  # the role's judge, stopped after its 404s: on the console and exit 1
    assert (stop["role"], stop["model"], stop["endpoint"]) == ("judge", "gone", srv.url)


def test_the_api_and_the_cli_agree_preflight_is_on_unless_turned_off(judge_tree: Path, tmp_path: Path) -> None:
    with start_server() as dead:
        url = dead.url
    cfg = RunConfig(
        model="scripted:yes", tasks=["T.5"], data=str(judge_tree), out=str(tmp_path / "r"),
        judge=f"openai-compat:{url}@j?max_retries=0", bootstrap=0,
    )  # fmt: skip
    with pytest.raises(PreflightError):
        api.run(cfg)
    summary = api.run(cfg, preflight=False)  # skipped: the dead judge fails its verdicts instead
    assert summary.scores["T.5"].n_errors == 2


# --------------------------------------------------------------------------------------- the run lock


def test_a_busy_run_directory_is_reported_before_any_probe(data: Path, tmp_path: Path) -> None:
    from multitrust.core.errors import StoreError
    from multitrust.engine.store import RunLock

    out = tmp_path / "r"
    with start_server() as srv:
        cfg = RunConfig(model=f"openai-compat:{srv.url}@m", tasks=["T.6"], data=str(data), out=str(out))
        with RunLock(out, "run"), pytest.raises(StoreError, match="is in use by multitrust run"):
            api.run(cfg)
        assert srv.stats()["requests"] == 0  # the lock answered first: no listing, no completion


def test_a_failed_preflight_leaves_an_existing_run_directory_as_it_was(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    api.run(RunConfig(model="scripted:yes", tasks=["T.6"], data=str(data), out=str(out)))
    before = sorted(p.name for p in out.iterdir())
    with start_server() as dead:
        url = dead.url
    cfg = RunConfig(model=f"openai-compat:{url}@m", tasks=["T.6"], data=str(data), out=str(out))
    with pytest.raises(PreflightError):
        api.run(cfg)
    assert sorted(p.name for p in out.iterdir()) == before  # its lock file and store included
    assert "run.lock" in before


# ------------------------------------------------------------------------------------ preflight in score


@pytest.fixture
def scored_run(judge_tree: Path, tmp_path: Path) -> Path:
    """A finished T.5 run scored with the offline fallback (no judge)."""
    out = tmp_path / "run"
    api.run(RunConfig(model="scripted:echo", tasks=["T.5"], data=str(judge_tree), out=str(out), bootstrap=0))
    return out


def test_score_with_a_dead_judge_fails_preflight_before_any_judgement(scored_run: Path) -> None:
    with start_server() as dead:
        url = dead.url
    with RunStore.open_existing(scored_run) as store:
        before = len(store.invocations())
    with pytest.raises(PreflightError) as info:
        api.score(scored_run, judge=f"openai-compat:{url}@j?max_retries=0")
    (line,) = info.value.problems
    assert line.startswith(f"preflight: judge (consistency) j @ {url} is unreachable: connection error")
    with RunStore.open_existing(scored_run) as store:
        assert len(store.invocations()) == before  # nothing was judged, no invocation recorded
    skipped = api.score(scored_run, judge=f"openai-compat:{url}@j?max_retries=0", preflight=False)
    assert (skipped.judged, skipped.judge_errors) == (2, 2)  # without the probe: every judge call fails


def test_score_probes_a_dead_profile_role_judge(scored_run: Path, tmp_path: Path) -> None:
    with start_server() as dead:
        url = dead.url
    profile = write_profile(tmp_path / "p.yaml", {"consistency": f"openai-compat:{url}@role-judge"})
    with pytest.raises(PreflightError) as info:
        api.score(scored_run, judge_profile=profile)
    (line,) = info.value.problems
    assert line.startswith(f"preflight: judge (consistency) role-judge @ {url} is unreachable")


def test_score_with_every_verdict_cached_needs_no_judge(scored_run: Path) -> None:
    with start_server(reply="fixed:Yes") as srv:
        spec = f"openai-compat:{srv.url}@j"
        first = api.score(scored_run, judge=spec)
        assert (first.judged, first.judge_errors) == (2, 0)
        assert srv.stats()["chat_requests"] == 1 + 2  # the probe, then one verdict per sample
    again = api.score(scored_run, judge=spec)  # the judge is gone, but nothing is asked of it
    assert (again.judged, again.reused) == (0, 2)


def test_score_cli_has_no_preflight(scored_run: Path) -> None:
    result = cli("score", "--help")
    assert "--no-preflight" in result.stdout
