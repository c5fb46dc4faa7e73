"""The file-mode policy: every file written through core.files is 0600 whatever the umask, and stays
atomic (a failed write leaves the previous file)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from multitrust.core.files import FILE_MODE, atomic_write, create_private, write_text


@pytest.fixture(params=[0o022, 0o002, 0o077])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_policy_is_owner_read_write_only() -> None:
    assert FILE_MODE == 0o600


def test_write_text_is_0600_under_any_umask(tmp_path: Path, umask: int) -> None:
    out = write_text(tmp_path / "sub" / "report.json", "{}\n")
    assert out.read_text() == "{}\n" and mode(out) == 0o600


def test_replacing_a_readable_file_makes_it_0600(tmp_path: Path, umask: int) -> None:
    out = tmp_path / "report.html"
    out.write_text("old")
    out.chmod(0o644)
    write_text(out, "new")
    assert out.read_text() == "new" and mode(out) == 0o600


def test_failed_write_keeps_the_previous_file_and_leaves_no_temp(tmp_path: Path) -> None:
    out = write_text(tmp_path / "a.csv", "previous\n")

    def boom(fh: object) -> None:
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError):
        atomic_write(out, boom)
    assert out.read_text() == "previous\n" and [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_create_private_makes_a_missing_file_0600_and_leaves_an_existing_one(tmp_path: Path, umask: int) -> None:
    db = create_private(tmp_path / "run.sqlite")
    assert db.stat().st_size == 0 and mode(db) == 0o600
    other = tmp_path / "theirs.sqlite"
    other.write_bytes(b"data")
    other.chmod(0o640)
    create_private(other)
    assert other.read_bytes() == b"data" and mode(other) == 0o640
