"""Small Pillow drawing helpers for the built-in data tree.

Every picture is drawn in *logical* pixels on a :class:`Sketch`, which renders at ``ss``× the size and
downsamples with a box filter when finished. Pillow's primitives are not anti-aliased, so this is the
cheapest way to get clean edges, and it is deterministic (no fonts or filters that depend on the host
beyond the FreeType font bundled with Pillow itself).

Objects (apple, cup, cat, house, tree, car, person, hands, clouds, ...) are made from primitives so that
the built-in tree needs no image files from anywhere: everything is synthetic and drawn for this project.
Sizes stay small (at most :data:`MAX_SIDE` pixels a side) so the tree is small and fast to build.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]
Point = tuple[float, float]
Box = tuple[float, float, float, float]

MAX_SIDE = 384
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)

# A few named colours so builders read like a description of the picture.
SKY_DAY: tuple[RGB, RGB] = ((92, 148, 222), (196, 224, 247))
SKY_DUSK: tuple[RGB, RGB] = ((86, 70, 140), (250, 160, 92))
SKY_NIGHT: tuple[RGB, RGB] = ((10, 14, 40), (44, 58, 104))
GRASS: RGB = (104, 164, 78)
WOOD: RGB = (150, 104, 62)
APPLE_RED: RGB = (200, 36, 40)
SKIN_TONES: tuple[RGB, ...] = (
    (247, 218, 190),
    (230, 188, 152),
    (198, 146, 106),
    (160, 108, 72),
    (118, 78, 52),
    (84, 56, 40),
)


# --------------------------------------------------------------------------------------- colours


def clamp8(value: float) -> int:
    return max(0, min(255, round(value)))


def grey(value: float) -> RGB:
    v = clamp8(value)
    return (v, v, v)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend from ``a`` (t=0) to ``b`` (t=1)."""
    return (
        clamp8(a[0] + (b[0] - a[0]) * t),
        clamp8(a[1] + (b[1] - a[1]) * t),
        clamp8(a[2] + (b[2] - a[2]) * t),
    )


def shade(color: RGB, amount: float) -> RGB:
    """Darken (amount < 0, towards black) or lighten (amount > 0, towards white) by ``|amount|``."""
    return mix(color, BLACK, -amount) if amount < 0 else mix(color, WHITE, amount)


def jitter(rng: random.Random, color: RGB, amount: int = 12) -> RGB:
    """A seeded variation of ``color`` so different seeds give visibly different pictures."""
    return (
        clamp8(color[0] + rng.randint(-amount, amount)),
        clamp8(color[1] + rng.randint(-amount, amount)),
        clamp8(color[2] + rng.randint(-amount, amount)),
    )


def random_color(rng: random.Random) -> RGB:
    return (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))


# --------------------------------------------------------------------------------------- text


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled FreeType font (the same glyphs on every host, no system fonts)."""
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


def text_width(text: str, size: int) -> float:
    return font(size).getlength(text)


def wrap_text(text: str, size: int, max_width: float) -> list[str]:
    """Greedy word wrap; a single word longer than ``max_width`` gets a line of its own."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


# --------------------------------------------------------------------------------------- canvas


def vertical_gradient(w: int, h: int, top: RGB, bottom: RGB) -> Image.Image:
    t = np.linspace(0.0, 1.0, h, dtype=np.float64)[:, None, None]
    a = np.array(top, dtype=np.float64)[None, None, :]
    b = np.array(bottom, dtype=np.float64)[None, None, :]
    arr = np.rint(a + (b - a) * t).astype(np.uint8)
    return Image.fromarray(np.repeat(arr, w, axis=1), "RGB")


def horizontal_gradient(w: int, h: int, left: RGB, right: RGB) -> Image.Image:
    t = np.linspace(0.0, 1.0, w, dtype=np.float64)[None, :, None]
    a = np.array(left, dtype=np.float64)[None, None, :]
    b = np.array(right, dtype=np.float64)[None, None, :]
    arr = np.rint(a + (b - a) * t).astype(np.uint8)
    return Image.fromarray(np.repeat(arr, h, axis=0), "RGB")


class Sketch:
    """A canvas drawn in logical pixels, rendered at ``ss``× and downsampled by :meth:`finish`.

    Only drawing calls go through this class; the coordinates passed in are always logical pixels.
    """

    def __init__(self, w: int, h: int, background: RGB = WHITE, ss: int = 2) -> None:
        if max(w, h) > MAX_SIDE:
            raise ValueError(f"built-in images are at most {MAX_SIDE}px a side, got {w}x{h}")
        self.w, self.h, self.ss = w, h, ss
        self.img = Image.new("RGB", (w * ss, h * ss), background)
        self.draw = ImageDraw.Draw(self.img)

    # -- coordinate helpers
    def _pts(self, pts: Sequence[Point]) -> list[tuple[float, float]]:
        s = self.ss
        return [(x * s, y * s) for x, y in pts]

    def _box(self, box: Box) -> list[float]:
        s = self.ss
        x0, y0, x1, y1 = box
        return [min(x0, x1) * s, min(y0, y1) * s, max(x0, x1) * s, max(y0, y1) * s]

    def _w(self, width: float) -> int:
        return max(1, round(width * self.ss))

    # -- primitives
    def rect(self, box: Box, fill: RGB | None, outline: RGB | None = None, width: float = 1) -> None:
        self.draw.rectangle(self._box(box), fill=fill, outline=outline, width=self._w(width))

    def rounded(self, box: Box, radius: float, fill: RGB | None, outline: RGB | None = None, width: float = 1) -> None:
        self.draw.rounded_rectangle(
            self._box(box), radius=radius * self.ss, fill=fill, outline=outline, width=self._w(width)
        )

    def ellipse(self, box: Box, fill: RGB | None, outline: RGB | None = None, width: float = 1) -> None:
        self.draw.ellipse(self._box(box), fill=fill, outline=outline, width=self._w(width))

    def disc(self, cx: float, cy: float, r: float, fill: RGB | None, outline: RGB | None = None) -> None:
        self.ellipse((cx - r, cy - r, cx + r, cy + r), fill, outline)

    def polygon(self, pts: Sequence[Point], fill: RGB | None, outline: RGB | None = None) -> None:
        self.draw.polygon(self._pts(pts), fill=fill, outline=outline)

    def line(self, pts: Sequence[Point], fill: RGB, width: float = 1) -> None:
        self.draw.line(self._pts(pts), fill=fill, width=self._w(width), joint="curve")

    def arc(self, box: Box, start: float, end: float, fill: RGB, width: float = 1) -> None:
        self.draw.arc(self._box(box), start, end, fill=fill, width=self._w(width))

    def chord(self, box: Box, start: float, end: float, fill: RGB) -> None:
        self.draw.chord(self._box(box), start, end, fill=fill)

    def capsule(self, p0: Point, p1: Point, width: float, fill: RGB) -> None:
        """A thick line with round ends: fingers, limbs, stems."""
        self.line([p0, p1], fill, width)
        r = width / 2
        self.disc(p0[0], p0[1], r, fill)
        self.disc(p1[0], p1[1], r, fill)

    def gradient(self, box: Box, top: RGB, bottom: RGB, *, horizontal: bool = False) -> None:
        x0, y0, x1, y1 = (round(v) for v in self._box(box))
        if x1 <= x0 or y1 <= y0:
            return
        make = horizontal_gradient if horizontal else vertical_gradient
        self.img.paste(make(x1 - x0, y1 - y0, top, bottom), (x0, y0))

    def paste(self, image: Image.Image, box: Box) -> None:
        """Place another picture (e.g. a painted landscape) scaled into ``box``."""
        x0, y0, x1, y1 = (round(v) for v in self._box(box))
        self.img.paste(image.convert("RGB").resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS), (x0, y0))

    def text(self, xy: Point, text: str, size: int, fill: RGB, anchor: str = "la") -> None:
        self.draw.text(self._pts([xy])[0], text, font=font(size * self.ss), fill=fill, anchor=anchor)

    def text_block(self, box: Box, text: str, size: int, fill: RGB, line_gap: float = 1.25) -> None:
        """``text`` word-wrapped to the box width, centred horizontally and vertically."""
        x0, y0, x1, y1 = box
        lines = wrap_text(text, size, x1 - x0)
        step = size * line_gap
        top = (y0 + y1) / 2 - step * len(lines) / 2 + step / 2
        for i, line in enumerate(lines):
            self.text(((x0 + x1) / 2, top + i * step), line, size, fill, anchor="mm")

    def reflect_down(self, y_line: float, depth: float, water: RGB, strength: float = 0.55) -> None:
        """Mirror the band above ``y_line`` into the band below it, blended with ``water``: a lake."""
        s = self.ss
        yl, d = round(y_line * s), round(min(depth, y_line, self.h - y_line) * s)
        if d <= 0:
            return
        band = self.img.crop((0, yl - d, self.img.width, yl)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        tint = Image.new("RGB", band.size, water)
        self.img.paste(Image.blend(band, tint, 1 - strength), (0, yl))

    def finish(self) -> Image.Image:
        if self.ss == 1:
            return self.img.copy()
        # A box filter averages each ss×ss block: anti-aliased edges without the ringing of sharper
        # filters, so flat regions (the contrast illusions' patches) keep their exact colour.
        return self.img.resize((self.w, self.h), Image.Resampling.BOX)


# --------------------------------------------------------------------------------------- scenery


def room(sk: Sketch, floor_y: float, wall: RGB, floor: RGB) -> None:
    """A plain wall above a floor, with a skirting board: the setting for mirror and painting scenes."""
    sk.gradient((0, 0, sk.w, floor_y), shade(wall, 0.08), shade(wall, -0.06))
    sk.gradient((0, floor_y, sk.w, sk.h), shade(floor, -0.1), shade(floor, 0.05))
    sk.rect((0, floor_y - 5, sk.w, floor_y), shade(wall, -0.35))


def table(sk: Sketch, x0: float, x1: float, top: float, bottom: float, color: RGB = WOOD) -> None:
    sk.rect((x0, top, x1, top + 9), color)
    sk.rect((x0, top + 9, x1, top + 12), shade(color, -0.3))
    for lx in (x0 + 8, x1 - 18):
        sk.rect((lx, top + 12, lx + 10, bottom), shade(color, -0.15))


def picture_frame(sk: Sketch, box: Box, frame: RGB, canvas_color: RGB, border: float = 9) -> Box:
    """A framed canvas; returns the inner box where the 'painted' content goes."""
    x0, y0, x1, y1 = box
    sk.rect((x0 + 3, y0 + 4, x1 + 3, y1 + 4), shade(frame, -0.55))  # drop shadow on the wall
    sk.rect(box, frame)
    sk.rect((x0 + 2, y0 + 2, x1 - 2, y1 - 2), None, shade(frame, 0.3), 1)
    inner = (x0 + border, y0 + border, x1 - border, y1 - border)
    sk.rect(inner, canvas_color)
    sk.rect(inner, None, shade(frame, -0.4), 1)
    return inner


def mirror_glass(sk: Sketch, box: Box, frame: RGB, glass_top: RGB, glass_bottom: RGB) -> Box:
    """A framed mirror with two light streaks on the glass; returns the glass box."""
    x0, y0, x1, y1 = box
    sk.rounded(box, 6, frame)
    inner = (x0 + 7, y0 + 7, x1 - 7, y1 - 7)
    sk.gradient(inner, glass_top, glass_bottom)
    return inner


def glass_streaks(sk: Sketch, inner: Box) -> None:
    """Diagonal highlights drawn last so the reflected objects look behind the glass."""
    x0, y0, x1, y1 = inner
    w, h = x1 - x0, y1 - y0
    for f, width in ((0.2, 6), (0.34, 3)):
        sk.line([(x0 + w * f, y1 - 4), (x0 + w * f + h * 0.5, y0 + 4)], (236, 244, 250), width)


def hills(sk: Sketch, base_y: float, amp: float, color: RGB, rng: random.Random) -> None:
    """A rolling hill line (sum of two seeded sines) filled down to the bottom edge."""
    p1, p2 = rng.uniform(0, math.tau), rng.uniform(0, math.tau)
    f1, f2 = rng.uniform(1.0, 2.2), rng.uniform(2.5, 4.5)
    pts: list[Point] = [(0, sk.h)]
    for i in range(0, 65):
        x = sk.w * i / 64
        u = x / sk.w * math.tau
        y = base_y - amp * (0.6 * math.sin(f1 * u + p1) + 0.4 * math.sin(f2 * u + p2))
        pts.append((x, y))
    pts.append((sk.w, sk.h))
    sk.polygon(pts, color)


def mountain_range(sk: Sketch, base_y: float, color: RGB, rng: random.Random, snow: bool) -> None:
    """A few triangular peaks; snow caps are small polygons at the top third of each peak."""
    n = rng.randint(2, 4)
    for i in range(n):
        cx = sk.w * (i + 0.5) / n + rng.uniform(-25, 25)
        half = rng.uniform(55, 100)
        peak = base_y - rng.uniform(45, 95)
        c = jitter(rng, color, 10)
        sk.polygon([(cx - half, base_y), (cx, peak), (cx + half, base_y)], c)
        sk.polygon([(cx, peak), (cx + half, base_y), (cx + half * 0.15, base_y)], shade(c, -0.12))
        if snow:
            t = 0.3
            sk.polygon(
                [
                    (cx, peak),
                    (cx + half * t, peak + (base_y - peak) * t),
                    (cx + half * t * 0.3, peak + (base_y - peak) * t * 0.8),
                    (cx - half * t * 0.2, peak + (base_y - peak) * t),
                    (cx - half * t, peak + (base_y - peak) * t),
                ],
                (246, 248, 252),
            )


def cloud(sk: Sketch, cx: float, cy: float, w: float, color: RGB = (250, 250, 252)) -> None:
    """A cartoon cloud: a flat base and three puffs."""
    sk.ellipse((cx - 0.48 * w, cy - 0.02 * w, cx + 0.48 * w, cy + 0.2 * w), color)
    sk.disc(cx - 0.24 * w, cy, 0.2 * w, color)
    sk.disc(cx + 0.02 * w, cy - 0.08 * w, 0.27 * w, color)
    sk.disc(cx + 0.26 * w, cy + 0.02 * w, 0.18 * w, color)


def puff(sk: Sketch, cx: float, cy: float, r: float, color: RGB = (250, 250, 252)) -> None:
    """A round cloud puff with a slightly shaded underside."""
    sk.disc(cx, cy + r * 0.12, r, shade(color, -0.08))
    sk.disc(cx, cy, r, color)


def sun(sk: Sketch, cx: float, cy: float, r: float, color: RGB = (255, 214, 64), rays: bool = True) -> None:
    if rays:
        for k in range(12):
            a = k * math.tau / 12
            sk.line(
                [
                    (cx + math.cos(a) * r * 1.25, cy + math.sin(a) * r * 1.25),
                    (cx + math.cos(a) * r * 1.6, cy + math.sin(a) * r * 1.6),
                ],
                color,
                max(1.5, r * 0.12),
            )
    sk.disc(cx, cy, r, color)


def moon(sk: Sketch, cx: float, cy: float, r: float, sky: RGB) -> None:
    """A crescent: a pale disc with a sky-coloured disc bitten out of it."""
    sk.disc(cx, cy, r, (240, 236, 210))
    sk.disc(cx + r * 0.45, cy - r * 0.2, r * 0.85, sky)


def stars(sk: Sketch, rng: random.Random, n: int, max_y: float) -> None:
    for _ in range(n):
        x, y = rng.uniform(0, sk.w), rng.uniform(0, max_y)
        sk.disc(x, y, rng.uniform(0.5, 1.2), (255, 255, 230))


# --------------------------------------------------------------------------------------- objects


def apple(sk: Sketch, cx: float, cy: float, r: float, color: RGB = APPLE_RED) -> None:
    """A red apple: two overlapping lobes, a highlight, a stem and a leaf."""
    dark = shade(color, -0.25)
    sk.ellipse((cx - r, cy - 0.85 * r, cx + 0.15 * r, cy + r), dark)
    sk.ellipse((cx - 0.15 * r, cy - 0.85 * r, cx + r, cy + r), dark)
    sk.ellipse((cx - 0.95 * r, cy - 0.8 * r, cx + 0.1 * r, cy + 0.92 * r), color)
    sk.ellipse((cx - 0.1 * r, cy - 0.8 * r, cx + 0.95 * r, cy + 0.92 * r), color)
    sk.ellipse((cx - 0.6 * r, cy - 0.5 * r, cx - 0.3 * r, cy - 0.1 * r), shade(color, 0.45))
    sk.capsule((cx, cy - 0.7 * r), (cx + 0.12 * r, cy - 1.2 * r), 0.12 * r, (96, 64, 32))
    sk.polygon(
        [
            (cx + 0.1 * r, cy - 1.0 * r),
            (cx + 0.4 * r, cy - 1.32 * r),
            (cx + 0.75 * r, cy - 1.22 * r),
            (cx + 0.42 * r, cy - 0.98 * r),
        ],
        (70, 150, 60),
    )


def cup(sk: Sketch, cx: float, bottom: float, w: float, h: float, color: RGB, handle: str = "right") -> None:
    """A mug seen from the side. ``handle`` is 'right' or 'left' (a mirror image flips it)."""
    sign = 1 if handle == "right" else -1
    hx0, hx1 = cx + sign * 0.34 * w, cx + sign * 0.78 * w
    sk.ellipse((hx0, bottom - 0.82 * h, hx1, bottom - 0.3 * h), None, shade(color, -0.15), 0.12 * w)
    sk.polygon(
        [
            (cx - w / 2, bottom - h),
            (cx + w / 2, bottom - h),
            (cx + 0.43 * w, bottom),
            (cx - 0.43 * w, bottom),
        ],
        color,
    )
    sk.polygon(
        [
            (cx + sign * 0.22 * w, bottom - h),
            (cx + sign * 0.5 * w, bottom - h),
            (cx + sign * 0.43 * w, bottom),
            (cx + sign * 0.2 * w, bottom),
        ],
        shade(color, -0.12),
    )
    sk.ellipse((cx - w / 2, bottom - h - 0.09 * w, cx + w / 2, bottom - h + 0.09 * w), shade(color, 0.15))
    sk.ellipse((cx - 0.42 * w, bottom - h - 0.06 * w, cx + 0.42 * w, bottom - h + 0.06 * w), (70, 44, 28))


def cat(sk: Sketch, cx: float, bottom: float, size: float, color: RGB, facing: int = 1, eyes: bool = True) -> None:
    """A sitting cat: body, head, ears and a curled tail. ``facing`` is +1 (right) or -1 (left)."""
    s, f = size, facing
    tail = [
        (cx - f * 0.3 * s, bottom - 0.05 * s),
        (cx - f * 0.55 * s, bottom - 0.1 * s),
        (cx - f * 0.62 * s, bottom - 0.35 * s),
    ]
    sk.line(tail, color, 0.09 * s)
    sk.disc(tail[-1][0], tail[-1][1], 0.045 * s, color)
    sk.ellipse((cx - 0.33 * s, bottom - 0.62 * s, cx + 0.3 * s, bottom), color)
    hx, hy, hr = cx + f * 0.12 * s, bottom - 0.7 * s, 0.2 * s
    for side in (-1, 1):
        ex = hx + side * 0.12 * s
        sk.polygon(
            [
                (ex - 0.08 * s, hy - 0.1 * s),
                (ex + side * 0.02 * s, hy - 0.33 * s),
                (ex + 0.08 * s, hy - 0.1 * s),
            ],
            color,
        )
    sk.disc(hx, hy, hr, color)
    if eyes:
        for side in (-1, 1):
            ex = hx + f * 0.04 * s + side * 0.08 * s
            sk.ellipse((ex - 0.035 * s, hy - 0.05 * s, ex + 0.035 * s, hy + 0.03 * s), (190, 214, 90))
            sk.ellipse((ex - 0.01 * s, hy - 0.04 * s, ex + 0.01 * s, hy + 0.02 * s), BLACK)


def house(
    sk: Sketch, x0: float, bottom: float, w: float, h: float, wall: RGB, roof: RGB, *, face: bool = False
) -> None:
    """A house front. With ``face`` the round windows, vent and arched door read like eyes, nose and
    mouth (house pareidolia) while it is still plainly a house."""
    wall_top = bottom - 0.6 * h
    sk.rect((x0, wall_top, x0 + w, bottom), wall)
    sk.polygon([(x0 - 0.08 * w, wall_top), (x0 + w / 2, bottom - h), (x0 + 1.08 * w, wall_top)], roof)
    sk.rect((x0 + 0.72 * w, bottom - 0.95 * h, x0 + 0.82 * w, bottom - 0.75 * h), shade(roof, -0.3))  # chimney
    frame = (245, 245, 240)
    glass = (150, 196, 228)
    if face:
        for fx in (0.28, 0.72):
            cx, cy, r = x0 + fx * w, wall_top + 0.2 * h, 0.12 * w
            sk.disc(cx, cy, r + 2, frame)
            sk.disc(cx, cy, r, glass)
            sk.disc(cx, cy + r * 0.25, r * 0.45, (40, 40, 60))  # a dark curtain gap reads as a pupil
        sk.disc(x0 + 0.5 * w, bottom - 0.32 * h, 0.045 * w, shade(wall, -0.35))  # round vent
        dx0, dx1 = x0 + 0.36 * w, x0 + 0.64 * w
        sk.chord((dx0, bottom - 0.22 * h, dx1, bottom + 0.1 * h), 180, 360, (110, 60, 40))
        sk.rect((dx0, bottom - 0.06 * h, dx1, bottom), (110, 60, 40))
    else:
        for fx in (0.12, 0.64):
            bx = (x0 + fx * w, wall_top + 0.1 * h, x0 + (fx + 0.24) * w, wall_top + 0.3 * h)
            sk.rect(bx, glass, frame, 2)
            sk.line([((bx[0] + bx[2]) / 2, bx[1]), ((bx[0] + bx[2]) / 2, bx[3])], frame, 2)
        sk.rect((x0 + 0.4 * w, bottom - 0.33 * h, x0 + 0.6 * w, bottom), (110, 60, 40))
        sk.disc(x0 + 0.56 * w, bottom - 0.16 * h, 0.015 * w + 0.5, (230, 200, 80))


def tree(sk: Sketch, cx: float, bottom: float, h: float, foliage: RGB = (60, 130, 60), kind: str = "round") -> None:
    """A tree standing on ``bottom``: a round broadleaf crown or a layered pine."""
    trunk = (110, 76, 46)
    if kind == "pine":
        sk.rect((cx - 0.05 * h, bottom - 0.2 * h, cx + 0.05 * h, bottom), trunk)
        for k in range(3):
            y1 = bottom - 0.15 * h - k * 0.26 * h
            half = 0.32 * h - k * 0.07 * h
            sk.polygon([(cx - half, y1), (cx, y1 - 0.42 * h), (cx + half, y1)], shade(foliage, -0.05 * k))
        return
    sk.polygon(
        [
            (cx - 0.06 * h, bottom),
            (cx - 0.035 * h, bottom - 0.55 * h),
            (cx + 0.035 * h, bottom - 0.55 * h),
            (cx + 0.06 * h, bottom),
        ],
        trunk,
    )
    r = 0.24 * h
    for dx, dy, k in ((-0.16, -0.62, -0.1), (0.16, -0.62, -0.1), (0.0, -0.78, 0.0), (0.0, -0.6, 0.05)):
        sk.disc(cx + dx * h, bottom + dy * h, r, shade(foliage, k))


def car(sk: Sketch, x0: float, bottom: float, w: float, body: RGB, facing: int = 1) -> float:
    """A side-view car on the ground line ``bottom``; returns the y of its roof."""
    roof = bottom - 0.42 * w
    sk.rounded((x0, bottom - 0.3 * w, x0 + w, bottom - 0.08 * w), 0.06 * w, body)
    cab = [
        (x0 + 0.2 * w, bottom - 0.29 * w),
        (x0 + 0.32 * w, roof),
        (x0 + 0.7 * w, roof),
        (x0 + 0.84 * w, bottom - 0.29 * w),
    ]
    if facing < 0:
        cab = [(2 * x0 + w - x, y) for x, y in cab]
    sk.polygon(cab, body)
    glass = (170, 210, 236)
    ins = [
        (x + (0.03 * w if i < 2 else -0.03 * w) * (1 if facing > 0 else -1), y + 0.03 * w)
        for i, (x, y) in enumerate(cab)
    ]
    sk.polygon(ins, glass)
    mid = x0 + 0.51 * w
    sk.line([(mid, roof + 0.02 * w), (mid, bottom - 0.29 * w)], body, 0.03 * w)
    sk.rect((x0 + 0.02 * w, bottom - 0.22 * w, x0 + 0.06 * w, bottom - 0.18 * w), (250, 236, 150))
    for fx in (0.22, 0.78):
        cx, cy, r = x0 + fx * w, bottom - 0.1 * w, 0.1 * w
        sk.disc(cx, cy, r, (34, 34, 38))
        sk.disc(cx, cy, r * 0.45, (170, 170, 176))
    return roof


def person(
    sk: Sketch,
    cx: float,
    bottom: float,
    h: float,
    shirt: RGB,
    skin: RGB = SKIN_TONES[1],
    trousers: RGB = (60, 70, 100),
    hair: RGB | None = (70, 50, 36),
    *,
    long_hair: bool = False,
    skirt: bool = False,
    cane: bool = False,
) -> None:
    """A simple standing figure whose feet touch ``bottom`` and whose height is ``h``."""
    leg_w, arm_w = 0.085 * h, 0.07 * h
    for side in (-1, 1):
        sk.capsule(
            (cx + side * 0.06 * h, bottom - 0.42 * h),
            (cx + side * 0.075 * h, bottom - leg_w / 2),
            leg_w,
            trousers,
        )
    for side in (-1, 1):
        sk.capsule((cx + side * 0.13 * h, bottom - 0.72 * h), (cx + side * 0.2 * h, bottom - 0.47 * h), arm_w, skin)
    if skirt:
        sk.polygon(
            [
                (cx - 0.12 * h, bottom - 0.76 * h),
                (cx + 0.12 * h, bottom - 0.76 * h),
                (cx + 0.2 * h, bottom - 0.36 * h),
                (cx - 0.2 * h, bottom - 0.36 * h),
            ],
            shirt,
        )
    else:
        sk.rounded((cx - 0.14 * h, bottom - 0.77 * h, cx + 0.14 * h, bottom - 0.4 * h), 0.05 * h, shirt)
    hx, hy, hr = cx, bottom - 0.87 * h, 0.095 * h
    if hair is not None and long_hair:
        sk.rounded((hx - hr * 1.15, hy - hr * 1.1, hx + hr * 1.15, hy + hr * 1.5), hr * 0.8, hair)
    sk.disc(hx, hy, hr, skin)
    if hair is not None:
        sk.chord((hx - hr * 1.05, hy - hr * 1.1, hx + hr * 1.05, hy + hr * 0.9), 180, 360, hair)
    if cane:
        sk.line([(cx + 0.22 * h, bottom - 0.48 * h), (cx + 0.28 * h, bottom)], (90, 60, 36), 0.03 * h)


def open_hand(sk: Sketch, cx: float, tip_y: float, w: float, skin: RGB) -> None:
    """A hand held flat, palm up, fingers pointing away from the viewer; the fingertips of the middle
    fingers sit on ``tip_y`` and the wrist leaves the picture at the bottom edge."""
    line = shade(skin, -0.2)
    palm_top = tip_y + 0.22 * w
    sk.rounded((cx - 0.5 * w, palm_top, cx + 0.5 * w, sk.h + 0.6 * w), 0.35 * w, skin)
    fingers = ((-0.36, 0.06), (-0.12, 0.0), (0.12, 0.0), (0.36, 0.05))
    fw = 0.21 * w
    for fx, lift in fingers:
        x = cx + fx * w
        sk.capsule((x, palm_top + 0.12 * w), (x, tip_y + fw / 2 + lift * w), fw, skin)
        sk.line(
            [(x - fw * 0.3, tip_y + fw * 1.2 + lift * w), (x + fw * 0.3, tip_y + fw * 1.2 + lift * w)],
            line,
            1,
        )
    sk.capsule((cx - 0.45 * w, palm_top + 0.55 * w), (cx - 0.78 * w, palm_top + 0.12 * w), 0.24 * w, skin)
    sk.arc((cx - 0.3 * w, palm_top + 0.25 * w, cx + 0.3 * w, palm_top + 0.7 * w), 200, 340, line, 1.2)


def pinching_hand(sk: Sketch, fist: Point, index: Sequence[Point], thumb: Sequence[Point], skin: RGB) -> None:
    """A hand entering from the lower right with index finger and thumb open as if pinching.

    ``index`` and ``thumb`` are the joints after the knuckle, ending at the fingertip, so the tips can
    curl towards whatever the hand seems to hold."""
    fx, fy = fist
    r = 0.22 * sk.w
    sk.capsule((fx + r * 0.3, fy + r * 0.6), (sk.w + r, sk.h + r), r * 1.1, skin)  # forearm off-frame
    sk.disc(fx, fy, r, skin)
    for k, yy in enumerate((-0.1, 0.25, 0.55)):
        sk.capsule(
            (fx - r * 0.2, fy + yy * r),
            (fx - r * 0.75 + k * 0.08 * r, fy + yy * r + 0.05 * r),
            r * 0.34,
            shade(skin, -0.04 * k),
        )
    for start, joints, width, color in (
        ((fx - r * 0.6, fy - r * 0.05), thumb, r * 0.34, shade(skin, -0.05)),
        ((fx - r * 0.35, fy - r * 0.45), index, r * 0.3, skin),
    ):
        points = [start, *joints]
        for p0, p1 in itertools.pairwise(points):
            sk.capsule(p0, p1, width, color)


def road(sk: Sketch, vanish_x: float, horizon: float, half_near: float, color: RGB = (128, 124, 118)) -> None:
    """A straight road narrowing to the horizon: the strongest depth cue in the forced-perspective scenes."""
    sk.polygon(
        [
            (vanish_x - 4, horizon),
            (vanish_x + 4, horizon),
            (vanish_x + half_near, sk.h),
            (vanish_x - half_near, sk.h),
        ],
        color,
    )
    for k in range(8):
        t0, t1 = (k / 8) ** 1.8, ((k + 0.5) / 8) ** 1.8
        y0, y1 = horizon + (sk.h - horizon) * t0, horizon + (sk.h - horizon) * t1
        sk.line([(vanish_x, y0), (vanish_x, y1)], (240, 232, 200), 0.5 + 3 * t1)


def landscape(w: int, h: int, rng: random.Random) -> Image.Image:
    """A seeded nature scene: sky gradient, sun or moon, mountains, hills, trees and sometimes a lake."""
    sk = Sketch(w, h)
    r = rng.random()
    period = "day" if r < 0.55 else ("dusk" if r < 0.8 else "night")
    top, bottom = {"day": SKY_DAY, "dusk": SKY_DUSK, "night": SKY_NIGHT}[period]
    top, bottom = jitter(rng, top, 14), jitter(rng, bottom, 14)
    horizon = h * rng.uniform(0.5, 0.66)
    sk.gradient((0, 0, w, horizon + 40), top, bottom)
    if period == "night":
        stars(sk, rng, 40, horizon)
        moon(
            sk,
            rng.uniform(0.15, 0.85) * w,
            rng.uniform(0.12, 0.3) * h,
            rng.uniform(10, 16),
            mix(top, bottom, 0.2),
        )
    else:
        sun_color = (255, 222, 90) if period == "day" else (255, 150, 70)
        sun(
            sk,
            rng.uniform(0.15, 0.85) * w,
            rng.uniform(0.12, 0.35) * h,
            rng.uniform(12, 20),
            sun_color,
            rays=period == "day",
        )
    if period == "day":
        for _ in range(rng.randint(1, 3)):
            cloud(sk, rng.uniform(0, w), rng.uniform(0.08, 0.3) * h, rng.uniform(40, 80))
    dim = {"day": 0.0, "dusk": -0.25, "night": -0.6}[period]
    mountain_range(sk, horizon + 8, shade(jitter(rng, (110, 120, 150), 16), dim), rng, snow=rng.random() < 0.6)
    lake = rng.random() < 0.5
    hills(sk, horizon + 18, rng.uniform(6, 16), shade(jitter(rng, (96, 150, 84), 14), dim), rng)
    hills(sk, horizon + 46, rng.uniform(6, 14), shade(jitter(rng, GRASS, 14), dim), rng)
    for _ in range(rng.randint(2, 6)):
        tx = rng.uniform(0.03, 0.97) * w
        ty = rng.uniform(horizon + 40, h - 4)
        th = 20 + (ty - horizon) * rng.uniform(0.5, 0.9)
        tree(sk, tx, ty, th, shade(jitter(rng, (54, 120, 58), 16), dim), rng.choice(("round", "pine")))
    if lake:
        water_y = h * rng.uniform(0.72, 0.82)
        sk.reflect_down(water_y, h - water_y, shade((60, 110, 150), dim), strength=0.5)
        for _ in range(6):
            yy = rng.uniform(water_y + 4, h - 2)
            xx = rng.uniform(0, w)
            sk.line([(xx, yy), (xx + rng.uniform(12, 30), yy)], shade((200, 220, 235), dim), 1)
    return sk.finish()
