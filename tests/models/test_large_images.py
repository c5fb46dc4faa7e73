"""Large images through real adapters and the real loopback server: what bytes arrive, what the run
records, and what memory it costs.

The images are flat colour, so they are cheap to write (a 12,000 × 9,000 JPEG is ~1 MB) while their pixel
count is what a full decode would pay for (324 MB as RGB). They are written once per module by a child
process, so this process never holds the full-size pixels (RSS is measured in fresh children too).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from multitrust.core.types import ImageRef, Message, Request
from multitrust.models.images import ORIGINAL, downscaled
from multitrust.models.spec import load_model
from multitrust.testing.server import ServerHandle, start_server

pytestmark = pytest.mark.timeout(120)

SRC = str(Path(__file__).resolve().parents[2] / "src")
COLOUR = (200, 40, 90)

WRITE = """
import sys
from PIL import Image
Image.new("RGB", (12000, 9000), (200, 40, 90)).save(sys.argv[1], quality=90)
"""


def child(code: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=90)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large") / "photo.jpg"
    child(WRITE, str(path))
    return path


def padded_png(path: Path, megabytes: int) -> Path:
    """A valid 64 × 48 PNG carrying ``megabytes`` of incompressible data in a private ancillary chunk: a
    file as heavy as the release's largest images that costs nothing to decode."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), COLOUR).save(buf, format="PNG")
    png = buf.getvalue()
    payload = os.urandom(megabytes << 20)
    chunk = len(payload).to_bytes(4, "big") + b"prVt" + payload
    chunk += zlib.crc32(b"prVt" + payload).to_bytes(4, "big")
    path.write_bytes(png[:33] + chunk + png[33:])  # right after IHDR
    return path


@pytest.fixture
def server() -> Iterator[ServerHandle]:
    with start_server(record_images=True) as handle:
        yield handle


def ask(spec: str, image: Path) -> Any:
    model = load_model(spec)

    async def go() -> Any:
        try:
            request = Request.build(model.spec, (Message("user", "describe", (ImageRef(str(image)),)),), max_tokens=8)
            await model.generate(request)
            return model
        finally:
            await model.aclose()

    return asyncio.run(go())


def test_huge_jpeg_is_downscaled_only_for_a_backend_that_asks(server: ServerHandle, big_jpeg: Path) -> None:
    digest = ImageRef(str(big_jpeg)).sha256
    small = ask(f"openai-compat:{server.url}@m?max_image_side=1024", big_jpeg)
    ((mime, data),) = server.received_images()
    assert mime == "image/png"
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (1024, 768)  # 12000 × 9000 scaled by 1024 / 12000, aspect kept
        r, g, b = im.convert("RGB").getpixel((512, 384))
        assert abs(r - COLOUR[0]) <= 3 and abs(g - COLOUR[1]) <= 3 and abs(b - COLOUR[2]) <= 3
    assert small.image_handling() == {"max_image_side": 1024, "images": {downscaled(1024, "PNG"): [digest]}}

    server.reset()
    full = ask(f"openai-compat:{server.url}@m", big_jpeg)
    ((mime, data),) = server.received_images()
    assert (mime, data) == ("image/jpeg", big_jpeg.read_bytes())  # the file's own bytes, untouched
    assert full.image_handling() == {"max_image_side": None, "images": {ORIGINAL: [digest]}}

    server.reset()
    roomy = ask(f"openai-compat:{server.url}@m?max_image_side=20000", big_jpeg)
    assert server.received_images() == [("image/jpeg", big_jpeg.read_bytes())]  # fits: not re-encoded
    assert roomy.image_handling() == {"max_image_side": 20000, "images": {ORIGINAL: [digest]}}


def test_a_52_mb_file_arrives_byte_for_byte(server: ServerHandle, tmp_path: Path) -> None:
    heavy = padded_png(tmp_path / "heavy.png", 52)
    ask(f"openai-compat:{server.url}@m?max_image_side=1024", heavy)  # 64 × 48 fits: sent as it is
    ((mime, data),) = server.received_images()
    assert mime == "image/png" and data == heavy.read_bytes()


def test_max_image_side_is_part_of_every_remote_adapters_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("anthropic")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    url = "http://127.0.0.1:9/v1"
    messages = (Message("user", "hi"),)
    for base in ("openai:gpt-4o", f"openai-compat:{url}@m", f"openai-compat:{url},{url}2@m", "anthropic:claude-x"):
        specs = [load_model(base + opt).spec for opt in ("", "?max_image_side=512", "?max_image_side=1024")]
        assert specs[1].endswith("?max_image_side=512") and specs[2].endswith("?max_image_side=1024"), specs
        hashes = {Request.build(s, messages, max_tokens=4).hash for s in specs}
        assert len(hashes) == 3, f"{base}: a different downscale must be a different request"
        assert load_model(base + "?max_image_side=512&timeout=5").spec == specs[1], "other options stay out"


MEASURE = """
import json, resource, sys, tracemalloc
from multitrust.core.types import ImageRef
kind, path, side = sys.argv[1], sys.argv[2], (int(sys.argv[3]) or None)
if kind == "anthropic":
    from multitrust.models.anthropic_api import encode_image as encode
else:
    from multitrust.models.images import data_url as encode
encode(ImageRef(path), None)  # warm up imports on a first call (cheap for the padded PNG, see below)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tracemalloc.start()
out = encode(ImageRef(path), side)
py_peak = tracemalloc.get_traced_memory()[1] / 2**20
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rss_growth_mb": peak - base, "py_peak_mb": py_peak, "how": out.how}))
"""


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_downscaling_a_huge_jpeg_never_decodes_it_at_full_size(kind: str, tmp_path: Path, big_jpeg: Path) -> None:
    if kind == "anthropic":
        pytest.importorskip("anthropic")
    warm = padded_png(tmp_path / "warm.png", 0)
    # the warm-up call encodes a tiny PNG; the measured one the 12000 × 9000 JPEG
    code = MEASURE.replace("encode(ImageRef(path), None)", f"encode(ImageRef({str(warm)!r}), None)")
    got = json.loads(child(code, kind, str(big_jpeg), "1024"))
    assert got["how"] == downscaled(1024, "PNG")
    # decoded at 1/8 scale (1500 × 1125 × 3 = 5 MB) then resized; a full decode would need 324 MB
    assert got["rss_growth_mb"] < 80, got


def test_sending_a_52_mb_file_holds_its_base64_text_at_most_twice(tmp_path: Path) -> None:
    heavy = padded_png(tmp_path / "heavy.png", 52)
    got = json.loads(child(MEASURE, "openai", str(heavy), "0"))
    b64_mb = 4 * heavy.stat().st_size / 3 / 2**20  # the data URL that must exist: ~69 MB
    assert got["how"] == ORIGINAL
    # streamed: block texts, then the joined text; reading the file whole first would add its 52 MB
    assert got["py_peak_mb"] < 2.1 * b64_mb, got
