"""``vllm:`` adapter. Without vllm (CI, CPU machines) only the spec handling runs; the engine test needs
vllm, an NVIDIA GPU and a model directory named by ``MULTITRUST_VLLM_TEST_MODEL`` (no downloads here)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from pathlib import Path

import pytest
from PIL import Image

from multitrust.core.errors import SpecError
from multitrust.core.types import ImageRef, Message, Request
from multitrust.models.local_registry import _gpu_present, register_local_backends
from multitrust.models.spec import load_model

HAS_VLLM = importlib.util.find_spec("vllm") is not None


@pytest.mark.skipif(HAS_VLLM, reason="checks the message shown when vllm is missing")
def test_missing_vllm_is_one_clear_spec_error() -> None:
    register_local_backends()
    with pytest.raises(SpecError, match=r"vllm is not installed \(pip install 'multitrust\[vllm\]'"):
        load_model("vllm:/models/llava-1.5-7b?tensor_parallel_size=2")


@pytest.mark.skipif(not HAS_VLLM, reason="vllm not installed")
def test_options_are_parsed() -> None:
    register_local_backends()
    model = load_model("vllm:org/model?tensor_parallel_size=2&max_model_len=4096&gpu_memory_utilization=0.5")
    assert model.spec == "vllm:org/model"
    info = model.describe()
    assert (info["tensor_parallel_size"], info["max_model_len"], info["gpu_memory_utilization"]) == (2, 4096, 0.5)
    with pytest.raises(SpecError, match="unknown option"):
        load_model("vllm:org/model?tensor_parallel=2")


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(not (HAS_VLLM and _gpu_present()), reason="needs vllm and an NVIDIA GPU")
@pytest.mark.skipif(
    not os.environ.get("MULTITRUST_VLLM_TEST_MODEL"), reason="set MULTITRUST_VLLM_TEST_MODEL=<model dir>"
)
def test_engine_answers_text_and_image_prompts(tmp_path: Path) -> None:
    register_local_backends()
    path = os.environ["MULTITRUST_VLLM_TEST_MODEL"]
    model = load_model(f"vllm:{path}?max_model_len=4096&gpu_memory_utilization=0.6")
    Image.new("RGB", (64, 64), "red").save(tmp_path / "red.png")
    image = ImageRef(str(tmp_path / "red.png"))
    requests = [
        Request.build(model.spec, (Message("user", "What colour is this image?", (image,)),), max_tokens=16),
        Request.build(model.spec, (Message("user", "What is the capital of France?"),), max_tokens=16),
    ] * 8

    async def go() -> list:
        try:
            return await asyncio.gather(*(model.generate(r) for r in requests))
        finally:
            await model.aclose()

    replies = asyncio.run(go())
    assert all(r.text for r in replies)
    assert len({r.text for r in replies[0::2]}) == 1  # greedy: the same prompt gets the same answer
