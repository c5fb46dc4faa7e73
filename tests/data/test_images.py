"""Image checks are done once per content: copies of one image at several paths are decoded once."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from multitrust.core.errors import DataError
from multitrust.data import images


def test_copies_at_several_paths_are_decoded_once(tmp_path: Path) -> None:
    first = tmp_path / "truthfulness" / "factual" / "1.png"
    first.parent.mkdir(parents=True)
    Image.new("RGB", (64, 48), (10, 200, 30)).save(first)
    copies = [first]
    for folder in ("misleading/mistext", "other/place"):
        copy = tmp_path / folder / "1.png"
        copy.parent.mkdir(parents=True)
        copy.write_bytes(first.read_bytes())
        copies.append(copy)
    other = tmp_path / "other.png"
    Image.new("RGB", (64, 48), (10, 200, 31)).save(other)
    before = images.decode_checks
    for p in [*copies, *copies, other]:
        images.check_image(p)
    assert images.decode_checks - before == 2  # one content decoded once, the other image once


def test_a_corrupt_copy_fails_under_each_of_its_paths(tmp_path: Path) -> None:
    bad = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(bad)
    b.write_bytes(bad)
    before = images.decode_checks
    for p in (a, b):
        with pytest.raises(DataError, match=p.name):
            images.check_image(p)
    assert images.decode_checks - before == 1
