"""Image checks. A corrupt image must fail only its own sample, with a message naming the file."""

from __future__ import annotations

import threading
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from multitrust.core.errors import DataError

_checked: dict[tuple[str, int, int], str | None] = {}
_lock = threading.Lock()


def check_image(path: str | Path) -> None:
    """Raise :class:`DataError` if ``path`` is missing or not a decodable image. Memoised per file version
    because one image is typically paired with many prompts."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise DataError("missing image", path=str(p)) from None
    key = (str(p), st.st_size, st.st_mtime_ns)
    with _lock:
        if key in _checked:
            problem = _checked[key]
            if problem:
                raise DataError(problem, path=str(p))
            return
    problem: str | None = None
    try:
        with Image.open(p) as im:
            im.load()
            if im.width < 1 or im.height < 1:
                problem = "empty image"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        problem = f"corrupt image ({type(exc).__name__})"
    with _lock:
        _checked[key] = problem
    if problem:
        raise DataError(problem, path=str(p))
