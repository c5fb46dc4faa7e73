"""The built-in data tree: reproducible bytes, an honest manifest, and the official layout for the
tasks it covers (T.6 visual confusion, F.2 stereotype agreement, the unrelated-image pool)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from multitrust.core.errors import DataError
from multitrust.data.builtin import (
    BUILDERS,
    GENERATOR_VERSION,
    NEEDS_UNRELATED,
    build_tree,
    implemented_tasks,
)
from multitrust.data.builtin.truthfulness import CONFUSION_KINDS


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(builtin_tree: Path) -> tuple[Path, dict]:
    """The session's built-in tree (seed 0) and its manifest."""
    return builtin_tree, json.loads((builtin_tree / "MANIFEST.json").read_text(encoding="utf-8"))


def test_same_seed_gives_byte_identical_tree(built: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = built
    again = tmp_path / "again"
    build_tree(again, seed=0)
    first, second = _tree_bytes(out), _tree_bytes(again)
    assert sorted(first) == sorted(second)
    for rel, data in first.items():
        assert data == second[rel], rel


def test_different_seed_gives_different_images(built: tuple[Path, dict], tmp_path: Path) -> None:
    _, manifest = built
    other = build_tree(tmp_path / "other", seed=1)
    assert sorted(other["files"]) == sorted(manifest["files"])  # same layout ...
    pngs = [rel for rel in manifest["files"] if rel.endswith(".png")]
    changed = [rel for rel in pngs if other["files"][rel] != manifest["files"][rel]]
    assert len(changed) > 0.8 * len(pngs)  # ... different pictures
    for prefix in ("unrelated_images/noise", "unrelated_images/nature", "truthfulness/", "fairness/"):
        assert any(rel.startswith(prefix) for rel in changed), prefix


def test_manifest_lists_every_file_with_its_hash(built: tuple[Path, dict]) -> None:
    out, manifest = built
    on_disk = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert manifest["generator"] == "multitrust-builtin"
    assert manifest["version"] == GENERATOR_VERSION
    assert manifest["seed"] == 0
    assert manifest["tasks"] == sorted(BUILDERS) == implemented_tasks()
    assert list(manifest["files"]) == sorted(manifest["files"])
    files = _tree_bytes(out)
    files.pop("MANIFEST.json")
    assert set(files) == set(manifest["files"])
    for rel, data in files.items():
        assert manifest["files"][rel] == hashlib.sha256(data).hexdigest(), rel


def test_t6_confusion_annotations(built: tuple[Path, dict]) -> None:
    out, _ = built
    records = json.loads((out / "truthfulness/query_misleading/query_d_confusion.json").read_text("utf-8"))
    assert all(list(r) == ["image", "query", "truth", "kind"] for r in records)
    by_kind: dict[str, list[dict]] = {}
    for r in records:
        by_kind.setdefault(r["kind"], []).append(r)
    assert set(by_kind) == set(CONFUSION_KINDS) == {"semantic", "contrast", "painting", "mirror", "dislocation"}
    for kind, recs in by_kind.items():
        assert 6 <= len(recs) <= 8, kind
        assert {r["truth"] for r in recs} == {"Yes", "No"}, kind
        assert all(r["query"].endswith("?") for r in recs)
    for r in records:
        path = out / "truthfulness/misleading_images" / r["image"]
        assert path.is_file(), r["image"]
        with Image.open(path) as im:
            im.load()
            assert im.mode == "RGB" and max(im.size) <= 384


def test_t6_contrast_pictures_hold_the_answer(built: tuple[Path, dict]) -> None:
    """'Same colour' patches really are equal pixels; 'different' ones really differ."""
    out, _ = built
    base = out / "truthfulness/misleading_images/confusion"

    def patch_colors(name: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        with Image.open(base / name) as im:
            w, h = im.size
            # Sample each half's centre column at the row where that half differs most from its surround.
            cols = (w // 4, 3 * w // 4)
            values = []
            for x in cols:
                column = [im.getpixel((x, y)) for y in range(h)]
                surround = column[0]
                values.append(max(column, key=lambda c: sum(abs(a - b) for a, b in zip(c, surround, strict=True))))
            return values[0], values[1]

    for name in ("contrast_same_squares.png", "contrast_left_darker.png", "contrast_coloured_surrounds.png"):
        left, right = patch_colors(name)
        assert left == right, name
    left, right = patch_colors("contrast_different_squares.png")
    assert abs(left[0] - right[0]) >= 50
    left, right = patch_colors("contrast_right_lighter.png")
    assert right[0] - left[0] >= 50


def test_f2_statement_csv_and_images(built: tuple[Path, dict]) -> None:
    out, _ = built
    text = (out / "fairness/stereo_statement.csv").read_text(encoding="utf-8")
    assert "\r" not in text
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["Stereo Statement", "Type", "Number"]
    body = rows[1:]
    types = ["Age", "Gender", "Nationality", "Race", "Religion", "Socioeconomic"]
    assert sorted({r[1] for r in body}) == types
    for t in types:
        assert 4 <= sum(r[1] == t for r in body) <= 5, t
    numbers = [int(r[2]) for r in body]
    assert len(set(numbers)) == len(numbers)
    for statement, stereo_type, number in body:
        assert statement.strip() and statement.endswith(".")
        path = out / "fairness/stereo_images" / stereo_type.lower() / f"{number}.png"
        assert path.is_file(), path
        with Image.open(path) as im:
            im.load()


def test_unrelated_pool(built: tuple[Path, dict]) -> None:
    out, _ = built
    pool = out / "unrelated_images"
    names = sorted(p.name for p in pool.iterdir())
    for kind in ("color", "nature", "noise"):
        matching = [n for n in names if kind in n]
        assert len(matching) >= 6, kind
    for name in names:
        assert sum(kind in name for kind in ("color", "nature", "noise")) == 1, name
    with Image.open(pool / "color_00.png") as im:
        assert len(im.getcolors(1 << 24)) == 1  # one solid colour
    with Image.open(pool / "noise_00.png") as im:
        assert len(im.getcolors(1 << 24)) > 1000
    assert {"F.2"} <= NEEDS_UNRELATED and "T.6" not in NEEDS_UNRELATED


def test_pool_only_built_when_needed(tmp_path: Path) -> None:
    manifest = build_tree(tmp_path / "t6", seed=3, tasks=["T.6"])
    assert manifest["tasks"] == ["T.6"]
    assert not any(rel.startswith("unrelated_images/") for rel in manifest["files"])
    manifest = build_tree(tmp_path / "f2", seed=3, tasks=["f.2"])
    assert any(rel.startswith("unrelated_images/") for rel in manifest["files"])


def test_rebuild_replaces_a_previous_tree_but_not_other_directories(tmp_path: Path) -> None:
    out = tmp_path / "data"
    build_tree(out, seed=0, tasks=["F.2"])
    (out / "stale.txt").write_text("left over")
    manifest = build_tree(out, seed=0, tasks=["T.6"])
    assert not (out / "stale.txt").exists()
    assert not (out / "fairness").exists()
    assert set(_tree_bytes(out)) == {*manifest["files"], "MANIFEST.json"}

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(DataError):
        build_tree(foreign, seed=0)
    assert (foreign / "keep.txt").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp dirs left


@pytest.mark.parametrize("task", ["X.9", "T.99", "bogus"])
def test_unknown_task_is_a_one_line_data_error(task: str, tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        build_tree(tmp_path / "x", tasks=[task])
    assert "\n" not in str(info.value)
    assert not (tmp_path / "x").exists()


def test_every_task_has_a_builder() -> None:
    from multitrust.core.taxonomy import TASKS

    assert implemented_tasks() == sorted(t.id for t in TASKS)
