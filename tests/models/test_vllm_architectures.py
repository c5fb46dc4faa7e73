"""The architecture matrix through vLLM: the ``vllm:`` engine and ``vllm serve`` + ``openai-compat:``.

The tiny random models are the ones ``test_architectures.py`` runs through ``hf:`` (built in code, no
download), restricted to the architectures vLLM implements. These tests need vllm and an NVIDIA GPU and
skip with the reason elsewhere; the engine arguments derived from the tasks' needs (one image per prompt)
are checked everywhere.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from multitrust.core.errors import ModelCallError
from multitrust.core.types import ImageRef, Message, Request
from multitrust.models.local_registry import _gpu_present, register_local_backends
from multitrust.models.local_vllm import VLLMChatModel, serve_command
from multitrust.models.routes import IMAGES_PER_PROMPT
from multitrust.models.spec import load_model

HAS_VLLM = importlib.util.find_spec("vllm") is not None
NO_GPU_REASON = (
    "vllm not installed (pip install 'multitrust[vllm]'; it runs on NVIDIA GPUs)"
    if not HAS_VLLM
    else "no NVIDIA GPU visible to this process (vllm runs on GPUs only)"
)
needs_gpu = pytest.mark.skipif(not (HAS_VLLM and _gpu_present()), reason=NO_GPU_REASON)

#: the architectures of test_architectures.py that vLLM implements (Janus, DeepSeek-VL hybrid and
#: InstructBLIP are transformers-only here)
VLLM_ARCHS = [
    "llava",
    "llava_next",
    "qwen2_vl",
    "qwen2_5_vl",
    "idefics3",
    "smolvlm",
    "mllama",
    "gemma3",
    "internvl",
    "paligemma",
]
ENGINE_OPTIONS = "max_model_len=1024&gpu_memory_utilization=0.15&enforce_eager=true&dtype=float16"


# ------------------------------------------------------------------------------ everywhere (no GPU needed)


def test_limit_mm_per_prompt_comes_from_the_tasks_needs() -> None:
    model = VLLMChatModel("org/model")
    assert model.engine_args["limit_mm_per_prompt"] == {"image": IMAGES_PER_PROMPT} == {"image": 1}
    assert VLLMChatModel("m", max_images_per_prompt=3).engine_args["limit_mm_per_prompt"] == {"image": 3}


def test_vllm_conventions_are_in_the_spec_and_engine_args() -> None:
    model = VLLMChatModel("deepseek-ai/deepseek-vl2", max_image_side=400, hf_architecture="DeepseekVLV2ForCausalLM")
    assert model.spec == "vllm:deepseek-ai/deepseek-vl2?max_image_side=400"
    assert model.engine_args["hf_overrides"] == {"architectures": ["DeepseekVLV2ForCausalLM"]}
    assert model.describe()["max_image_side"] == 400


def test_serve_command_sets_the_image_limit() -> None:
    argv = serve_command("/models/llava", port=8123, max_model_len=4096, trust_remote_code=True)
    assert argv[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    i = argv.index("--limit-mm-per-prompt")
    assert json.loads(argv[i + 1]) == {"image": 1}
    assert argv[argv.index("--port") + 1] == "8123" and "--trust-remote-code" in argv
    assert argv[argv.index("--max-model-len") + 1] == "4096"


# ------------------------------------------------------------------------------------------- GPU only


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[ImageRef]:
    root = tmp_path_factory.mktemp("vllm-imgs")
    refs = []
    for i, (color, size) in enumerate([("red", (40, 30)), ("navy", (64, 64))]):
        path = root / f"im{i}.png"
        Image.new("RGB", size, color).save(path)
        refs.append(ImageRef(str(path)))
    return refs


@pytest.fixture(scope="module", params=VLLM_ARCHS)
def tiny_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (HAS_VLLM and _gpu_present()):
        pytest.skip(NO_GPU_REASON)
    pytest.importorskip("transformers")
    if request.param == "smolvlm":
        pytest.importorskip("num2words")
    from tests.models.tiny_vlms import BUILDERS

    return BUILDERS[request.param](tmp_path_factory.mktemp(f"vllm-{request.param}") / "m")


def requests_for(spec: str, images: list[ImageRef]) -> list[Request]:
    def one(text: str, *imgs: ImageRef, n: int = 8) -> Request:
        return Request.build(spec, (Message("user", text, tuple(imgs)),), max_tokens=n)

    return [
        one("What is in this picture?", images[0], n=6),
        one("What is in this picture?", n=5),
        one("Describe the colours, please.", images[1]),
        one("What is in this picture?", images[0], n=6),  # the same as the first: greedy, same answer
    ]


async def answer(model: Any, requests: list[Request]) -> list[Any]:
    try:
        return await asyncio.gather(*(model.generate(r) for r in requests), return_exceptions=True)
    finally:
        await model.aclose()


def check_replies(replies: list[Any], budgets: tuple[int, ...] = (6, 5, 8, 6)) -> None:
    for reply, budget in zip(replies, budgets, strict=True):
        assert not isinstance(reply, BaseException), reply
        assert reply.usage["completion_tokens"] <= budget
    assert (replies[0].text, replies[0].usage) == (replies[3].text, replies[3].usage)
    assert replies[0].usage["prompt_tokens"] > replies[1].usage["prompt_tokens"]  # the image was expanded


@needs_gpu
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_engine_runs_the_architecture(tiny_model: Path, images: list[ImageRef]) -> None:
    register_local_backends()
    model = load_model(f"vllm:{tiny_model}?{ENGINE_OPTIONS}")
    assert model.describe()["limit_mm_per_prompt"] == {"image": 1}
    over = Request.build(model.spec, (Message("user", "two?", (images[0], images[1])),), max_tokens=4)
    *replies, too_many = asyncio.run(answer(model, [*requests_for(model.spec, images), over]))
    check_replies(replies)
    # more images than limit_mm_per_prompt: that request fails alone, with vLLM's reason
    assert isinstance(too_many, ModelCallError)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tiny_model: Path, tmp_path: Path) -> Iterator[str]:
    """``vllm serve`` on a loopback port for the tiny model; yields the openai-compat spec."""
    port = _free_port()
    argv = serve_command(
        str(tiny_model), port=port, max_model_len=1024, gpu_memory_utilization=0.15, extra=("--enforce-eager",)
    )
    log = (tmp_path / "vllm-serve.log").open("w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 420
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vllm serve exited with {proc.returncode}: see {log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vllm serve did not come up in 420 s: see {log.name}")
            time.sleep(2)
        yield f"openai-compat:http://127.0.0.1:{port}/v1@{tiny_model}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@needs_gpu
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_vllm_serve_through_openai_compat(served: str, images: list[ImageRef]) -> None:
    register_local_backends()
    model = load_model(served)
    start = time.perf_counter()
    replies = asyncio.run(answer(model, requests_for(model.spec, images)))
    elapsed = time.perf_counter() - start
    check_replies(replies)
    print(f"vllm serve: {len(replies)} requests in {elapsed:.2f} s")
