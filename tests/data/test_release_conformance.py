"""Every task's loaders against the official release's layout: a synthetic tree with the release's exact
query-file paths, formats and row counts (``release_layout``), read by each variant's record source.

For each variant the number of records must be what the inventory's row count and the spec say: one per row
unless a rule below multiplies or drops rows, each rule with its reason. Records' images must be the paths
the inventory's join rule gives (checked row by row for one-image-per-row joins). Run with ``-s`` to see the
per-task table of records read against the inventory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path

import pytest
from tests.data.release_layout import Layout, build_layout, refs_by_file

from multitrust.data.tree import DataTree
from multitrust.tasks.needs import release_patterns, task_needs
from multitrust.tasks.registry import IMPLEMENTED
from multitrust.tasks.spec import OWN_IMAGE, SourceOptions, build_samples


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    work = tmp_path_factory.mktemp("layout")
    return build_layout(work / "release", work)


def _rows(layout: Layout, rel: str) -> int:
    rows = layout.manifest.query_files[rel].rows
    assert rows is not None
    return rows


def _has_rows(layout: Layout, rel: str) -> bool:
    return layout.manifest.query_files[rel].rows is not None


def _folder_files(layout: Layout, rel: str) -> int:
    """Files of an image-only folder; 0 for a loose file with no row count (P.6's five-shot table)."""
    return next((f["files"] for f in layout.manifest.data["image_only_folders"] if f["path"] == rel), 0)


Rule = tuple[Callable[[Layout, int], int], str]

#: (task, variant glob, fidelity or "*") → (records from the base count, reason). Base count: the row count
#: of the variant's first declared file, or for a folder the number of its files.
RULES: dict[tuple[str, str, str], Rule] = {
    ("T.3", "*", "*"): (lambda lay, n: 3 * n, "each question is asked with 3 instructions (spec T.3)"),
    ("S.1", "object-detection", "*"): (lambda lay, n: 3 * n, "every image × the class's 3 detection questions"),
    ("S.1", "risk-analysis", "*"): (lambda lay, n: 2 * n, "every image × the class's 2 risk questions"),
    ("S.2", "*", "*"): (lambda lay, n: 2 * n, "every image × 2 prompts (spec S.2)"),
    ("S.3", "unrelated", "*"): (lambda lay, n: 3 * n, "each prompt with a colour, a nature and a noise image"),
    ("S.4", "*", "*"): (lambda lay, n: 2 * n, "each behaviour row × the variant's 2 prompt templates"),
    ("S.6", "unrelated", "fixed"): (lambda lay, n: 9 * n, "each row × 3 images of each of 3 unrelated kinds"),
    ("S.6", "pos", "fixed"): (lambda lay, n: 9 * n, "each row × the 9 images of jailbreak_pos (cross product)"),
    ("S.6", "neg", "fixed"): (lambda lay, n: 9 * n, "each row × the 9 images of jailbreak_neg (cross product)"),
    ("S.6", "*", "paper"): (lambda lay, n: 10, "paper: the original kept dataset[:10] (spec §10.1)"),
    ("R.3", "*", "*"): (lambda lay, n: n - 100, "the 100 rows of the 'base' group are not asked (10 style groups)"),
    ("F.5", "*", "*"): (lambda lay, n: 120, "vision preference: images 1–120 paired with the first 120 rows"),
    ("F.7", "plain-*", "*"): (lambda lay, n: n // 2, "plain prompts: the first 120 of 240 rows"),
    ("F.7", "force-*", "*"): (lambda lay, n: n // 2, "forced prompts: the last 120 of 240 rows"),
    ("P.6", "*", "*"): (lambda lay, n: 100, "generated: 10 PII types × 10 people from five_shot.json (spec P.6)"),
}


#: variants whose images are another folder's than their query file's group: the row's image name there
ROLES: dict[tuple[str, str], Callable[[str], str]] = {
    # the original's g-text-misvisual: query_g_assistance.json rows, image text_images/misvisual/<row image>
    ("T.7", "misvisual"): lambda ref: ref.replace("/text_images/assistance/", "/text_images/misvisual/"),
}


def _rule(tid: str, variant: str, fidelity: str) -> Rule | None:
    for (t, pattern, fid), rule in RULES.items():
        if t == tid and fnmatch(variant, pattern) and fid in ("*", fidelity):
            return rule
    return None


def _base(layout: Layout, first: str) -> int:
    if first in layout.manifest.query_files:
        return _rows(layout, first)
    return _folder_files(layout, first)


@pytest.mark.parametrize("fidelity", ["fixed", "paper"])
def test_every_task_reads_the_inventorys_records(layout: Layout, fidelity: str) -> None:
    tree = DataTree(layout.root)
    placed = refs_by_file(layout)
    every_ref = set().union(*placed.values()) | layout.pools
    lines, failures = [], []
    for tid, task in IMPLEMENTED.items():
        read = expected = 0
        notes: list[str] = []
        inventory_rows = sum(
            _rows(layout, f) if f in layout.manifest.query_files else _folder_files(layout, f)
            for f in task.files()
            if f not in layout.manifest.query_files or _has_rows(layout, f)
        )
        for v in task.variants:
            records = list(v.source.read(tree, SourceOptions(seed=0, fidelity=fidelity)))
            first = v.source.files[0]
            n = _base(layout, first)
            rule = _rule(tid, v.name, fidelity)
            want = rule[0](layout, n) if rule else n
            if rule and rule[1] not in notes:
                notes.append(rule[1])
            read += len(records)
            expected += want
            if len(records) != want:
                failures.append(f"{tid} {v.name} ({fidelity}): read {len(records)}, inventory says {want}")
            if v.image_mode(fidelity) == OWN_IMAGE:
                missing = [r.image for r in records if r.image is None or not (layout.root / r.image).is_file()]
                if missing:
                    failures.append(f"{tid} {v.name}: {len(missing)} record image(s) not in the layout: {missing[0]}")
                refs = layout.refs.get(first)
                if refs and rule is None and all(len(r) == 1 for r in refs):
                    # one image per row: the loader's join must give row i the inventory rule's image of row i
                    got = [r.image for r in records]
                    role = ROLES.get((tid, v.name), lambda ref: ref)
                    refs = [[role(r[0])] for r in refs]
                    if got != [r[0] for r in refs]:
                        diff = next(i for i, (a, b) in enumerate(zip(got, refs, strict=False)) if a != b[0])
                        failures.append(f"{tid} {v.name}: row {diff} joined to {got[diff]}, rule says {refs[diff][0]}")
                elif refs:
                    stray = [r.image for r in records if r.image not in every_ref]
                    if stray and first not in ("fairness/stereo_query.csv",):
                        failures.append(f"{tid} {v.name}: image {stray[0]} is named by no inventory rule")
        lines.append(
            f"{tid:5} {len(task.variants):2d} variants: {read:5d} records read, {expected:5d} expected from "
            f"{inventory_rows:4d} inventory rows/files" + "".join(f"; {x}" for x in notes)
        )
    print(f"\nrelease layout conformance ({fidelity}):\n" + "\n".join(lines))
    for path, why in sorted(layout.borrowed.items()):
        print(f"  not from the inventory: {path}: {why}")
    assert not failures, "\n".join(failures)
    assert len(lines) == 32


def test_the_synthetic_tree_has_the_releases_paths_formats_and_row_counts(layout: Layout) -> None:
    from multitrust.data.manifest import count_rows

    for q in layout.manifest.query_files.values():
        data = (layout.root / q.path).read_bytes()
        if q.rows is not None:
            assert count_rows(data, q.format) == q.rows, q.path
        if q.format == "jsonl-as-json":  # JSON Lines under a .json name: json.load() must fail, as on the release
            with pytest.raises(ValueError):
                json.loads(data)
    for group in layout.manifest.groups:
        refs = [r for f in group["query_files"] for row in layout.refs.get(f, []) for r in row]
        assert len(refs) == group["image_refs"], group["name"]


def test_declared_patterns_cover_every_file_the_loaders_read(layout: Layout) -> None:
    """``data fetch --tasks X`` must bring every file X's loaders open: the query files and every image
    a record names (what it fetches is derived from the declarations, so this pins the declarations)."""
    from multitrust.data.manifest import matches

    tree = DataTree(layout.root)
    for tid, task in IMPLEMENTED.items():
        patterns = release_patterns([tid])
        assert all(matches(f, patterns) or (layout.root / f).is_dir() for f in task.files()), tid
        for v in task.variants:
            for fidelity in ("fixed", "paper"):
                for r in v.source.read(tree, SourceOptions(seed=0, fidelity=fidelity)):
                    if r.image and r.image.startswith(str(layout.root)):
                        rel = os.path.relpath(r.image, layout.root)
                    else:
                        rel = r.image
                    if rel and not Path(rel).is_absolute():
                        assert matches(rel, patterns), f"{tid} {v.name}: {rel} is not fetched with the task"
        assert not task_needs(tid).missing(layout.root), tid


def test_listdir_pairing_is_stable_in_fixed_mode_and_the_originals_in_paper_mode(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F.4 pairs questions with ``stereo_query_images`` by ``os.listdir`` in the original. Fixed mode pairs
    the i-th question with the i-th image in natural name order whatever the filesystem lists, and stores the
    pairing with each sample (``meta.image``); paper mode follows ``os.listdir`` as the original did."""
    tree = DataTree(layout.root)
    task = IMPLEMENTED["F.4"]
    image_variant = task.variant("image")
    folder = "fairness/stereo_query_images"
    natural = sorted(os.listdir(layout.root / folder), key=lambda n: int(n.split(".")[0]))
    real_listdir = os.listdir

    def shuffled_listdir(path: str | os.PathLike[str] = ".") -> list[str]:
        names = real_listdir(path)
        return sorted(names, reverse=True) if str(path).endswith(folder) else names

    for listdir in (real_listdir, shuffled_listdir):
        monkeypatch.setattr(os, "listdir", listdir)
        fixed = [b.sample for b in build_samples(task, image_variant, tree, seed=0, fidelity="fixed")]
        assert [s.meta["image"] for s in fixed] == [f"{folder}/{n}" for n in natural]
        paper = [b.sample for b in build_samples(task, image_variant, tree, seed=0, fidelity="paper")]
        assert [s.meta["image"] for s in paper] == [f"{folder}/{n}" for n in listdir(str(layout.root / folder))]
