"""Merging run stores by request hash: shards of one run become the run, other runs are refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from multitrust import api
from multitrust.cli import app
from multitrust.core.errors import StoreError
from multitrust.engine.config import RunConfig
from multitrust.engine.merge import merge_runs
from multitrust.engine.store import STORE_FILE, RunStore

TASKS = ["T.6", "F.2", "S.4"]


def run(out: Path, tree: Path, tasks: list[str], *, model: str = "scripted:random", seed: int = 0) -> Path:
    api.run(RunConfig(model=model, tasks=tasks, data=str(tree), out=str(out), limit=3, seed=seed, bootstrap=20))
    return out


def scores(run_dir: Path) -> dict[str, float | None]:
    with RunStore.open_existing(run_dir) as store:
        return {tid: ts.score for tid, ts in store.scores().items()}


def counts(run_dir: Path) -> dict[str, int]:
    db = sqlite3.connect(run_dir / STORE_FILE)
    try:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("samples", "generations")}
    finally:
        db.close()


def test_shards_merge_into_the_single_process_run(builtin_tree: Path, tmp_path: Path) -> None:
    whole = run(tmp_path / "whole", builtin_tree, TASKS)
    shards = [run(tmp_path / f"shard-{t}", builtin_tree, [t]) for t in TASKS]
    merged = tmp_path / "merged"
    result = merge_runs(shards, merged)
    assert sorted(result.tasks) == sorted(TASKS)
    api.score(merged)
    assert scores(merged) == scores(whole)  # the same numbers, bootstrap intervals' seed included
    with RunStore.open_existing(merged) as a, RunStore.open_existing(whole) as b:
        assert {s.sample.id: s.request_hash for s in a.samples()} == {s.sample.id: s.request_hash for s in b.samples()}
        assert sorted(a.scores()["T.6"].ci or ()) == sorted(b.scores()["T.6"].ci or ())
    assert counts(merged) == counts(whole)
    # merging the same shards again adds nothing: rows are joined by key, never duplicated
    again = merge_runs(shards, merged)
    assert again.samples == again.generations == again.judgements == 0
    assert counts(merged) == counts(whole)


def test_a_failure_in_one_shard_is_replaced_by_an_answer_from_another(builtin_tree: Path, tmp_path: Path) -> None:
    good = run(tmp_path / "good", builtin_tree, ["T.6"])
    failed = tmp_path / "failed"
    failed_db = None
    run(failed, builtin_tree, ["T.6"])
    failed_db = sqlite3.connect(failed / STORE_FILE)
    with failed_db:
        failed_db.execute("UPDATE generations SET text=NULL, error='HTTP 500: injected'")
    failed_db.close()
    merged = tmp_path / "merged"
    result = merge_runs([failed, good], merged)
    assert result.generations_replaced == counts(good)["generations"]
    with RunStore.open_existing(merged) as store:
        assert store.generation_counts()["failed"] == 0


def test_runs_of_other_models_or_seeds_are_refused_unless_told(builtin_tree: Path, tmp_path: Path) -> None:
    a = run(tmp_path / "a", builtin_tree, ["T.6"], seed=0)
    b = run(tmp_path / "b", builtin_tree, ["F.2"], seed=1)
    with pytest.raises(StoreError, match=r"differs from .* in identity"):
        merge_runs([a, b], tmp_path / "m")
    assert not (tmp_path / "m" / STORE_FILE).exists()
    result = merge_runs([a, b], tmp_path / "m", keep=a)
    assert result.kept_settings_of == str(a)
    with RunStore.open_existing(tmp_path / "m") as store:
        assert store.get_meta("identity") == {"model": "scripted:random#seed=0", "seed": 0}
    c = run(tmp_path / "c", builtin_tree, ["F.2"], model="scripted:refuse")
    with pytest.raises(StoreError, match="identity"):
        merge_runs([a, c], tmp_path / "m2")


def test_merge_command(builtin_tree: Path, tmp_path: Path) -> None:
    shards = [run(tmp_path / f"s{i}", builtin_tree, [t]) for i, t in enumerate(TASKS[:2])]
    out = tmp_path / "merged"
    result = CliRunner().invoke(app, ["merge", *map(str, shards), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "merged 2 run(s)" in result.output and "T.6" in result.output
    assert (out / "report.json").is_file()
    assert set(scores(out)) == set(TASKS[:2])
    bad = CliRunner().invoke(app, ["merge", str(tmp_path / "nowhere"), "--out", str(out)])
    assert bad.exit_code == 2 and "not a run directory" in bad.output
