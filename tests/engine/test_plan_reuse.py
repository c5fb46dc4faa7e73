"""An identical rerun keeps the stored plan (no annotation read, no image hashed); every input of the plan
that changes — a file touched, added or rewritten, a prompt, the seed, a setting, the code — rebuilds it."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from multitrust import api
from multitrust.engine import plan_reuse, runner
from multitrust.engine.config import RunConfig
from multitrust.engine.merge import merge_runs
from multitrust.engine.plan_reuse import PLAN_INPUTS_KEY, data_state, plan_fingerprint
from multitrust.engine.store import RunStore
from multitrust.models.spec import load_model
from multitrust.tasks import registry
from multitrust.tasks.registry import get_task
from multitrust.testing.trees import write_t6_tree

QUERIES = "truthfulness/query_misleading/query_d_confusion.json"
#: the planner itself, for building a fresh plan beside the runner's (whose calls the ``plans`` fixture counts)
PLAN_TASK = runner.plan_task


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """12 T.6 questions over 3 images, plus one row whose image is missing (a sample that fails to build)."""
    root = write_t6_tree(tmp_path / "data", 12, images=3)
    rows = json.loads((root / QUERIES).read_text())
    rows.append({"image": "absent.png", "query": "Is the absent picture red?", "truth": "No", "kind": "semantic"})
    (root / QUERIES).write_text(json.dumps(rows))
    return root


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The task ids :func:`runner.plan_task` was called for (the real function still does the work)."""
    calls: list[str] = []

    def counting(task_id: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(task_id)
        return PLAN_TASK(task_id, *args, **kwargs)

    monkeypatch.setattr(runner, "plan_task", counting)
    return calls


def _cfg(data: Path, out: Path, **over: Any) -> RunConfig:
    return RunConfig(
        model="scripted:yes", tasks=["T.6"], data=str(data), out=str(out), bootstrap=0, shared_cache=False, **over
    )


def _stored_plan(out: Path) -> list[tuple[Any, ...]]:
    with RunStore.open_existing(out) as store:
        return [(st.sample, st.request_hash, st.error) for st in store.samples("T.6")]


def _fresh_plan(data: Path, cfg: RunConfig) -> list[tuple[Any, ...]]:
    tree = runner.resolve_data(str(data), seed=cfg.seed)
    planned = PLAN_TASK("T.6", tree, load_model(cfg.model, seed=cfg.seed), cfg)
    return [(s, None if r is None else r.hash, e) for s, r, e in planned]


def test_identical_rerun_keeps_the_plan_and_it_equals_a_fresh_build(
    data: Path, tmp_path: Path, plans: list[str]
) -> None:
    cfg = _cfg(data, tmp_path / "run")
    first = api.run(cfg)
    assert plans == ["T.6"] and first.plans_reused == 0 and first.calls_made == 12
    before = _stored_plan(tmp_path / "run")
    again = api.run(cfg)
    assert plans == ["T.6"], "the unchanged plan was built again"
    assert again.plans_reused == 1 and again.calls_made == 0 and again.calls_reused == 12
    assert again.scores["T.6"].score == first.scores["T.6"].score
    kept = _stored_plan(tmp_path / "run")
    assert kept == before
    fresh = _fresh_plan(data, cfg)
    assert kept == fresh  # samples (messages, target, meta), request hashes, build errors, order
    assert [e for _, _, e in kept if e] and sum(1 for _, h, _ in kept if h) == 12


def _touch(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: _touch(root / "truthfulness/misleading_images/img0.png"), id="image-touched"),
        pytest.param(lambda root: _touch(root / QUERIES), id="annotations-touched"),
        pytest.param(
            lambda root: (root / "truthfulness/misleading_images/absent.png").write_bytes(
                (root / "truthfulness/misleading_images/img1.png").read_bytes()
            ),
            id="file-added",
        ),
        pytest.param(lambda root: (root / "truthfulness/misleading_images/img2.png").unlink(), id="file-removed"),
    ],
)
def test_a_changed_data_tree_rebuilds_the_plan(data: Path, tmp_path: Path, plans: list[str], change: Any) -> None:
    cfg = _cfg(data, tmp_path / "run")
    api.run(cfg)
    change(data)
    again = api.run(cfg)
    assert plans == ["T.6", "T.6"] and again.plans_reused == 0
    assert _stored_plan(tmp_path / "run") == _fresh_plan(data, cfg)


def test_rewritten_annotations_rebuild_the_plan_with_the_new_prompts(
    data: Path, tmp_path: Path, plans: list[str]
) -> None:
    cfg = _cfg(data, tmp_path / "run")
    api.run(cfg)
    rows = json.loads((data / QUERIES).read_text())
    rows[0]["query"] = rows[0]["query"].replace("object", "thing")  # same length: only mtime/ctime tell
    (data / QUERIES).write_text(json.dumps(rows))
    again = api.run(cfg)
    assert plans == ["T.6", "T.6"] and again.calls_made == 1  # the one changed question is asked
    assert any("thing number 0" in s.prompt for s, _, _ in _stored_plan(tmp_path / "run"))


def test_a_changed_prompt_template_rebuilds_the_plan(
    data: Path, tmp_path: Path, plans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _cfg(data, tmp_path / "run")
    api.run(cfg)
    task = get_task("T.6")
    variant = dataclasses.replace(task.variants[0], prompt="{query} Answer Yes or No.")
    monkeypatch.setitem(registry.IMPLEMENTED, "T.6", dataclasses.replace(task, variants=(variant,)))
    again = api.run(cfg)
    assert plans == ["T.6", "T.6"] and again.plans_reused == 0 and again.calls_made == 12
    assert all(s.prompt.endswith("Answer Yes or No.") for s, _, _ in _stored_plan(tmp_path / "run"))


@pytest.mark.parametrize("setting", [{"limit": 5}, {"max_tokens": 7}, {"fidelity": "paper"}], ids=str)
def test_a_changed_plan_setting_rebuilds_the_plan(
    data: Path, tmp_path: Path, plans: list[str], setting: dict[str, Any]
) -> None:
    api.run(_cfg(data, tmp_path / "run"))
    changed = _cfg(data, tmp_path / "run", **setting)
    again = api.run(changed)
    assert plans == ["T.6", "T.6"] and again.plans_reused == 0
    assert _stored_plan(tmp_path / "run") == _fresh_plan(data, changed)
    api.run(_cfg(data, tmp_path / "run"))  # and back: rebuilt again, not the setting's plan kept
    assert plans == ["T.6", "T.6", "T.6"]


def test_changed_code_rebuilds_the_plan(
    data: Path, tmp_path: Path, plans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _cfg(data, tmp_path / "run")
    api.run(cfg)
    monkeypatch.setattr(plan_reuse, "code_state", lambda: "another version of the package")
    assert api.run(cfg).plans_reused == 0 and plans == ["T.6", "T.6"]


def test_an_unanswered_request_rebuilds_the_plan_and_is_sent(data: Path, tmp_path: Path, plans: list[str]) -> None:
    cfg = _cfg(data, tmp_path / "run")
    api.run(cfg)
    with RunStore.open_existing(tmp_path / "run") as store:
        store.db.execute("DELETE FROM generations WHERE rowid = (SELECT min(rowid) FROM generations)")
    again = api.run(cfg)
    assert plans == ["T.6", "T.6"] and again.calls_made == 1 and again.calls_reused == 11


def test_a_plan_being_replaced_forgets_its_fingerprint_first(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that dies while the new plan is built must not leave the old fingerprint standing: the data
    could change back and the fingerprint match a plan that is no longer stored."""
    cfg = _cfg(data, tmp_path / "run")
    api.run(cfg)
    _touch(data / QUERIES)

    def dies(*args: Any, **kwargs: Any) -> Any:
        with RunStore.open_existing(tmp_path / "run") as store:
            assert "T.6" not in (store.get_meta(PLAN_INPUTS_KEY) or {})
        raise RuntimeError("the process dies here")

    monkeypatch.setattr(runner, "plan_task", dies)
    with pytest.raises(RuntimeError, match="dies here"):
        api.run(cfg)
    with RunStore.open_existing(tmp_path / "run") as store:
        assert "T.6" not in (store.get_meta(PLAN_INPUTS_KEY) or {})


def test_samples_merged_into_a_run_make_the_next_run_plan_anew(data: Path, tmp_path: Path, plans: list[str]) -> None:
    cfg = _cfg(data, tmp_path / "run")
    api.run(cfg)
    more = write_t6_tree(tmp_path / "more", 16, images=3)  # records 13–15: ids the run does not hold
    api.run(_cfg(more, tmp_path / "shard"))
    assert merge_runs([tmp_path / "shard"], tmp_path / "run").samples == 3
    again = api.run(cfg)
    assert plans == ["T.6", "T.6", "T.6"] and again.plans_reused == 0
    assert _stored_plan(tmp_path / "run") == _fresh_plan(data, cfg)


def test_fingerprint_covers_seed_model_and_data(data: Path, tmp_path: Path) -> None:
    cfg = _cfg(data, tmp_path / "run")
    model = load_model("scripted:yes", seed=0)
    state = data_state(data)
    base = plan_fingerprint("T.6", state, model, cfg)
    assert plan_fingerprint("T.6", state, model, cfg) == base
    assert plan_fingerprint("T.6", state, model, _cfg(data, tmp_path / "run", seed=1)) != base
    assert plan_fingerprint("T.6", state, load_model("scripted:no", seed=0), cfg) != base
    assert plan_fingerprint("T.6", data_state(tmp_path), model, cfg) != base
    assert data_state(data) == state  # reading the tree changes nothing
    (data / "notes.txt").write_text("x")
    assert data_state(data) != state
