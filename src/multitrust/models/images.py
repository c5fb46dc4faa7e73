"""Images as a backend receives them: the original bytes, or downscaled and re-encoded when the backend
says it needs that (``max_image_side``) or its API refuses the original.

Why streamed: the official release holds 57 images over 10 MB (the largest 52 MB). Sent as they are, a
file is read in blocks straight into its base64 text, so its bytes never sit whole in memory beside their
base64 copy. Downscaled, a JPEG is decoded at the smallest scale still at least the target (``draft``:
1/2 … 1/8), so a 12,000 × 9,000 photo never exists at full size; other formats (PNG) have no reduced
decode in Pillow and are decoded once in full — bounded by the decompression-bomb limit that the data
check enforces — then resized.

Every encoder returns :class:`Encoded`: the value plus ``how`` the image was handled (one of a few short
phrases, e.g. ``"downscaled to ≤1024 px, re-encoded as PNG"``), which the adapters tally per image content
and the run records (``image_handling``), so a report says what the model actually saw.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from PIL import Image

from multitrust.core.types import ImageRef
from multitrust.data.images import image_size, open_downscaled

__all__ = [
    "ORIGINAL",
    "Encoded",
    "b64_file",
    "data_url",
    "downscaled",
    "reencoded",
]

V = TypeVar("V")

#: ``how`` of an image sent as the file's own bytes
ORIGINAL = "original bytes"
#: bytes read per block when a file is base64-encoded (a multiple of 3: blocks encode independently)
_BLOCK = 3 << 18


def downscaled(side: int, fmt: str) -> str:
    return f"downscaled to ≤{side} px, re-encoded as {fmt}"


def reencoded(fmt: str, why: str) -> str:
    return f"re-encoded as {fmt} ({why})"


class Encoded(NamedTuple, Generic[V]):
    value: V
    how: str


def b64_file(path: str | Path, prefix: str = "") -> str:
    """``prefix`` and the base64 text of a file. The text is written block by block into one buffer of its
    final size (one reused read buffer, no list of pieces: pieces allocated in a worker thread stay
    resident in its malloc arena), then decoded once: the peak is twice the text, the file's bytes are
    never whole in memory, and what stays is the text alone."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        head = prefix.encode("ascii")
        out = bytearray(len(head) + 4 * ((size + 2) // 3))
        out[: len(head)] = head
        pos, block = len(head), bytearray(_BLOCK)
        view = memoryview(block)
        while n := fh.readinto(block):
            encoded = binascii.b2a_base64(view[:n], newline=False)
            out[pos : pos + len(encoded)] = encoded
            pos += len(encoded)
            if n < _BLOCK:  # a buffered read is short only at the end of the file
                break
        if pos != len(out) or fh.read(1):
            raise OSError(f"{os.fspath(path)}: file changed while it was being read")
    return out.decode("ascii")


def png_bytes(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, format="PNG")
    return out.getvalue()


def data_url(image: ImageRef, max_side: int | None) -> Encoded[str]:
    """A ``data:`` URL for one image (the OpenAI format): the file's bytes, or — when it is larger than
    ``max_side`` — the image downscaled and re-encoded as PNG."""
    if max_side is not None and max(image_size(image.path)) > max_side:
        with open_downscaled(image.path, max_side) as small:
            data = base64.b64encode(png_bytes(small)).decode("ascii")
        return Encoded(f"data:image/png;base64,{data}", downscaled(max_side, "PNG"))
    return Encoded(b64_file(image.path, f"data:{image.mime};base64,"), ORIGINAL)
