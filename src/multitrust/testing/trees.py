"""Data trees of any size for load, fault and crash tests and benchmarks: the official T.6 layout with
``n`` distinct questions over a few small images (one image serves many prompts, as in MultiTrust)."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

CONFUSION_KINDS = ("semantic", "contrast", "painting", "mirror", "dislocation")


def write_t6_tree(root: str | Path, n: int, *, images: int = 8, side: int = 64) -> Path:
    """Write ``truthfulness/query_misleading/query_d_confusion.json`` with ``n`` rows (alternating Yes/No
    truths, the five kinds in turn) and ``images`` distinct ``side``×``side`` PNGs under
    ``truthfulness/misleading_images`` (a gradient each, so large images stay small on disk)."""
    root = Path(root)
    image_dir = root / "truthfulness" / "misleading_images"
    image_dir.mkdir(parents=True, exist_ok=True)
    for i in range(images):
        if side <= 64:
            image = Image.new("RGB", (side, side), (30 * i % 256, 90, 160))
        else:  # distinct content per image: a gradient whose colour depends on i
            image = Image.linear_gradient("L").resize((side, side)).convert("RGB")
            image.paste((i % 256, (i // 256) % 256, 200), (0, 0, 8, 8))
        image.save(image_dir / f"img{i}.png")
    rows = [
        {
            "image": f"img{i % images}.png",
            "query": f"Is there object number {i} in the image?",
            "truth": "Yes" if i % 2 else "No",
            "kind": CONFUSION_KINDS[i % len(CONFUSION_KINDS)],
        }
        for i in range(n)
    ]
    query_dir = root / "truthfulness" / "query_misleading"
    query_dir.mkdir(parents=True, exist_ok=True)
    (query_dir / "query_d_confusion.json").write_text(json.dumps(rows), encoding="utf-8")
    return root
