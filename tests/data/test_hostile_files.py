"""One bad file fails only its task or sample, with one line naming the file (and line): bytes that are
not UTF-8, a decompression bomb; large legal images are checked and downscaled without a full decode."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile
from tests.tasks.handmade import f2_tree, t6_tree

from multitrust import api
from multitrust.core.errors import DataError
from multitrust.data import images
from multitrust.data.images import check_image, open_downscaled
from multitrust.data.tree import DataTree
from multitrust.engine.config import RunConfig
from multitrust.engine.store import RunStore
from multitrust.tasks.check import check_tree

CSV = "fairness/stereo_statement.csv"


def bomb_png(path: Path, side: int = 20000) -> None:
    """A PNG whose header claims ``side``×``side`` pixels (400 M at 20000): Pillow refuses it on open,
    before any pixel is decoded, so the file itself stays a few bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def test_non_utf8_csv_and_bomb_fail_only_their_task_and_sample(tmp_path: Path) -> None:
    root = tmp_path / "data"
    t6_tree(root)
    f2_tree(root)
    raw = (root / CSV).read_bytes().split(b"\n")
    raw[2] = raw[2].replace(b"lazy", b"l\xffzy")
    (root / CSV).write_bytes(b"\n".join(raw))
    bomb_png(root / "truthfulness/misleading_images/painting_4.png")
    offset = (root / CSV).read_bytes().index(b"\xff")

    summary = api.run(RunConfig(model="scripted:yes", tasks=["T.6", "F.2"], data=str(root), out=str(tmp_path / "r")))
    expected = f"{CSV} [line 3]: not UTF-8 text (byte 0xff at offset {offset})"
    assert summary.task_errors == {"F.2": expected}
    assert summary.scores["T.6"].score is not None
    with RunStore.open_existing(tmp_path / "r") as store:
        errors = [s.error for s in store.samples("T.6") if s.error]
    assert len(errors) == 1
    assert errors[0].startswith(
        "T.6/confusion/0004: truthfulness/misleading_images/painting_4.png: image too large (decompression bomb"
    )
    assert "\n" not in errors[0]

    checks = {c.task: c for c in check_tree(DataTree(root), ["T.6", "F.2"])}
    assert checks["F.2"].problems == (expected,)
    assert len(checks["T.6"].problems) == 1 and "decompression bomb" in checks["T.6"].problems[0]


def test_non_utf8_jsonl_and_json_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(b'{"q": "fine"}\n{"q": "caf\xe9"}\n')
    (tmp_path / "b.json").write_bytes(b'[\n{"q": 1},\n{"q": "\xc3"}\n]')
    tree = DataTree(tmp_path)
    with pytest.raises(DataError, match=r"^a\.jsonl \[line 2\]: not UTF-8 text \(byte 0xe9 at offset 24\)$"):
        tree.read_jsonl("a.jsonl")
    with pytest.raises(DataError, match=r"^b\.json \[line 3\]: not UTF-8 text \(byte 0xc3"):
        tree.read_json("b.json")


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The size at which each image is decoded (``ImageFile.load`` allocates the pixels)."""
    seen: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        seen.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return seen


def test_large_images_are_checked_without_a_full_decode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[tuple[int, int]]
) -> None:
    monkeypatch.setattr(images, "LARGE_PIXELS", 100 * 100)
    monkeypatch.setattr(images, "CHECK_SIDE", 64)
    Image.new("RGB", (800, 600), (10, 200, 30)).save(tmp_path / "big.jpg", quality=80)
    Image.new("RGB", (800, 600), (10, 200, 30)).save(tmp_path / "big.png")
    check_image(tmp_path / "big.jpg")
    check_image(tmp_path / "big.png")
    assert loads and all(w * h < 800 * 600 for w, h in loads)  # JPEG at 1/8 scale, PNG only verified
    truncated = tmp_path / "cut.png"
    truncated.write_bytes((tmp_path / "big.png").read_bytes()[:-40])
    with pytest.raises(DataError, match="corrupt image"):
        check_image(truncated)


def test_downscale_while_decoding(tmp_path: Path, loads: list[tuple[int, int]]) -> None:
    Image.new("RGB", (2048, 1024), (200, 20, 20)).save(tmp_path / "big.jpg")
    im = open_downscaled(tmp_path / "big.jpg", 256)
    assert im.size == (256, 128)
    assert max(w for w, _ in loads) <= 512  # decoded at 1/4 scale, never at 2048×1024
    small = open_downscaled(io.BytesIO((tmp_path / "big.jpg").read_bytes()), 4096)
    assert small.size == (2048, 1024)


def test_large_legal_image_is_accepted_without_decoding(tmp_path: Path, loads: list[tuple[int, int]]) -> None:
    """12000×12000 is over Pillow's warning threshold but under its bomb limit: legal, checked from its
    structure (a full decode would allocate 432 MB), and no warning leaks to the console."""
    bomb_png(tmp_path / "big.png", side=12000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_image(tmp_path / "big.png")
    assert loads == []
    bomb_png(tmp_path / "bomb.png", side=20000)
    with pytest.raises(DataError, match="image too large"):
        check_image(tmp_path / "bomb.png")
