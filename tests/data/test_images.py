"""Image checks are done once per content: copies of one image at several paths are decoded once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from multitrust.core.errors import DataError
from multitrust.data import images


def unique_png(path: Path) -> Path:
    """A PNG no other test writes (the verdicts are memoised per content, across tests too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.frombytes("RGB", (32, 32), os.urandom(32 * 32 * 3)).save(path)
    return path


def test_copies_at_several_paths_are_decoded_once(tmp_path: Path) -> None:
    first = unique_png(tmp_path / "truthfulness" / "factual" / "1.png")
    copies = [first]
    for folder in ("misleading/mistext", "other/place"):
        copy = tmp_path / folder / "1.png"
        copy.parent.mkdir(parents=True)
        copy.write_bytes(first.read_bytes())
        copies.append(copy)
    other = unique_png(tmp_path / "other.png")
    before = images.decode_checks
    for p in [*copies, *copies, other]:
        images.check_image(p)
    assert images.decode_checks - before == 2  # one content decoded once, the other image once


def test_a_corrupt_copy_fails_under_each_of_its_paths(tmp_path: Path) -> None:
    bad = b"\x89PNG\r\n\x1a\n" + os.urandom(64)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(bad)
    b.write_bytes(bad)
    before = images.decode_checks
    for p in (a, b):
        with pytest.raises(DataError, match=p.name):
            images.check_image(p)
    assert images.decode_checks - before == 1


PLAN = """
import json, sys
from multitrust.core import file_hashes as fh
from multitrust.core.file_hashes import file_hashes
from multitrust.data import images
fh.RACY_SECONDS = 0.0
file_hashes.persist(sys.argv[1])
for p in sys.argv[2:]:
    try:
        images.check_image(p)
    except Exception as exc:
        print(exc)
file_hashes.flush()
print(json.dumps([images.decode_checks, file_hashes.stats.files_read]))
"""


def test_a_pass_is_remembered_across_runs_a_failure_is_not(tmp_path: Path) -> None:
    good = unique_png(tmp_path / "good.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}

    def run() -> list[str]:
        out = subprocess.run(
            [sys.executable, "-c", PLAN, str(tmp_path / "cache.sqlite"), str(good), str(bad)],
            capture_output=True,
            text=True,
            env=env,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.splitlines()

    first, second = run(), run()
    assert first[0].startswith(f"{bad}: corrupt image") and second[0] == first[0]
    assert first[1] == "[2, 2]"  # both decoded, both read
    assert second[1] == "[1, 0]"  # nothing read; only the corrupt one decoded again


def test_a_fifo_named_as_an_image_fails_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # reading it would block forever: no writer
    with pytest.raises(DataError, match=r"pipe\.png: not a regular file"):
        images.check_image(fifo)
