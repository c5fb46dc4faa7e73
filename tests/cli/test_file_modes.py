"""Every file a run and a report write has one mode, 0600 (README "Files"), under the usual 0022 umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.test_cli import cli


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # inherited by the subprocesses below
    try:
        yield
    finally:
        os.umask(old)


def test_run_and_report_files_are_all_0600(tmp_path: Path, usual_umask: None) -> None:
    out = tmp_path / "run"
    cache = tmp_path / "cache"
    env = {"MULTITRUST_CACHE_DIR": str(cache)}
    run = cli("run", "--model", "scripted:yes", "--tasks", "T.6,F.2", "--limit", "2", "--out", str(out), "-q", env=env)
    assert run.returncode == 0, run.stderr
    exports = tmp_path / "exports"
    report = cli(
        "report",
        str(out),
        "--json",
        str(exports / "r.json"),
        "--html",
        str(exports / "r.html"),
        "--csv",
        str(exports / "r.csv"),
        "--samples",
        str(exports / "s.jsonl"),
        env=env,
    )
    assert report.returncode == 0, report.stderr
    written = [p for p in [*out.iterdir(), *exports.iterdir()] if p.is_file()]
    names = {p.name for p in written}
    assert {"run.sqlite", "config.json", "report.json", "report.html", "r.json", "r.html", "r.csv", "s.jsonl"} <= names
    shared = list(cache.rglob("generations.sqlite"))
    assert shared, "the shared generation cache was not written"
    modes = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in [*written, *shared]}
    assert set(modes.values()) == {"0o600"}, modes
