"""Peak memory of checking and sending one large, legal image (default 12000×12000 RGB, under Pillow's
decompression-bomb limit) with ``max_image_side=1024``: what a data tree with huge photos costs a run.

Each measurement runs in a fresh process (``ru_maxrss`` only grows), after a child wrote the images. JPEG
is decoded at reduced scale (``draft``); PNG has no reduced decode in Pillow, so it is decoded in full once.

Prints one line per format: peak RSS in MB of ``check_image`` + ``encode_data_url``, and after imports.

Usage: python bench/image_memory.py [--side 12000] [--formats jpg,png]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

MEASURE = """
import resource, sys
from multitrust.core.types import ImageRef
from multitrust.data.images import check_image
from multitrust.models.remote import encode_data_url
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
check_image(sys.argv[1])
url = encode_data_url(ImageRef(sys.argv[1]), 1024)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"peak_rss_mb={peak:.0f} after_imports_mb={base:.0f} data_url_chars={len(url)}")
"""


WRITE = """
import sys
from pathlib import Path
from PIL import Image
tmp, side = Path(sys.argv[1]), int(sys.argv[2])
big = Image.effect_noise((side // 4, side // 4), 40).convert("RGB").resize((side, side))
for fmt in sys.argv[3].split(","):
    big.save(tmp / f"big.{fmt}", **({"quality": 85} if fmt == "jpg" else {"compress_level": 1}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=12000)
    parser.add_argument("--formats", default="jpg,png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # written by a child: Linux carries a process's peak RSS across fork and exec, so the parent of
        # the measuring processes must never have held the big image itself
        subprocess.run([sys.executable, "-c", WRITE, tmp, str(args.side), args.formats], check=True)
        for fmt in args.formats.split(","):
            path = Path(tmp) / f"big.{fmt}"
            out = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True)
            print(f"{fmt} {args.side}x{args.side}: {out.stdout.strip() or out.stderr.strip()}")


if __name__ == "__main__":
    main()
