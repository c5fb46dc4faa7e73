"""``hf:`` adapter against tiny randomly initialised LLaVA and Qwen2-VL models built in code
(:mod:`tests.models.tiny_vlms`; every other architecture is in ``test_architectures.py``).

The models are saved with ``save_pretrained`` and loaded back through ``hf:<dir>``, the same
``AutoProcessor`` / ``AutoModelForImageTextToText`` path a hub model takes, so no download is needed.
The key property: greedy outputs do not depend on the batch size (left padding, masks, per-row limits).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from PIL import Image  # noqa: E402

from multitrust.core.errors import ModelCallError, SpecError  # noqa: E402
from multitrust.core.types import ImageRef, Message, Request  # noqa: E402
from multitrust.models.local_hf import HFChatModel, MicroBatcher  # noqa: E402
from multitrust.models.local_registry import register_local_backends  # noqa: E402
from multitrust.models.spec import load_model  # noqa: E402
from tests.models.tiny_vlms import build_llava_chatml, build_qwen2_vl_chatml, chatml_tokenizer  # noqa: E402

pytestmark = pytest.mark.timeout(120)

BUILDERS = {"llava": build_llava_chatml, "qwen2_vl": build_qwen2_vl_chatml}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def tiny_vlm(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return BUILDERS[request.param](tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[ImageRef]:
    root = tmp_path_factory.mktemp("imgs")
    refs = []
    for i, (color, size) in enumerate([("red", (40, 30)), ("navy", (64, 64)), ("yellow", (90, 20))]):
        path = root / f"im{i}.png"
        Image.new("RGB", size, color).save(path)
        refs.append(ImageRef(str(path)))
    # an RGBA image with transparency exercises the flattening in load_pil
    rgba = root / "alpha.png"
    Image.new("RGBA", (33, 47), (0, 128, 0, 100)).save(rgba)
    refs.append(ImageRef(str(rgba)))
    return refs


def req(model: str, text: str, *imgs: ImageRef, max_tokens: int = 12) -> Request:
    return Request.build(model, (Message("user", text, tuple(imgs)),), max_tokens=max_tokens)


def mixed_requests(spec: str, imgs: list[ImageRef]) -> list[Request]:
    """Six prompts of different lengths, with and without images, with different token budgets."""
    return [
        req(spec, "What is in this picture?", imgs[0], max_tokens=10),
        req(spec, "Hi", max_tokens=6),
        req(spec, "Describe the colours and the shapes that you can see here, in detail please.", imgs[1]),
        req(spec, "A much longer text-only question, " * 4 + "with no image at all?", max_tokens=14),
        req(spec, "Is it transparent?", imgs[3], max_tokens=8),
        req(spec, "Yes or no?", imgs[2], max_tokens=12),
    ]


async def answer_all(model: HFChatModel, requests: list[Request]) -> list[Any]:
    try:
        return await asyncio.gather(*(model.generate(r) for r in requests))
    finally:
        await model.aclose()


def test_importing_multitrust_does_not_import_torch() -> None:
    import subprocess

    code = (
        "import sys, multitrust, multitrust.models.local_hf, multitrust.models.local_registry, "
        "multitrust.models.builtin_tiny, multitrust.models.local_vllm, multitrust.models.routes, "
        "multitrust.cli_routes; "
        "multitrust.models.local_registry.register_local_backends(); "
        "multitrust.models.local_registry.available_backends(); multitrust.models.routes.load_routes(); "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_image_question_through_hf_spec(tiny_vlm: Path, images: list[ImageRef]) -> None:
    register_local_backends()
    model = load_model(f"hf:{tiny_vlm}?device=cpu&dtype=float32&batch_size=2")
    assert isinstance(model, HFChatModel)
    assert model.spec == f"hf:{tiny_vlm.resolve()}"
    (reply,) = asyncio.run(answer_all(model, [req(model.spec, "What colour is this?", images[0])]))
    assert reply.finish_reason in ("stop", "length")
    # a random tiny model may pick end-of-sequence first (its logits are near ties, and CPU thread counts can
    # tip them), so the count may be 0; what matters here is the path and the max_tokens bound
    assert reply.usage is not None and 0 <= reply.usage["completion_tokens"] <= 12
    assert reply.usage["prompt_tokens"] > 10
    info = model.describe()
    assert info["decoding"] == "greedy"
    assert info["batch_size"] == 2


@pytest.mark.slow
def test_batch_size_does_not_change_greedy_outputs(tiny_vlm: Path, images: list[ImageRef]) -> None:
    outputs = {}
    for batch_size in (1, 4):
        model = HFChatModel(str(tiny_vlm), device="cpu", dtype="float32", batch_size=batch_size)
        replies = asyncio.run(answer_all(model, mixed_requests(model.spec, images)))
        outputs[batch_size] = [(r.text, r.finish_reason, r.usage) for r in replies]
        assert model.batches_run == (6 if batch_size == 1 else 2)
    assert outputs[1] == outputs[4]
    # random weights, but not degenerate: the prompts don't all get the same answer
    assert len({text for text, _, _ in outputs[1]}) > 1
    # each row honours its own max_tokens even when batched with longer budgets
    for (_, finish, usage), budget in zip(outputs[4], (10, 6, 12, 14, 8, 12), strict=True):
        assert usage is not None and usage["completion_tokens"] <= budget
        if finish == "length":
            assert usage["completion_tokens"] == budget


def test_text_only_model_and_image_requests(tmp_path: Path, images: list[ImageRef]) -> None:
    """A causal LM (no vision) answers text prompts and fails image prompts with one clear error."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = chatml_tokenizer("")
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        pad_token_id=None,
        eos_token_id=tok.eos_token_id,
        initializer_range=0.2,
    )
    torch.manual_seed(1)
    LlamaForCausalLM(config).save_pretrained(tmp_path)
    tok.pad_token = None  # the adapter must fall back to EOS for padding
    tok.save_pretrained(tmp_path)

    async def go() -> list[Any]:
        model = HFChatModel(str(tmp_path), device="cpu", batch_size=4)
        try:
            return await asyncio.gather(
                model.generate(req(model.spec, "hello", max_tokens=5)),
                model.generate(req(model.spec, "a longer hello there", max_tokens=7)),
                model.generate(req(model.spec, "see?", images[0])),
                return_exceptions=True,
            )
        finally:
            await model.aclose()

    short, longer, with_image = asyncio.run(go())
    assert short.usage["completion_tokens"] <= 5 and longer.usage["completion_tokens"] <= 7
    assert isinstance(with_image, ModelCallError)
    assert "text-only" in str(with_image)


def test_missing_model_is_one_clear_error(tmp_path: Path) -> None:
    async def go() -> Any:
        model = HFChatModel(str(tmp_path / "empty"), device="cpu")
        try:
            return await asyncio.gather(
                model.generate(req(model.spec, "a")), model.generate(req(model.spec, "b")), return_exceptions=True
            )
        finally:
            await model.aclose()

    (tmp_path / "empty").mkdir()
    errors = asyncio.run(go())
    assert all(isinstance(e, ModelCallError) and "failed to load" in str(e) for e in errors)


def test_spec_options_are_checked(tmp_path: Path) -> None:
    register_local_backends()
    with pytest.raises(SpecError, match="unknown option 'colour'"):
        load_model(f"hf:{tmp_path}?colour=red")
    with pytest.raises(SpecError, match="dtype must be one of"):
        load_model(f"hf:{tmp_path}?dtype=int3")
    with pytest.raises(SpecError, match="is not a bool"):
        load_model(f"hf:{tmp_path}?trust_remote_code=maybe")
    with pytest.raises(SpecError, match="no such directory"):
        load_model("hf:./definitely/not/here")
    hub = load_model("hf:Qwen/Qwen2-VL-2B-Instruct?batch_size=3&concurrency=5")
    assert hub.spec == "hf:Qwen/Qwen2-VL-2B-Instruct"
    assert hub.default_concurrency == 5


def test_micro_batcher_collects_concurrent_items() -> None:
    seen: list[list[int]] = []

    def run(items: list[int]) -> list[Any]:
        seen.append(list(items))
        return [ValueError("odd") if i % 2 else i * 10 for i in items]

    async def go() -> list[Any]:
        batcher: MicroBatcher[int, int] = MicroBatcher(run, batch_size=3, max_wait_s=0.01)
        try:
            return await asyncio.gather(*(batcher.submit(i) for i in range(7)), return_exceptions=True)
        finally:
            batcher.shutdown()

    results = asyncio.run(go())
    assert seen == [[0, 1, 2], [3, 4, 5], [6]]
    assert results[0::2] == [0, 20, 40, 60]
    assert all(isinstance(r, ValueError) for r in results[1::2])
