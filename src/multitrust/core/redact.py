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


# ------------------------------------------------------------------ known secret values (defence in depth)

#: secrets this process holds (API keys, URL passwords), in every form a message may quote them
_KNOWN: set[str] = set()
_ORDERED: list[tuple[str, ...]] = [()]  # _KNOWN longest first, rebuilt when a secret is added
#: below this length a value is too common to mask safely (and too short to be a real key)
MIN_SECRET = 6
#: environment variable names whose values are secrets
_SECRET_ENV = re.compile(r"(?:KEY|TOKEN|SECRET|PASSW(?:OR)?D|CREDENTIALS?)(?:_|$)", re.IGNORECASE)


def secret_forms(value: str) -> set[str]:
    """``value`` as it may appear in text: itself, URL-encoded (``+`` → ``%2B``), base64 (standard and
    URL-safe, with and without padding: an HTTP Basic header, a token quoted in a JSON body)."""
    import base64
    from urllib.parse import quote, quote_plus

    forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
    raw = value.encode("utf-8")
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms |= {text, text.rstrip("=")}
    return {f for f in forms if len(f) >= MIN_SECRET}


def remember_secret(value: str | None) -> None:
    """Register a secret this process uses (a key read from the environment, a URL's password), so that
    :func:`scrub_secrets` takes it out of any text before it is printed, logged or stored."""
    if value and len(value) >= MIN_SECRET and value != "EMPTY":
        forms = secret_forms(value)
        if not forms <= _KNOWN:
            _KNOWN.update(forms)
            _ORDERED[0] = tuple(sorted(_KNOWN, key=len, reverse=True))


def remember_url_credentials(url: str | None) -> None:
    """Register the ``user:password`` of a URL (as typed, and percent-decoded: what an HTTP client sends as
    Basic auth) and the values of its key-like query options."""
    from urllib.parse import unquote

    if not url:
        return
    for match in _USERINFO.finditer(url):
        userinfo = match.group("userinfo")[:-1]
        user, _, password = userinfo.partition(":")
        for text in (userinfo, unquote(userinfo), password, unquote(password)):
            remember_secret(text)
        if not password:
            remember_secret(user)  # a token given as the user name
    for match in _KEYLIKE.finditer(url):
        if not match.group("name").lower().endswith("_env"):
            remember_secret(match.group("value"))
            remember_secret(unquote(match.group("value")))


def remember_env_secrets(environ: object = None) -> None:
    """Register the values of environment variables named like secrets (``OPENAI_API_KEY``, ``HF_TOKEN``,
    ``*_SECRET``, ``*_PASSWORD``)."""
    import os

    env = os.environ if environ is None else environ
    for name, value in env.items():  # type: ignore[attr-defined]
        if _SECRET_ENV.search(name):
            remember_secret(value)


def scrub_secrets(text: str) -> str:
    """``text`` with every registered secret (in each of its forms) replaced by ``***``, longest first so
    that a key's base64 form is not cut by a shorter secret inside it."""
    if not _KNOWN or not text:
        return text
    for secret in _ORDERED[0]:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_text(text: str) -> str:
    """Everything a message can leak, out: URL credentials, key-like options and registered secrets."""
    return redact_spec(scrub_secrets(text)) or text
