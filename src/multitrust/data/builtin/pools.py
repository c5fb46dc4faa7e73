"""The shared unrelated-image pool ``unrelated_images/`` (spec §4.1).

Official loaders list ``natsorted(glob(unrelated_images/*<type>*))`` for type in color, nature, noise, so the
file names carry the type and a zero-padded index (``color_00.png`` …). The three kinds mirror the
official generators: one solid colour, independent uniform noise per pixel, and a nature scene (drawn
procedurally here instead of sampled from a photo folder).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import Image

from multitrust.data.builtin import draw

if TYPE_CHECKING:
    from multitrust.data.builtin import BuildContext

POOL_DIR = "unrelated_images"
POOL_SIZE = 8
COLOR_SIZE = (256, 256)
NOISE_SIZE = (256, 256)
NATURE_SIZE = (320, 240)


def build_unrelated_images(ctx: BuildContext) -> None:
    """Write ``POOL_SIZE`` images of each kind; each image has its own seed key, so the pool does not
    depend on which tasks asked for it."""
    for i in range(POOL_SIZE):
        rng = ctx.rng("unrelated_images", "color", i)
        ctx.save_image(f"{POOL_DIR}/color_{i:02d}.png", Image.new("RGB", COLOR_SIZE, draw.random_color(rng)))

        w, h = NOISE_SIZE
        pixels = ctx.np_rng("unrelated_images", "noise", i).integers(0, 256, size=(h, w, 3), dtype="uint8")
        ctx.save_image(f"{POOL_DIR}/noise_{i:02d}.png", Image.fromarray(pixels, "RGB"))

        nature = draw.landscape(*NATURE_SIZE, ctx.rng("unrelated_images", "nature", i))
        ctx.save_image(f"{POOL_DIR}/nature_{i:02d}.png", nature)
