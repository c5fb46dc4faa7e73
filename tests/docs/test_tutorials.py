"""Every tutorial's code (docs/tutorials/code/*.py, included verbatim in the pages) runs as the page says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from multitrust import api
from multitrust.engine.config import RunConfig
from multitrust.engine.store import RunStore
from multitrust.models import registry
from multitrust.models.scripted import CANNED
from multitrust.tasks import registry as task_registry

ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "docs" / "tutorials" / "code"


@pytest.fixture
def tutorial_code(monkeypatch: pytest.MonkeyPatch):
    """The tutorial files importable, and whatever they register removed again afterwards."""
    monkeypatch.syspath_prepend(str(CODE))
    kinds, tasks = dict(registry.ADAPTERS), dict(task_registry.IMPLEMENTED)
    yield
    for name in ("shouting_backend", "keyword_judge", "colour_task"):
        sys.modules.pop(name, None)
    registry.ADAPTERS.clear()
    registry.ADAPTERS.update(kinds)
    task_registry.IMPLEMENTED.clear()
    task_registry.IMPLEMENTED.update(tasks)
    for tid in list(task_registry.EXTRA):
        task_registry.EXTRA.pop(tid)
        task_registry.TASK_BY_ID.pop(tid, None)


def _generations(run_dir: Path) -> list[str]:
    with RunStore.open_existing(run_dir) as store:
        stored = list(store.samples())
        gens = store.generations(s.request_hash for s in stored if s.request_hash)
    return [g.text for g in gens.values()]


def _colour_answers(path: Path) -> Path:
    """Replay answers for X.1's four images (red, green, blue, yellow): 'Red.' and 'It is green' name the
    colour, 'Purple' does not, 'yellow' does; the text variant answers 'I cannot tell.' (the '*' fallback)."""
    rows = [
        {"id": "X.1/image/0000", "response": "Red."},
        {"id": "X.1/image/0001", "response": "It is green"},
        {"id": "X.1/image/0002", "response": "Purple"},
        {"id": "X.1/image/0003", "response": "yellow"},
        {"id": "*", "response": "I cannot tell."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


def test_add_model_backend_from_python(tutorial_code, builtin_tree: Path, tmp_path: Path) -> None:
    import shouting_backend  # noqa: F401 - registers "shout"

    out = tmp_path / "run"
    summary = api.run(
        RunConfig(model="shout:scripted:yes", tasks=["T.6"], data=str(builtin_tree), out=str(out), limit=2, bootstrap=0)
    )
    assert summary.model == "shout:scripted:yes"
    texts = _generations(out)
    assert texts and set(texts) == {CANNED["yes"].upper()}


def test_add_task_and_run_it(tutorial_code, tmp_path: Path) -> None:
    import colour_task

    data = colour_task.build_data(tmp_path / "data")
    answers = _colour_answers(tmp_path / "answers.jsonl")
    out = tmp_path / "run"
    summary = api.run(
        RunConfig(model=f"scripted:replay:{answers}", tasks=["X.1"], data=str(data), out=str(out), bootstrap=0)
    )
    ts = summary.scores["X.1"]
    # image: 3 of the 4 answers name the colour (fuzzy containment) -> 0.75; text: none does -> 0.0
    assert ts.variants["image"].metrics["accuracy"] == pytest.approx(0.75)
    assert ts.variants["text"].metrics["accuracy"] == 0.0
    assert ts.score == pytest.approx(75.0)
    report = api.report([out])
    run = report["runs"][0]
    assert run["tasks"]["X.1"]["score"] == pytest.approx(75.0)
    assert run["scorecard"]["overall"] is None  # an extra task never enters the MultiTrust aggregates
    assert "X.1" not in task_registry.select_tasks("all")


def test_extra_task_cannot_take_a_multitrust_id(tutorial_code) -> None:
    from dataclasses import replace

    import colour_task

    from multitrust.core.errors import SpecError
    from multitrust.core.taxonomy import TaskInfo

    clash = replace(colour_task.TASK, info=TaskInfo("T.6", "Mine", "truthfulness", "misguided_mistakes"))
    with pytest.raises(SpecError, match="one of the 32"):
        task_registry.register_task(clash)


def test_own_judge_scores_the_ocr_variant(tutorial_code, builtin_tree: Path, tmp_path: Path) -> None:
    import keyword_judge  # noqa: F401 - registers "keyword-judge"

    rows = json.loads((builtin_tree / "truthfulness/query_basic/query_g_ocr.json").read_text(encoding="utf-8"))
    # answer each OCR question with its own truth -> the judge finds the truth in the response: all "Yes"
    answers = [{"id": f"T.1/ocr/{i:04d}", "response": f"It reads {row['truth']}"} for i, row in enumerate(rows)]
    answers.append({"id": "*", "response": "[No]"})
    replay = tmp_path / "answers.jsonl"
    replay.write_text("\n".join(json.dumps(a) for a in answers), encoding="utf-8")
    out = tmp_path / "run"
    summary = api.run(
        RunConfig(
            model=f"scripted:replay:{replay}",
            tasks=["T.1"],
            data=str(builtin_tree),
            out=str(out),
            bootstrap=0,
            task_judges={"T.1": "keyword-judge:v1"},
        )
    )
    ocr = summary.scores["T.1"].variants["ocr"]
    assert ocr.n_scored == len(rows) and ocr.metrics["accuracy"] == 1.0
    assert summary.scores["T.1"].provenance["observed_backends"].get("judge:keyword-judge:v1", 0) >= len(rows)
    # re-scoring with the same judge reuses every stored verdict: no judge call, the same accuracy
    stats = api.score(out)
    assert stats.judge_calls == 0
    assert stats.by_task["T.1"].variants["ocr"].metrics["accuracy"] == 1.0


def test_plugins_through_entry_points_on_the_command_line(tmp_path: Path) -> None:
    """The pages' `[project.entry-points]` recipe: an installed distribution's entry points make the model
    kind and the task known to `multitrust run` without touching this package."""
    site = tmp_path / "site"
    dist = site / "mt_tutorial-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mt-tutorial\nVersion: 0.1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(
        "[multitrust.models]\nshout = shouting_backend:build\n\n[multitrust.tasks]\ncolour = colour_task:TASK\n",
        encoding="utf-8",
    )
    for name in ("shouting_backend.py", "colour_task.py"):
        (site / name).write_text((CODE / name).read_text(encoding="utf-8"), encoding="utf-8")
    sys.path.insert(0, str(site))
    try:
        import colour_task

        data = colour_task.build_data(tmp_path / "data")
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("colour_task", None)
        task_registry.IMPLEMENTED.pop("X.1", None)
        task_registry.EXTRA.pop("X.1", None)
        task_registry.TASK_BY_ID.pop("X.1", None)
    answers = _colour_answers(tmp_path / "answers.jsonl")
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    cmd = [sys.executable, "-m", "multitrust", "run", "--model", f"shout:scripted:replay:{answers}", "--tasks", "X.1"]
    done = subprocess.run(
        [*cmd, "--data", str(data), "--out", str(out), "--bootstrap", "0", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    # the shouting wrapper upper-cases; containment is fuzzy (case-insensitive): still 3 of 4 -> 75
    assert report["runs"][0]["tasks"]["X.1"]["score"] == pytest.approx(75.0)
    assert set(_generations(out)) >= {"RED.", "IT IS GREEN", "PURPLE", "YELLOW", "I CANNOT TELL."}
    listed = subprocess.run(
        [sys.executable, "-m", "multitrust", "list", "models"], capture_output=True, text=True, env=env, timeout=60
    )
    assert "shout" in listed.stdout and "plugin" in listed.stdout


def test_cluster_tutorial_sweep_runs_locally_and_merges(builtin_tree: Path, tmp_path: Path, monkeypatch) -> None:
    """The tutorial's sweep file as written (only the data pointed at the session's built-in tree): two
    models, every safety and truthfulness task its own shard, merged into one run per model."""
    import yaml

    from multitrust.engine.sweep import run_sweep

    doc = yaml.safe_load((CODE / "sweep.yaml").read_text(encoding="utf-8"))
    doc["data"] = str(builtin_tree)
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump(doc), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = run_sweep(sweep)
    assert [r["model"] for r in report["runs"]] == ["scripted:refuse", "scripted:comply"]
    assert len(report["shards"]) == 2 * 13  # 7 truthfulness + 6 safety tasks per model
    refuse, comply = (r["tasks"] for r in report["runs"])
    assert refuse["S.4"]["score"] == 100.0 and comply["S.4"]["score"] < 100.0  # refusing every jailbreak is safe
    assert (tmp_path / "runs" / "sweep-demo" / "report.html").is_file()


def test_judge_profile_tutorial_routes_the_consistency_role(tutorial_code, builtin_tree: Path, tmp_path: Path) -> None:
    """The tutorial's profile file: its consistency role is served by the keyword judge (every OCR answer
    that contains its truth is judged consistent), and a misspelt role is one error naming the field."""
    import keyword_judge  # noqa: F401 - registers "keyword-judge"

    from multitrust.core.errors import SpecError
    from multitrust.scoring.profiles import load_profile

    profile = CODE / "my_profile.yaml"
    assert load_profile(profile).name == "my-profile"
    rows = json.loads((builtin_tree / "truthfulness/query_basic/query_g_ocr.json").read_text(encoding="utf-8"))
    answers = [{"id": f"T.1/ocr/{i:04d}", "response": f"It reads {row['truth']}"} for i, row in enumerate(rows)]
    answers.append({"id": "*", "response": "[No]"})
    replay = tmp_path / "answers.jsonl"
    replay.write_text("\n".join(json.dumps(a) for a in answers), encoding="utf-8")
    summary = api.run(
        RunConfig(
            model=f"scripted:replay:{replay}",
            tasks=["T.1"],
            data=str(builtin_tree),
            out=str(tmp_path / "run"),
            bootstrap=0,
            judge_profile=str(profile),
        )
    )
    ocr = summary.scores["T.1"].variants["ocr"]
    assert ocr.metrics["accuracy"] == 1.0
    assert summary.scores["T.1"].provenance["observed_backends"].get("judge:keyword-judge:v1", 0) == len(rows)
    bad = tmp_path / "bad.yaml"
    bad.write_text(profile.read_text(encoding="utf-8").replace("consistency:", "consistancy:"), encoding="utf-8")
    with pytest.raises(SpecError, match="consistancy"):
        load_profile(bad)
