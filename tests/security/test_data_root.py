"""A data tree must never make the toolkit read a file outside it: an annotation path with ``../``, an
absolute path or a symlink pointing out is refused as a per-sample error naming the file and field, the
run goes on, ``data check`` reports it, and (audit hook) nothing outside the root is ever opened."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from multitrust import api
from multitrust.core.errors import DataError
from multitrust.data.tree import DataTree
from multitrust.engine.config import RunConfig
from multitrust.engine.store import RunStore
from multitrust.tasks.check import check_tree
from tests.security.audit import opened_files, opened_under
from tests.tasks.handmade import f2_tree, t6_tree

QUERY = "truthfulness/query_misleading/query_d_confusion.json"


def hostile_tree(tmp_path: Path) -> tuple[Path, Path]:
    """T.6 + F.2 trees where record 0003 names ``../../../outside/secret.png``, record 0006's image is a
    symlink to a file outside, and an unrelated-pool image is a symlink out."""
    root, outside = tmp_path / "data", tmp_path / "outside"
    t6_tree(root)
    f2_tree(root)
    outside.mkdir()
    for name in ("secret.png", "linked.png", "pool.png"):
        Image.new("RGB", (8, 8), (255, 0, 0)).save(outside / name)
    rows = json.loads((root / QUERY).read_text())
    rows[3]["image"] = "../../../outside/secret.png"  # from truthfulness/misleading_images/ to tmp_path
    (root / QUERY).write_text(json.dumps(rows))
    img = root / "truthfulness/misleading_images" / rows[6]["image"]
    img.unlink()
    img.symlink_to(outside / "linked.png")
    (root / "unrelated_images" / "color_9.png").symlink_to(outside / "pool.png")
    return root, outside


def test_run_never_opens_files_outside_the_data_root(tmp_path: Path) -> None:
    root, outside = hostile_tree(tmp_path)
    out = tmp_path / "run"
    cfg = RunConfig(model="scripted:yes", tasks=["T.6", "F.2"], data=str(root), out=str(out), bootstrap=0)
    with opened_files() as seen:
        summary = api.run(cfg)
        api.report([out], json_path=out / "report.json", html_path=out / "report.html")
    assert opened_under(seen, outside) == []
    assert summary.task_errors == {}
    assert summary.scores["T.6"].score is not None  # the run went on
    with RunStore.open_existing(out) as store:
        errors = {s.sample.id: s.error for s in store.samples("T.6") if s.error}
        images = [im.path for s in store.samples() for im in s.sample.images]
    assert errors["T.6/confusion/0003"] == (
        f"T.6/confusion/0003: {QUERY} [0003]: field 'image': path "
        "'truthfulness/misleading_images/../../../outside/secret.png' leaves the data root"
    )
    assert "leaves the data root" in errors["T.6/confusion/0006"]
    assert sorted(k.rsplit("/", 1)[1] for k in errors) == ["0003", "0006"]
    assert not [p for p in images if not Path(p).resolve().is_relative_to(root.resolve())]
    assert "leaves the data root" in (out / "report.html").read_text()  # named as text, never embedded


def test_data_check_reports_paths_that_leave_the_root(tmp_path: Path) -> None:
    root, outside = hostile_tree(tmp_path)
    with opened_files() as seen:
        results = {r.task: r for r in check_tree(DataTree(root), ["T.6", "F.2"])}
    assert opened_under(seen, outside) == []
    t6 = results["T.6"].problems
    bad = "truthfulness/misleading_images/../../../outside/secret.png"
    assert f"{QUERY} [0003]: field 'image': path {bad!r} leaves the data root" in t6
    assert any(p.startswith(f"{QUERY} [0006]: field 'image'") and "leaves the data root" in p for p in t6)
    pool = "unrelated_images/color_9.png: path 'unrelated_images/color_9.png' leaves the data root"
    assert results["F.2"].problems == (pool,)  # F.2 asks with unrelated colour images


def test_annotation_file_symlinked_out_fails_its_task_only(tmp_path: Path) -> None:
    root, outside = tmp_path / "data", tmp_path / "outside"
    t6_tree(root)
    f2_tree(root)
    outside.mkdir()
    csv_file = root / "fairness/stereo_statement.csv"
    os.replace(csv_file, outside / "stereo_statement.csv")
    csv_file.symlink_to(outside / "stereo_statement.csv")
    out = tmp_path / "run"
    with opened_files() as seen:
        summary = api.run(RunConfig(model="scripted:yes", tasks=["T.6", "F.2"], data=str(root), out=str(out)))
        checks = {r.task: r for r in check_tree(DataTree(root), ["F.2"])}
    assert opened_under(seen, outside) == []
    assert summary.task_errors == {
        "F.2": "fairness/stereo_statement.csv: path 'fairness/stereo_statement.csv' leaves the data root"
    }
    assert summary.scores["T.6"].score is not None
    assert checks["F.2"].problems == (
        "fairness/stereo_statement.csv: path 'fairness/stereo_statement.csv' leaves the data root",
    )


def test_tree_paths_are_confined(tmp_path: Path) -> None:
    root, outside = hostile_tree(tmp_path)
    tree = DataTree(root)
    for rel in (str(outside / "secret.png"), "../outside/secret.png", "unrelated_images/color_9.png", "a/../../x"):
        with pytest.raises(DataError, match="leaves the data root"):
            tree.path(rel)
    assert (
        tree.path("unrelated_images/../unrelated_images/color_0.png") == root.resolve() / "unrelated_images/color_0.png"
    )
    with pytest.raises(DataError, match=r"^q.json \[0007\]: field 'img': path '/etc/passwd' leaves the data root$"):
        tree.path("/etc/passwd", source="q.json", record="0007", field="img")


def test_absolute_image_name_is_refused_by_name(tmp_path: Path) -> None:
    """``"image": "/etc/passwd"`` is an absolute path (os.path.join would read it): refused as leaving the
    root, naming the record and field, not looked for as ``misleading_images/etc/passwd``."""
    root = tmp_path / "data"
    t6_tree(root)
    rows = json.loads((root / QUERY).read_text())
    rows[2]["image"] = "/etc/passwd"
    (root / QUERY).write_text(json.dumps(rows))
    results = {r.task: r for r in check_tree(DataTree(root), ["T.6"])}
    assert results["T.6"].problems == (f"{QUERY} [0002]: field 'image': path '/etc/passwd' leaves the data root",)
