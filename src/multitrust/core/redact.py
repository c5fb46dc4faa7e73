"""Credentials out of spec strings and URLs before they are stored, printed or hashed.

A model or judge spec may carry a secret the user typed inline: userinfo in a URL
(``http://user:SECRET@host/v1``) or a key-like query option (``?api_key=SECRET``). The adapter keeps the
original to connect; everything else — run store, config.json, reports, the console, the shared cache,
error messages and the request hash — sees only :func:`redact_spec`'s result.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

#: userinfo of every URL in a text: from ``scheme://`` to the last ``@`` before the path. When a spec's
#: model name follows the authority without a path (``http://u:p@h:1@model``) this eats the host too —
#: harmless in a message, and :func:`redact_url` (on a split URL) is used where the host matters.
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/?#\s]*@)")
#: ``name=value`` options whose name says they hold a secret (``api_key_env`` names a variable: kept)
_KEYLIKE = re.compile(
    r"(?P<name>(?<![\w.-])(?:[\w.-]*[_.-])?(?:api_?key|key|token|secret|passw(?:or)?d|pwd|auth|credentials?|"
    r"signature|sig))=(?P<value>[^&\s#'\"]*)",
    re.IGNORECASE,
)
MASK = "***"


def _mask_option(match: re.Match[str]) -> str:
    name = match.group("name")
    if name.lower().endswith("_env") or not match.group("value"):
        return match.group(0)
    return f"{name}={MASK}"


def redact_spec(text: str | None) -> str | None:
    """``text`` (a spec, URL or message containing them) without URL userinfo and with the values of
    key-like ``name=value`` options masked. Idempotent; text without credentials is returned unchanged."""
    if not text:
        return text
    out = _USERINFO.sub(lambda m: m.group("scheme"), text)
    return _KEYLIKE.sub(_mask_option, out)


def redact_url(url: str | None) -> str | None:
    """A URL without ``user:password@`` (the host and port kept) and with key-like query values masked."""
    if not url:
        return url
    parts = urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1])
    return redact_spec(urlunsplit(parts))


def redact_tree(value: object) -> object:
    """:func:`redact_spec` applied to every string in nested lists and dicts (a sweep file, a config)."""
    if isinstance(value, str):
        return redact_spec(value)
    if isinstance(value, dict):
        return {k: redact_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_tree(v) for v in value]
    return value


def has_credentials(text: str | None) -> bool:
    return bool(text) and redact_spec(text) != text
