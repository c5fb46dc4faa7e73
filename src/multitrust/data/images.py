"""Image checks and bounded decoding. A corrupt, oversized or hostile image must fail only its own
sample, with a message naming the file — never the run, and never by exhausting memory.

Pillow refuses images over ``2 × Image.MAX_IMAGE_PIXELS`` (a decompression bomb) when it reads the header;
that refusal is a per-sample error here. Images below that are legal (Pillow's mere warning above
``MAX_IMAGE_PIXELS`` is silenced), and large ones (``LARGE_PIXELS``) are checked without decoding every
pixel: JPEG decodes at a reduced scale (``draft``), other formats are verified structurally (chunk
checksums), so checking a 12000×12000 image costs megabytes, not half a gigabyte.
"""

from __future__ import annotations

import stat
import threading
import warnings
from pathlib import Path

import PIL
from PIL import Image, UnidentifiedImageError

from multitrust.core.errors import DataError
from multitrust.core.file_hashes import file_hashes, identity, racy
from multitrust.core.hashing import file_sha256

#: images with more pixels than this are checked without a full-resolution decode
LARGE_PIXELS = 4096 * 4096
#: the side a large JPEG is decoded at for the check
CHECK_SIDE = 1024


def _check_kind() -> str:
    """What a persisted verdict depends on besides the bytes: this check's rules, the decoder and its
    decompression-bomb limit (which a caller may change)."""
    return f"image-check/1/{LARGE_PIXELS}/{CHECK_SIDE}/{Image.MAX_IMAGE_PIXELS}/pillow-{PIL.__version__}"


#: verdicts (None = fine, else the problem) per image content and per file version already checked
_by_content: dict[tuple[str, str], str | None] = {}
_by_file: dict[tuple[str, int, int, int, int, int], str | None] = {}
_lock = threading.Lock()
#: decode checks actually run (the rest were answered by a file version or a content seen before)
decode_checks = 0

_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


def _problem(exc: BaseException) -> str:
    if isinstance(exc, Image.DecompressionBombError):
        return f"image too large (decompression bomb: {exc})"
    return f"corrupt image ({type(exc).__name__})"


def check_image(path: str | Path) -> None:
    """Raise :class:`DataError` if ``path`` is missing or not a decodable image. The verdict depends on the
    bytes only, so it is memoised per file version and per content (SHA-256): an image paired with many
    prompts, or stored at several paths (the release has 762 paths holding 371 contents), is decoded once."""
    global decode_checks
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise DataError("missing image", path=str(p)) from None
    except OSError as exc:
        raise DataError(f"unreadable image ({exc.strerror or type(exc).__name__})", path=str(p)) from None
    if not stat.S_ISREG(st.st_mode):
        raise DataError("not a regular file", path=str(p))
    kind = _check_kind()
    version = identity(st)
    key = (kind, *version)
    with _lock:
        known = key in _by_file
        problem = _by_file.get(key)
    if not known:
        try:
            digest = file_sha256(p)  # read once here; the request hash reuses it
        except OSError as exc:
            raise DataError(f"unreadable image ({exc.strerror or exc})", path=str(p)) from None
        content = (kind, digest)
        with _lock:
            known = content in _by_content
            problem = _by_content.get(content)
        if not known and file_hashes.note(digest, kind) == "ok":  # passed in an earlier run
            known, problem = True, None
            with _lock:
                _by_content[content] = None
        if not known:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                    problem = _decode_check(p)
            except _DECODE_ERRORS as exc:
                problem = _problem(exc)
            with _lock:
                decode_checks += 1
                _by_content[content] = problem
            if problem is None:  # only a pass is kept: a failure may be the disk's, and failures are few
                file_hashes.set_note(digest, kind, "ok")
        if not racy(version):
            with _lock:
                _by_file[key] = problem
    if problem:
        raise DataError(problem, path=str(p))


def _decode_check(p: Path) -> str | None:
    with Image.open(p) as im:
        if im.width < 1 or im.height < 1:
            return "empty image"
        if im.width * im.height <= LARGE_PIXELS:
            im.load()
            return None
        if im.draft(im.mode if im.mode in ("L", "RGB") else "RGB", (CHECK_SIDE, CHECK_SIDE)) is not None:
            im.load()  # JPEG: decoded at 1/2 … 1/8 scale
            return None
    with Image.open(p) as im:  # verify() leaves the image unusable: a fresh handle
        im.verify()
    return None


def image_size(fp: object) -> tuple[int, int]:
    """(width, height) from the header alone; Pillow's warning for large legal images silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(fp) as im:  # type: ignore[arg-type]
            return im.size


def open_downscaled(fp: object, max_side: int | None) -> Image.Image:
    """Open an image for sending, at most ``max_side`` pixels on its longer side. Formats whose decoder can
    scale while decoding (JPEG) are decoded at the smallest scale still at least ``max_side``, so a huge
    photo never exists in memory at full size; the rest is resized after decoding (LANCZOS, aspect kept).
    Decompression bombs raise :class:`PIL.Image.DecompressionBombError`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # legal, and about to be downscaled
        im = Image.open(fp)  # type: ignore[arg-type]
    if max_side is None or max(im.size) <= max_side:
        return im
    w, h = im.size
    scale = max_side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    im.draft(im.mode if im.mode in ("L", "RGB") else "RGB", size)
    if im.mode not in ("L", "LA", "RGB", "RGBA"):
        im = im.convert("RGBA" if "transparency" in im.info or "A" in im.mode else "RGB")
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
