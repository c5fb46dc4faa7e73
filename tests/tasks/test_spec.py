"""Record selection for --limit: seeded, source-ordered, and groups kept whole."""

from multitrust.tasks.spec import Record, select_records


def rec(key: str, group: str | None = None) -> Record:
    return Record(key, {}, group=group)


def test_limit_is_seeded_and_keeps_source_order() -> None:
    records = [rec(f"{i:02d}") for i in range(20)]
    a = select_records(records, seed=1, task="T.6", limit=5)
    assert len(a) == 5 and a == sorted(a, key=lambda r: r.key)
    assert a == select_records(records, seed=1, task="T.6", limit=5)
    assert a != select_records(records, seed=2, task="T.6", limit=5)
    assert select_records(records, seed=1, task="T.6", limit=50) == records


def test_limit_counts_groups_and_keeps_them_whole() -> None:
    records = [rec(f"q{q}.p{k}", group=f"q{q}") for q in range(6) for k in (1, 2, 3)]
    chosen = select_records(records, seed=0, task="T.3", limit=2)
    groups = {r.group for r in chosen}
    assert len(groups) == 2 and len(chosen) == 6
    assert all(sum(r.group == g for r in chosen) == 3 for g in groups)
