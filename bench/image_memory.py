"""What large and duplicated images cost a run: peak memory and time of sending one huge image, and the
file reads that hashing saves on a tree where identical bytes sit at several paths.

Part 1, one large legal image (default 12000×9000, flat colour plus noise) checked and sent:
  * ``openai`` / ``anthropic`` with ``max_image_side=1024``: JPEG is decoded at reduced scale (``draft``);
    PNG has no reduced decode in Pillow, so it is decoded in full once;
  * ``openai`` without ``max_image_side``, a 52 MB file (the release's largest) sent as its own bytes through
    the real ``openai-compat:`` request path to the loopback server: the file is streamed into its base64 text.
  Each measurement runs in a fresh process (``ru_maxrss`` only grows) after a child wrote the images, and
  prints the peak RSS, the RSS after imports and the wall time.

Part 2, a tree of ``--distinct`` images (``--kb`` each) stored ``--copies`` more times as copies (other
inodes), hard links and symlinks: the files read and bytes hashed by the first run (a fresh process), the
decode checks run, and the same for a second process that finds the digests in the persistent table.

Usage: python bench/image_memory.py [--side 12000] [--formats jpg,png] [--distinct 200] [--copies 2] [--kb 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

MEASURE = """
import asyncio, json, resource, sys, time
from multitrust.core.types import ImageRef, Message, Request
from multitrust.data.images import check_image
kind, path, side = sys.argv[1], sys.argv[2], int(sys.argv[3]) or None
if kind == "anthropic":
    from multitrust.models.anthropic_api import encode_image as encode
elif kind == "openai":
    from multitrust.models.images import data_url as encode
else:  # the whole request path: real client, real socket, loopback server in another process
    from multitrust.models.spec import load_model
    from multitrust.testing.server import spawn_server
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
check_image(path)
if kind == "request":
    with spawn_server() as server:
        model = load_model(f"openai-compat:{server.url}@m" + (f"?max_image_side={side}" if side else ""))
        async def go():
            r = Request.build(model.spec, (Message("user", "hi", (ImageRef(path),)),), max_tokens=4)
            await model.generate(r)
            await model.aclose()
        asyncio.run(go())
        how = json.dumps(model.image_handling()["images"] and list(model.image_handling()["images"]))
        sent = server.stats()["images"]
else:
    out = encode(ImageRef(path), side)
    how, sent = out.how, 1
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"peak_rss_mb={peak:.0f} after_imports_mb={base:.0f} time_s={wall:.2f} images_sent={sent} how={how}")
"""

WRITE = """
import os, sys, zlib, io
from pathlib import Path
from PIL import Image
tmp, side, formats = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(",")
w, h = side, side * 3 // 4
big = Image.effect_noise((w // 16, h // 16), 40).convert("RGB").resize((w, h))
for fmt in formats:
    big.save(tmp / f"big.{fmt}", **({"quality": 85} if fmt == "jpg" else {"compress_level": 1}))
# a 52 MB PNG that is cheap to decode: a small image with a large private ancillary chunk
buf = io.BytesIO()
Image.new("RGB", (640, 480), (200, 40, 90)).save(buf, format="PNG")
png, payload = buf.getvalue(), os.urandom(52 * 10**6)
chunk = len(payload).to_bytes(4, "big") + b"prVt" + payload + zlib.crc32(b"prVt" + payload).to_bytes(4, "big")
(tmp / "heavy52.png").write_bytes(png[:33] + chunk + png[33:])
"""

HASH = """
import json, sys, time
from multitrust.core import file_hashes as fh
from multitrust.core.file_hashes import file_hashes
from multitrust.core.hashing import file_sha256
from multitrust.data import images
fh.RACY_SECONDS = 0.0  # the tree was written by the parent and is not rewritten
file_hashes.persist(sys.argv[1])
paths = sys.argv[2].split("\\n")
t0 = time.perf_counter()
for p in paths:  # what planning does per image: check it, then hash it for the request
    images.check_image(p)
    file_sha256(p)
file_hashes.flush()
s = file_hashes.stats
print(json.dumps({"paths": len(paths), "files_read": s.files_read, "mb_read": s.bytes_read / 2**20,
                  "mb_not_read": s.bytes_saved / 2**20, "memory_hits": s.memory_hits,
                  "persisted_hits": s.persisted_hits, "decode_checks": images.decode_checks,
                  "time_s": time.perf_counter() - t0}))
"""


def child(code: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip().splitlines()[-1]


def build_tree(root: Path, distinct: int, copies: int, kb: int) -> list[str]:
    """``distinct`` images, each at 1 + 3 × ``copies`` paths: itself, copies, hard links, symlinks."""
    paths: list[str] = []
    for i in range(distinct):
        orig = root / "orig" / f"{i}.jpg"
        orig.parent.mkdir(parents=True, exist_ok=True)
        side = int((kb * 1024 / 1.4) ** 0.5)  # noise at quality 95 takes ~1.4 bytes a pixel
        Image.effect_noise((side, side), 60).convert("RGB").save(orig, quality=95)
        paths.append(str(orig))
        for c in range(copies):
            for kind in ("copy", "hard", "sym"):
                p = root / f"{kind}{c}" / f"{i}.jpg"
                p.parent.mkdir(parents=True, exist_ok=True)
                if kind == "copy":
                    p.write_bytes(orig.read_bytes())
                elif kind == "hard":
                    os.link(orig, p)
                else:
                    p.symlink_to(orig)
                paths.append(str(p))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=12000)
    parser.add_argument("--formats", default="jpg,png")
    parser.add_argument("--distinct", type=int, default=200)
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--kb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # written by a child: Linux carries a process's peak RSS across fork and exec, so the parent of
        # the measuring processes must never have held the big image itself
        subprocess.run([sys.executable, "-c", WRITE, tmp, str(args.side), args.formats], check=True)
        dims = f"{args.side}x{args.side * 3 // 4}"
        for fmt in args.formats.split(","):
            path = str(Path(tmp) / f"big.{fmt}")
            mb = os.path.getsize(path) / 2**20
            for kind in ("openai", "anthropic"):
                print(f"{fmt} {dims} ({mb:.1f} MB) {kind} max_image_side=1024: {child(MEASURE, kind, path, '1024')}")
        heavy = str(Path(tmp) / "heavy52.png")
        sent = child(MEASURE, "request", heavy, "0")
        print(f"52 MB PNG, original bytes, full request to the loopback server: {sent}")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = build_tree(root / "tree", args.distinct, args.copies, args.kb)
        db = str(root / "cache" / "file-hashes.sqlite")
        listing = "\n".join(paths)
        print(
            f"tree: {args.distinct} images × (1 + {args.copies} copies + {args.copies} hard links + "
            f"{args.copies} symlinks) = {len(paths)} paths"
        )
        for label in ("first run", "second run"):
            got = json.loads(child(HASH, db, listing))
            shown = " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in got.items())
            print(f"{label}: {shown}")


if __name__ == "__main__":
    main()
