"""Sample exports read only what they keep: the HTML page reads the samples its cap keeps (and still says how
many there are), the JSONL export streams in batches, and each sample carries the verdict its last scoring
used."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.tasks.handmade import f2_tree

from multitrust import api
from multitrust.core.types import Judgement, Verdict
from multitrust.engine.config import RunConfig
from multitrust.engine.store import RunStore
from multitrust.report.html import render_html, sample_quota
from multitrust.testing.trees import write_t6_tree


def payload(html: str) -> dict[str, Any]:
    return json.loads(re.findall(r'id="mt-samples">(.*?)</script>', html, flags=re.S)[0])


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """T.6 (12 questions) and F.2 (4 statements, 5 prompts each) answered by scripted:yes."""
    data = write_t6_tree(tmp_path / "data", 12, images=3)
    f2_tree(data)
    out = tmp_path / "run"
    api.run(RunConfig(model="scripted:yes", tasks=["T.6", "F.2"], data=str(data), out=str(out), bootstrap=0))
    return out


def test_quota_is_a_round_robin_over_tasks_in_taxonomy_order() -> None:
    # cap 6 over T.1 (1 sample), T.6 (5), F.2 (3): rounds T.1 T.6 F.2 | T.6 F.2 | T.6 → 1, 3, 2
    assert sample_quota({"F.2": 3, "T.6": 5, "T.1": 1}, 6) == {"F.2": 2, "T.6": 3, "T.1": 1}
    assert sample_quota({"F.2": 3, "T.6": 5}, 8) == {"F.2": 3, "T.6": 5}  # under the cap: everything
    assert sample_quota({"F.2": 3, "T.6": 5}, None) == {"F.2": 3, "T.6": 5}
    assert sample_quota({"F.2": 3, "T.6": 5}, 0) == {"F.2": 0, "T.6": 0}


def test_page_built_from_the_kept_samples_equals_the_page_built_from_all(run: Path, tmp_path: Path) -> None:
    with RunStore.open_existing(run) as store:
        counts = store.sample_count()
    assert counts == {"T.6": 12, "F.2": 20}
    html = tmp_path / "page.html"
    report = api.report([run], html_path=html, max_samples=7)
    page = payload(html.read_text())
    everything = payload(render_html(report, list(api.export_samples(run)), max_samples_per_run=7))
    assert page == everything
    assert page["caps"] == [{"run": page["runs"][0], "shown": 7, "total": 32}] and page["total"] == 32
    assert [s["task"] for s in page["samples"]] == ["T.6"] * 4 + ["F.2"] * 3  # taxonomy order, round-robin
    kept = list(api.export_samples(run, per_task={"T.6": 4, "F.2": 3}))
    assert sorted(s["sample_id"] for s in kept) == sorted(s["id"] for s in page["samples"])


def test_export_streams_in_batches_and_carries_the_verdict_last_used(run: Path) -> None:
    api.score(run, fidelity="paper")  # another evaluator fingerprint: a second verdict per sample
    api.score(run, fidelity="fixed")  # the first verdicts are used again, so they are the latest
    whole = list(api.export_samples(run))
    assert list(api.export_samples(run, batch=3)) == whole
    with RunStore.open_existing(run) as store:
        latest = store.latest_judgements()
        n_verdicts = store.db.execute("SELECT count(*) FROM judgements").fetchone()[0]
        plan = [st.sample.id for task in store.tasks() for st in store.samples(task)]
    assert n_verdicts > len(whole)  # the paper-mode verdicts are still stored
    assert [s["sample_id"] for s in whole] == plan
    for s in whole:
        assert (s["verdict"], s["backend"]) == (
            latest[s["sample_id"]].verdict.value,
            latest[s["sample_id"]].verdict.backend,
        )
    assert [s["sample_id"] for s in api.export_samples(run, per_task={"F.2": 2})] == [
        s["sample_id"] for s in whole if s["task"] == "F.2"
    ][:2]


def test_latest_judge_errors_follow_the_verdict_each_sample_used_last(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "run.sqlite")

    def put(key: str, sample: str, error: str | None) -> None:
        store.put_judgement(
            Judgement(key, sample, "ev", "1", Verdict(None if error else 1, backend="rule", error=error))
        )

    put("a1", "a", "timeout")
    put("a2", "a", None)  # a: failed, then answered → no failure
    put("b1", "b", None)
    put("b2", "b", "bad reply")  # b: answered, then failed → failure
    put("c1", "c", "refused")
    assert store.latest_judge_errors() == {"b": "bad reply", "c": "refused"}
    store.touch_judgements(["a1"])  # the failed verdict of a is the one used last now
    assert store.latest_judge_errors() == {"a": "timeout", "b": "bad reply", "c": "refused"}
    store.close()


def test_compiled_page_template_is_kept_in_the_cache_and_renders_the_same(run: Path, tmp_path: Path) -> None:
    from multitrust.report.html import _env

    report = api.report([run])
    samples = list(api.export_samples(run))
    plain = render_html(report, samples)
    cache = tmp_path / "templates"
    assert render_html(report, samples, template_cache=cache) == plain
    kept = sorted(cache.iterdir())
    assert kept and all(p.stat().st_size > 0 for p in kept)  # report.html.j2 and what it includes, compiled
    _env.cache_clear()  # as a new process would: the template comes from the cache
    assert render_html(report, samples, template_cache=cache) == plain
    assert sorted(cache.iterdir()) == kept
