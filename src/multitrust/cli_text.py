"""Text for the terminal: data is printed as itself, never as rich markup or terminal control.

The CLI prints through rich, which reads ``[...]`` as markup. Printed as markup, a run directory or a
model spec such as ``m[/]`` crashes the print (``MarkupError``), ``[link=http://evil.example/]m[/link]``
becomes a clickable hyperlink, and ``[local]`` in an install hint silently vanishes. Raw control
characters in a server's error message (ESC, BEL, C1 controls, bidi overrides) would reach the terminal
itself. :func:`lit` makes such text inert; every message, help string and table cell that carries text
not written as markup goes through it.
"""

from __future__ import annotations

import re

from rich.markup import escape

__all__ = ["lit"]

#: C0 controls except tab and newline, DEL, C1 controls, and the bidi embedding/override/isolate marks
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    return ascii(match.group())[1:-1]  # "\x1b" -> the four characters \x1b


def lit(value: object) -> str:
    """``value`` as text that rich prints literally: markup escaped, control characters shown as escapes."""
    return escape(_CONTROL.sub(_visible, str(value)))
