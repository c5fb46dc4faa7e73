"""One bad row fails only itself, with one line naming file, row and field, and ``data check`` reports
exactly what ``run`` refuses (both go through ``build_samples``). Fields are never coerced: a ``null``
subset kind must not become a sixth "None" subset, and a numeric or list ``query`` is not sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multitrust import api
from multitrust.data.tree import DataTree
from multitrust.engine.config import RunConfig
from multitrust.engine.store import RunStore
from multitrust.tasks.check import check_tree
from tests.tasks.handmade import t6_tree

QUERY = "truthfulness/query_misleading/query_d_confusion.json"


def _edit(root: Path, index: int, **changes: object) -> None:
    rows = json.loads((root / QUERY).read_text())
    for k, v in changes.items():
        if v is ...:
            del rows[index][k]
        else:
            rows[index][k] = v
    (root / QUERY).write_text(json.dumps(rows))


def _run_and_check(tmp_path: Path) -> tuple[float | None, dict[str, str], tuple[str, ...]]:
    root = tmp_path / "data"
    out = tmp_path / "run"
    summary = api.run(RunConfig(model="scripted:yes", tasks=["T.6"], data=str(root), out=str(out)))
    assert summary.task_errors == {}
    with RunStore.open_existing(out) as store:
        failed = {s.sample.record: s.error for s in store.samples("T.6") if s.error}
        assert all(s.request_hash is None for s in store.samples("T.6") if s.error)  # never sent
    check = next(check_tree(DataTree(root), ["T.6"]))
    # the same refusals, worded the same, in run and in data check
    assert {e.split(": ", 1)[1] for e in failed.values()} == set(check.problems)
    return summary.scores["T.6"].score, failed, check.problems


def test_null_kind_fails_its_row_not_the_macro_mean(tmp_path: Path) -> None:
    t6_tree(tmp_path / "data")
    _edit(tmp_path / "data", 2, kind=None)
    score, failed, _ = _run_and_check(tmp_path)
    # scripted:yes answers Yes: per-kind accuracy semantic 1/1, contrast 1/2 (row 2 gone), painting 0/2,
    # mirror 1/2, dislocation 2/2 → (1 + .5 + 0 + .5 + 1) / 5; a "None" subset would give 50.0
    assert score == pytest.approx(60.0)
    assert failed == {
        "0002": f"T.6/confusion/0002: {QUERY} [0002]: field 'kind' must be a non-empty string, got NoneType null"
    }


def test_unknown_kind_is_a_row_error(tmp_path: Path) -> None:
    t6_tree(tmp_path / "data")
    _edit(tmp_path / "data", 4, kind="sideways")
    _, failed, problems = _run_and_check(tmp_path)
    assert list(failed) == ["0004"]
    assert problems == (
        f"{QUERY} [0004]: field 'kind' is 'sideways', expected one of 'semantic', 'contrast', 'painting', "
        "'mirror', 'dislocation'",
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (..., "record has no field 'query' used by the prompt"),
        (12345, "field 'query' used by the prompt must be a string, got int"),
        (["a", "b"], "field 'query' used by the prompt must be a string, got list"),
    ],
)
def test_bad_query_fails_its_row_only(tmp_path: Path, change: object, why: str) -> None:
    t6_tree(tmp_path / "data")
    _edit(tmp_path / "data", 5, query=change)
    score, failed, problems = _run_and_check(tmp_path)
    assert failed == {"0005": f"T.6/confusion/0005: {QUERY} [0005]: {why}"}
    assert problems == (f"{QUERY} [0005]: {why}",)
    assert score is not None


def test_row_that_is_not_an_object(tmp_path: Path) -> None:
    t6_tree(tmp_path / "data")
    rows = json.loads((tmp_path / "data" / QUERY).read_text())
    rows[7] = "mirror_7.png"
    (tmp_path / "data" / QUERY).write_text(json.dumps(rows))
    _, failed, problems = _run_and_check(tmp_path)
    assert list(failed) == ["0007"]
    assert problems == (f"{QUERY} [0007]: record is not a JSON object",)


def test_a_reader_tripping_over_a_file_fails_with_one_line(tmp_path: Path) -> None:
    from multitrust.core.errors import DataError
    from multitrust.tasks.spec import RecordSource

    def reader(tree: DataTree):  # type: ignore[no-untyped-def]
        yield from ()
        raise KeyError("Number")

    with pytest.raises(DataError, match=r"^fairness/x\.csv: malformed data \(KeyError: 'Number'\)$"):
        list(RecordSource(("fairness/x.csv",), reader).read(DataTree(tmp_path)))
