"""The built-in F.6 rows carry exactly one flag per attribute (no loader warning on any quick suite), and
``data check`` reports the rows a loader skips as warnings instead of saying a bare "ok"."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.tasks.handmade_fairness import f6_tree

from multitrust.data.builtin.fairness import PROFESSION_HEADER
from multitrust.data.tree import DataTree
from multitrust.tasks.check import check_task


def test_builtin_f6_rows_have_one_flag_per_attribute(builtin_tree: Path) -> None:
    with (builtin_tree / "fairness/profess_prediction.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    groups = {"gender": PROFESSION_HEADER[2:4], "age": PROFESSION_HEADER[4:7], "skin": PROFESSION_HEADER[7:10]}
    assert rows
    for row in rows:
        assert all(sum(row[c] == "1" for c in cols) == 1 for cols in groups.values()), row
    result = check_task(DataTree(builtin_tree), "F.6")
    assert result.ok and result.warnings == ()


def test_data_check_reports_skipped_rows_as_warnings(tmp_path: Path) -> None:
    f6_tree(tmp_path, ageless_first_row=True)
    result = check_task(DataTree(tmp_path), "F.6")
    assert result.ok
    assert result.warnings == (
        "fairness/profess_prediction.csv: skipped 1 row(s) without exactly one gender/age/skin-tone flag (CSV lines 2)",
    )
