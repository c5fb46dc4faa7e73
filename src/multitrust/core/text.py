"""Model output as stored text: what a server sent, decoded once, with one documented replacement policy.

A reply is kept byte/character-exact as decoded. Two things cannot be kept, because no UTF-8 file,
SQLite row or JSON export can hold them: bytes that are not UTF-8 in a response body, and lone UTF-16
surrogates (a JSON body may write ``"\\ud800"``, which decodes to a string no UTF-8 encoder accepts).
Each becomes U+FFFD REPLACEMENT CHARACTER — per maximal invalid subsequence for bytes, as Python's
``errors="replace"``, browsers and the WHATWG encoding standard do — so one bad byte never costs the
answer, the sample or the run. Everything else (markup, control characters, a megabyte of text) is
stored as it came; renderers make it inert where they show it.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["REPLACEMENT", "loads_json_body", "well_formed"]

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def well_formed(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (a no-op for ordinary text)."""
    if text.isascii():
        return text
    return _SURROGATE.sub(REPLACEMENT, text)


def loads_json_body(raw: bytes) -> Any:
    """Parse a JSON response body; a body that is not valid UTF-8 is decoded with U+FFFD for the bad bytes
    (rather than failing the whole answer), as the module docstring says."""
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        return json.loads(raw.decode("utf-8", errors="replace"))
