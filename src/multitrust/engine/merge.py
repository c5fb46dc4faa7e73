"""Merging run stores: shards of one run made anywhere (a Ray cluster, a Slurm array, separate machines)
joined into one run directory by request hash, then re-scored.

Only stores of the *same run* may be merged: same model and seed (the run's identity), same fidelity and
same data manifest. Anything else would mix answers that are not comparable, so it is refused with the
difference named, unless the caller says which run's settings to keep. Rows are joined by their keys —
samples by id, generations by request hash (a successful answer beats a stored failure), verdicts by
their content key — so a request answered in two shards is kept once, and nothing is lost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multitrust.core.errors import StoreError
from multitrust.engine.plan_reuse import PLAN_INPUTS_KEY
from multitrust.engine.store import STORE_FILE, RunLock, RunStore

#: the settings that must agree between merged stores (see :func:`run_settings`)
_CHECKS = ("identity", "fidelity", "data manifest")


@dataclass
class MergeResult:
    out: Path
    sources: list[str]
    samples: int = 0
    generations: int = 0
    generations_replaced: int = 0
    judgements: int = 0
    tasks: list[str] = field(default_factory=list)
    kept_settings_of: str | None = None


def run_settings(store: RunStore) -> dict[str, Any]:
    """What must agree for two stores to be one run: identity (model, seed), fidelity, data manifest."""
    config = store.get_meta("config") or {}
    scoring = store.get_meta("scoring") or {}
    return {
        "identity": store.get_meta("identity"),
        "fidelity": scoring.get("fidelity") or (config.get("config") or {}).get("fidelity", "fixed"),
        "data manifest": (config.get("data") or {}).get("manifest_sha256"),
    }


def _columns(db: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA {schema}.table_info({table})")]


def merge_runs(sources: Sequence[str | Path], out: str | Path, *, keep: str | Path | None = None) -> MergeResult:
    """Join the run stores in ``sources`` into ``out`` (created, or extended if it already holds the same
    run). With ``keep``, stores whose settings differ are merged anyway and the run takes the settings of
    the source ``keep`` names; without it they are refused."""
    if not sources:
        raise StoreError("merge: no run directories given")
    out = Path(out)
    paths = [Path(s) for s in sources]
    for p in paths:
        if not (p / STORE_FILE).is_file():
            raise StoreError(f"{p}: not a run directory (no {STORE_FILE})")
        if p.resolve() == out.resolve():
            raise StoreError(f"{p}: the output directory cannot also be a source")
    settings = {}
    for p in paths:
        with RunStore.open_existing(p) as s:
            settings[str(p)] = (run_settings(s), s.get_meta("config"), s.get_meta("scoring"))
    if (out / STORE_FILE).is_file():
        with RunStore.open_existing(out) as s:
            settings[str(out)] = (run_settings(s), s.get_meta("config"), s.get_meta("scoring"))
    if keep is not None and str(Path(keep)) not in settings:
        raise StoreError(f"merge: --keep {keep} is not one of the runs being merged")
    base = str(Path(keep)) if keep is not None else next(iter(settings))
    reference = settings[base][0]
    if keep is None:
        for name, (s, _, _) in settings.items():
            for check in _CHECKS:
                if s[check] != reference[check]:
                    raise StoreError(
                        f"merge: {name} differs from {base} in {check} ({s[check]!r} vs {reference[check]!r}); "
                        "merge only shards of one run, or name the run whose settings to keep with --keep"
                    )
    out.mkdir(parents=True, exist_ok=True)
    result = MergeResult(out, [str(p) for p in paths], kept_settings_of=base if keep is not None else None)
    with RunLock(out, "merge"), RunStore.in_dir(out) as target:
        _, config, scoring = settings[base]
        target.set_meta("identity", reference["identity"])
        if config is not None:
            target.set_meta("config", config)
        if scoring is not None:
            target.set_meta("scoring", scoring)
        target.set_meta("merged_from", sorted({*result.sources, *(target.get_meta("merged_from") or [])}))
        for p in paths:
            _merge_one(target.db, p / STORE_FILE, result)
        if result.samples:  # the merged samples are no plan a fingerprint describes: the next run plans anew
            target.set_meta(PLAN_INPUTS_KEY, {})
        result.tasks = target.tasks()
        if config is not None and isinstance(config.get("config"), dict):  # the merged run's own record
            merged = {**config, "config": {**config["config"], "tasks": result.tasks, "out": str(out)}}
            target.set_meta("config", merged)
    return result


def _merge_one(db: sqlite3.Connection, source: Path, result: MergeResult) -> None:
    db.execute("ATTACH DATABASE ? AS src", (str(source),))
    try:
        with db:
            db.execute("BEGIN")
            result.samples += _insert_new(db, "samples", "id")
            result.judgements += _insert_new(db, "judgements", "key")
            result.generations += _insert_new(db, "generations", "request_hash")
            # a request that failed in one store and was answered in another: keep the answer
            cols = [c for c in _columns(db, "src", "generations") if c in _columns(db, "main", "generations")]
            sets = ", ".join(f"{c}=excluded.{c}" for c in cols if c != "request_hash")
            names = ", ".join(cols)
            cur = db.execute(
                f"INSERT INTO main.generations ({names}) SELECT {names} FROM src.generations WHERE error IS NULL "
                f"ON CONFLICT(request_hash) DO UPDATE SET {sets} WHERE main.generations.error IS NOT NULL"
            )
            result.generations_replaced += max(cur.rowcount, 0)
            if _columns(db, "src", "sent"):  # attempts as the servers saw them (max: merging twice is a no-op)
                db.execute(
                    "INSERT INTO main.sent SELECT request_hash, attempts FROM src.sent WHERE true "
                    "ON CONFLICT(request_hash) DO UPDATE SET attempts = max(main.sent.attempts, excluded.attempts)"
                )
            main_inv = _columns(db, "main", "invocations")
            inv = [c for c in _columns(db, "src", "invocations") if c != "id" and c in main_inv]
            if inv:
                names = ", ".join(inv)
                db.execute(f"INSERT INTO main.invocations ({names}) SELECT {names} FROM src.invocations")
    finally:
        db.execute("DETACH DATABASE src")


def _insert_new(db: sqlite3.Connection, table: str, key: str) -> int:
    """Copy the rows of ``src.table`` whose ``key`` is not in ``main.table`` (columns matched by name)."""
    cols = [c for c in _columns(db, "src", table) if c in _columns(db, "main", table)]
    names = ", ".join(cols)
    cur = db.execute(
        f"INSERT OR IGNORE INTO main.{table} ({names}) SELECT {names} FROM src.{table} "
        f"WHERE {key} NOT IN (SELECT {key} FROM main.{table})"
    )
    return max(cur.rowcount, 0)
