"""``run --dry-run``: counts, token estimates and costs worked out by hand; nothing sent, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tasks.handmade import f2_tree

from multitrust.core.taxonomy import TASK_BY_ID
from multitrust.engine.config import RunConfig
from multitrust.engine.dryrun import dry_run, estimate_image_tokens, estimate_text_tokens, price_for, price_table
from multitrust.models.spec import parse_model_spec
from multitrust.scoring.metrics import rate
from multitrust.tasks import registry
from multitrust.tasks.spec import Task, Variant, json_records
from multitrust.testing.server import start_server

pytestmark = pytest.mark.timeout(120)


def test_image_tokens_follow_the_providers_published_examples() -> None:
    # OpenAI's vision guide: 1024×1024 high detail = 765 tokens, 2048×4096 = 1105 tokens
    assert estimate_image_tokens(1024, 1024, "openai") == 765
    assert estimate_image_tokens(2048, 4096, "openai") == 1105
    # Anthropic's vision guide: tokens = width × height / 750 (200×200 ≈ 54, 1000×1000 ≈ 1334)
    assert estimate_image_tokens(200, 200, "anthropic") == 54
    assert estimate_image_tokens(1000, 1000, "anthropic") == 1334


def test_text_tokens() -> None:
    assert estimate_text_tokens("aaaa bbbb cccc") == 4  # 14 characters / 4, rounded up
    assert estimate_text_tokens("a b c d e") == 5  # never fewer than one per word


def test_price_table_has_a_date_and_snapshots_take_their_familys_price() -> None:
    table = price_table()
    assert table["as_of"] and table["currency"] == "USD"
    gpt4o = price_for(parse_model_spec("openai:gpt-4o"))
    assert gpt4o is not None and price_for(parse_model_spec("openai:gpt-4o-2024-08-06")) == gpt4o
    assert price_for(parse_model_spec("openai:gpt-4o-mini")) != gpt4o  # not taken for a dated gpt-4o
    assert price_for(parse_model_spec("anthropic:claude-3-5-sonnet-20241022")) == {"input": 3.0, "output": 15.0}
    assert price_for(parse_model_spec("openai-compat:http://127.0.0.1:1/v1@gpt-4o")) is None  # self-hosted
    assert price_for(parse_model_spec("openai:no-such-model")) is None


@pytest.fixture
def judge_tree(judged_text_task) -> Path:  # type: ignore[no-untyped-def]
    return judged_text_task([{"query": "aaaa bbbb cccc", "truth": "four"}] * 2)


def test_counts_tokens_and_cost_by_hand(judge_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # a dry run builds no client: no key needed
    cfg = RunConfig(
        model="openai:gpt-4o", tasks=["T.5"], data=str(judge_tree), out=str(tmp_path / "r"), judge="openai:gpt-4o-mini"
    )
    plan = dry_run(cfg)
    (t5,) = plan.tasks
    # model: 2 requests of "aaaa bbbb cccc" = 4 text tokens + 4 per message + 3 per request = 11; cap 50 each
    assert (t5.model.requests, t5.model.prompt_tokens, t5.model.completion_tokens) == (2, 22, 100)
    # judge: "R: T:four" = 3 tokens + 7, plus the judged answer at its cap of 50 = 60 each; cap 10 each
    calls = t5.judges["openai:gpt-4o-mini"]
    assert (calls.requests, calls.prompt_tokens, calls.completion_tokens) == (2, 120, 20)
    cost, complete = plan.cost(t5)
    # gpt-4o $2.50 / $10 per 1M in / out, gpt-4o-mini $0.15 / $0.60
    expected = (22 * 2.5 + 100 * 10 + 120 * 0.15 + 20 * 0.6) / 1e6
    assert complete and cost == pytest.approx(expected)
    assert not (tmp_path / "r").exists()


def test_without_a_judge_the_offline_fallback_needs_no_requests(judge_tree: Path, tmp_path: Path) -> None:
    cfg = RunConfig(model="scripted:yes", tasks=["T.5"], data=str(judge_tree), out=str(tmp_path / "r"))
    (t5,) = dry_run(cfg).tasks
    assert t5.model.requests == 2 and t5.judges == {}


def test_cli_dry_run_sends_nothing_and_writes_nothing(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "run"
    f2_tree(data)  # F.2: 4 statements × (text, image, 3 unrelated images)
    with start_server() as model, start_server() as judge:
        result = subprocess.run(
            [sys.executable, "-m", "multitrust", "run", "--model", f"openai-compat:{model.url}@m", "--judge",
             f"openai-compat:{judge.url}@j", "--tasks", "F.2", "--data", str(data), "--out", str(out), "--dry-run"],
            capture_output=True, text=True, timeout=120, env=dict(os.environ, COLUMNS="250"),
        )  # fmt: skip
        assert model.stats()["requests"] == 0 and judge.stats()["requests"] == 0
    assert result.returncode == 0, result.stdout + result.stderr
    assert not out.exists()
    row = next(line for line in result.stdout.splitlines() if "F.2" in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells[0] == "F.2" and cells[1] == "20"
    assert cells[-1] == "unpriced"  # a self-hosted server has no price
    assert "prices as of " + price_table()["as_of"] in result.stdout


def test_cli_dry_run_text_only_lists_what_is_not_run(tmp_path: Path) -> None:
    data = tmp_path / "data"
    f2_tree(data)
    result = subprocess.run(
        [sys.executable, "-m", "multitrust", "run", "--model", "openai:gpt-4o", "--tasks", "F.2", "--data",
         str(data), "--out", str(tmp_path / "r"), "--dry-run", "--allow-text-only"],
        capture_output=True, text=True, timeout=120, env={k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ F.2"))
    assert row.split("│")[2].strip() == "4"
    assert "F.2: not run (text only): image, unrelated-color, unrelated-nature, unrelated-noise" in result.stdout


def test_a_selected_toxicity_api_is_counted_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from multitrust.scoring.classifiers.toxicity import PerspectiveBackend, ToxicityEvaluator

    backend = PerspectiveBackend(api_key=None, url="http://127.0.0.1:9/nothing-listens-here")
    source = json_records("rows.json", image=None)
    task = Task(
        info=TASK_BY_ID["S.2"],
        variants=(
            Variant("text", source, "{query}", ToxicityEvaluator("perspective", backend), rate("x"), max_tokens=30),
        ),
        score=lambda m: 0.0,
    )
    monkeypatch.setitem(registry.IMPLEMENTED, "S.2", task)
    root = tmp_path / "data"
    root.mkdir()
    (root / "rows.json").write_text(json.dumps([{"query": "q"}] * 3))
    plan = dry_run(RunConfig(model="openai:gpt-4o", tasks=["S.2"], data=str(root), out=str(tmp_path / "r")))
    (s2,) = plan.tasks
    calls = s2.judges[backend.name]
    assert (calls.requests, calls.prompt_tokens, calls.completion_tokens) == (3, 3 * 30, 0)  # the answers only
    cost, complete = plan.cost(s2)
    assert complete and cost == pytest.approx((3 * 8 * 2.5 + 3 * 30 * 10) / 1e6)  # the model's cost alone
    assert backend.attempts == 0


# ------------------------------------------------------------------ unverified prices, shutdowns, profiles


def test_every_packaged_price_is_marked_unverified_and_dated() -> None:
    table = price_table()
    assert table["as_of"] == "2025-08-01" and table["verified"] is False
    assert all(entry["verified"] is False for entry in table["models"].values())  # written from memory


def test_dry_run_says_prices_are_unverified_and_which_models_are_shut_down(
    judge_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from rich.console import Console

    from multitrust.cli_dryrun import print_dry_run

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    cfg = RunConfig(
        model="openai:gpt-4.1-mini", tasks=["T.5"], data=str(judge_tree), out=str(tmp_path / "r"),
        judge="openai:gpt-4-1106-preview",
    )  # fmt: skip
    buffer = io.StringIO()
    print_dry_run(cfg, Console(file=buffer, width=400))
    text = buffer.getvalue()
    assert (
        "price of openai:gpt-4.1-mini: $0.40 in / $1.60 out per 1M tokens, UNVERIFIED (from memory, not checked "
        "with the provider), as of 2025-08-01"
    ) in text
    assert "price of openai:gpt-4-1106-preview: $10.00 in / $30.00 out" in text
    assert "note: openai:gpt-4-1106-preview was shut down on 2026-10-23 (source: third-party copies" in text
    assert "note: openai:gpt-4.1-mini" not in text  # no shutdown date is known for it


def test_shutdown_dates_of_a_family_cover_its_dated_snapshots() -> None:
    from datetime import date

    from multitrust.cli_dryrun import price_notes

    prices = {"openai:gpt-4o-2024-08-06": {"input": 2.5, "output": 10.0}, "openai:gpt-4o-mini": None}
    before = price_notes(list(prices), prices, "2025-08-01", today=date(2027, 1, 13))
    after = price_notes(list(prices), prices, "2025-08-01", today=date(2027, 1, 14))
    assert [line.split(" (source")[0] for line in before if line.startswith("note:")] == [
        "note: openai:gpt-4o-2024-08-06 shuts down on 2027-01-14",
        "note: openai:gpt-4o-mini shuts down on 2027-01-14",
    ]
    assert next(line.split(" (source")[0] for line in after if line.startswith("note:")) == (
        "note: openai:gpt-4o-2024-08-06 was shut down on 2027-01-14"
    )


def test_dry_run_counts_the_judges_of_a_profiles_roles(
    judge_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    profile = tmp_path / "p.yaml"
    profile.write_text("name: t\nroles:\n  consistency: {judge: 'openai:gpt-4o-mini'}\n")
    cfg = RunConfig(
        model="scripted:yes", tasks=["T.5"], data=str(judge_tree), out=str(tmp_path / "r"), judge_profile=str(profile)
    )
    (t5,) = dry_run(cfg).tasks
    assert list(t5.judges) == ["openai:gpt-4o-mini"] and t5.judges["openai:gpt-4o-mini"].requests == 2
