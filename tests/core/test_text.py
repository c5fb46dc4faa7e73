"""The replacement policy for model output that no UTF-8 store can hold (worked out by hand from the
Unicode/WHATWG rule: one U+FFFD per maximal invalid subsequence, one per lone surrogate)."""

from __future__ import annotations

import pytest

from multitrust.core.text import loads_json_body, well_formed


def test_invalid_utf8_bytes_become_one_replacement_each() -> None:
    # é in Latin-1 (E9), two bytes never valid (FF FE), a cut-off € (E2 82: one maximal subsequence)
    body = b'{"t": "caf\xe9 \xff\xfe \xe2\x82 end", "ok": "\xe2\x82\xac"}'
    assert loads_json_body(body) == {"t": "caf\ufffd \ufffd\ufffd \ufffd end", "ok": "\u20ac"}


def test_lone_surrogates_become_replacements_and_pairs_stay() -> None:
    parsed = loads_json_body(b'["a\\ud800b", "\\udfff", "\\ud83d\\udc80"]')
    assert [well_formed(s) for s in parsed] == ["a\ufffdb", "\ufffd", "\U0001f480"]
    text = "markup [b] \x1b[31m <script> stays"
    assert well_formed(text) is text


def test_bodies_that_are_not_json_still_fail() -> None:
    with pytest.raises(ValueError):
        loads_json_body(b'{"t": "\xff')
