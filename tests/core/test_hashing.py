from pathlib import Path

from PIL import Image

from multitrust.core.hashing import canonical_json, hash_json
from multitrust.core.seeds import derive_seed, rng_for
from multitrust.core.types import ImageRef, Message, Request


def _png(path: Path, color: tuple[int, int, int]) -> Path:
    Image.new("RGB", (8, 8), color).save(path)
    return path


def test_canonical_json_ignores_key_order() -> None:
    assert canonical_json({"b": 1, "a": [1, {"y": 2, "x": 1}]}) == canonical_json({"a": [1, {"x": 1, "y": 2}], "b": 1})
    assert hash_json({"a": 1}) != hash_json({"a": 2})


def test_request_hash_is_stable_and_content_addressed(tmp_path: Path) -> None:
    a = _png(tmp_path / "a.png", (255, 0, 0))
    copy_dir = tmp_path / "elsewhere"
    copy_dir.mkdir()
    b = copy_dir / "renamed.png"
    b.write_bytes(a.read_bytes())
    c = _png(tmp_path / "c.png", (0, 255, 0))

    def req(path: Path, **kw: object) -> Request:
        return Request.build(
            "scripted:yes", (Message("user", "Is it red?", (ImageRef(str(path)),)),), max_tokens=10, **kw
        )

    assert req(a).hash == req(a).hash
    assert req(a).hash == req(b).hash, "same image bytes at another path must share the cached generation"
    assert req(a).hash != req(c).hash
    assert req(a).hash != req(a, context="T.6/x/1").hash
    assert req(a).hash != Request.build("scripted:no", req(a).messages, max_tokens=10).hash
    assert req(a).hash != Request.build("scripted:yes", req(a).messages, max_tokens=11).hash
    text_only = Request.build("scripted:yes", (Message("user", "Is it red?"),), max_tokens=10)
    assert text_only.hash != req(a).hash
    assert len(req(a).hash) == 64


def test_seeds_are_keyed_not_sequential() -> None:
    assert derive_seed(7, "T.6", "x") == derive_seed(7, "T.6", "x")
    assert derive_seed(7, "T.6", "x") != derive_seed(8, "T.6", "x")
    assert derive_seed(7, "a", "bc") != derive_seed(7, "ab", "c")
    assert rng_for(1, "k").random() == rng_for(1, "k").random()
