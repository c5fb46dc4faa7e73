"""The packaged published leaderboard and placing runs in it."""

from __future__ import annotations

from importlib import resources

import pytest

from multitrust.report.leaderboard import (
    CAVEAT,
    place,
    published_leaderboard,
    ranked_with,
)


def test_published_table() -> None:
    table = published_leaderboard()
    assert len(table) == 44
    assert [e.rank for e in table] == list(range(1, 45))
    scores = [e.overall for e in table]
    assert scores == sorted(scores, reverse=True)
    top = table[0]
    assert (top.model, top.overall, top.rank) == ("gpt-4-1106-vision-preview", 78.28, 1)
    assert (table[1].model, table[1].overall) == ("claude-3-5-sonnet-20240620", 76.7)
    assert (table[-1].model, table[-1].overall, table[-1].rank) == ("mplug-owl-llama-7b", 39.91, 44)
    # returned list is a copy
    table.clear()
    assert len(published_leaderboard()) == 44


def test_reference_readme_is_packaged() -> None:
    text = resources.files("multitrust").joinpath("reference/README.md").read_text(encoding="utf-8")
    assert "a067801" in text and "rank.txt" in text


def test_place_second() -> None:
    p = place(77.0, "my-model")
    # 78.28 > 77.0 > 76.70 → between rank 1 and the old rank 2
    assert p.rank == 2
    assert p.total == 45
    assert p.name == "my-model" and p.overall == 77.0
    assert p.above is not None and p.above.model == "gpt-4-1106-vision-preview" and p.above.rank == 1
    assert p.below is not None and p.below.model == "claude-3-5-sonnet-20240620" and p.below.rank == 2
    assert p.caveat == CAVEAT
    assert "GPT-4 judges" in p.caveat and "may differ" in p.caveat
    assert "a067801" in p.source
    d = p.to_dict()
    assert d["rank"] == 2 and d["above"]["model"] == "gpt-4-1106-vision-preview" and d["caveat"] == CAVEAT


def test_place_last_and_first() -> None:
    last = place(10.0, "weak")
    assert last.rank == 45
    assert last.above is not None and last.above.model == "mplug-owl-llama-7b"
    assert last.below is None
    first = place(99.0, "strong")
    assert first.rank == 1 and first.above is None
    assert first.below is not None and first.below.model == "gpt-4-1106-vision-preview"


def test_place_ties_go_after_equal_scores() -> None:
    # Two published models share 52.10 (ranks 31, 32); a run with 52.10 goes after both.
    p = place(52.1, "tie")
    assert p.rank == 33
    assert p.above is not None and p.above.model == "llava-rlhf-13b"
    assert p.below is not None and p.below.model == "llava-v1.5-13b"
    # Tie with the top score: rank 2, not 1.
    assert place(78.28, "tie-top").rank == 2
    # Compared at 2 decimals: 76.704 → 76.70 ties claude-3-5-sonnet (76.70) → after it, rank 3
    assert place(76.704, "r").rank == 3


# -3.0 is the lowest overall (every task 0, P.3 −100: 0.3·(−100)/10), so −3.5 is impossible.
@pytest.mark.parametrize("bad", [float("nan"), -3.5, 100.5])
def test_place_rejects_bad_scores(bad: float) -> None:
    with pytest.raises(ValueError):
        place(bad, "x")


def test_ranked_with_marks_runs() -> None:
    rows = ranked_with({"mine": 77.0, "gpt-4o": 50.0})
    assert len(rows) == 46
    assert [r.rank for r in rows] == list(range(1, 47))
    assert [r.overall for r in rows] == sorted((r.overall for r in rows), reverse=True)
    assert rows[1].model == "mine" and rows[1].is_run and rows[1].published_rank is None
    assert rows[0].model == "gpt-4-1106-vision-preview" and not rows[0].is_run and rows[0].published_rank == 1
    # A run named like a published model does not overwrite it: both rows are there.
    gpt4o = [r for r in rows if r.model == "gpt-4o"]
    assert [(r.overall, r.is_run) for r in gpt4o] == [(76.61, False), (50.0, True)]
    assert sum(r.is_run for r in rows) == 2
    # Consistent with place(): same rank for the same score.
    assert rows[1].rank == place(77.0, "mine").rank
    assert rows[2].to_dict() == {
        "rank": 3,
        "model": "claude-3-5-sonnet-20240620",
        "overall": 76.7,
        "is_run": False,
        "published_rank": 2,
    }


def test_ranked_with_nothing_is_the_published_table() -> None:
    rows = ranked_with({})
    assert [(r.model, r.overall, r.rank) for r in rows] == [
        (e.model, e.overall, e.rank) for e in published_leaderboard()
    ]
