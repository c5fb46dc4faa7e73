"""Every transformers architecture behind a published route, end to end through ``hf:`` on the CPU.

For each architecture a tiny random model with its processor and a chat template in the style of the
published checkpoint's is built in code (:mod:`tests.models.tiny_vlms`), saved, and loaded through
``hf:<dir>``: the processor, chat template, image placement, generation and batching all run for real.
Checked per architecture: image and text-only prompts answer within their token budgets, an image adds
image tokens to the prompt, and greedy outputs are the same at batch size 1 and 3. The route table
(``published_routes.yaml``) names these tests; ``tests/models/test_routes.py`` checks that they exist.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from PIL import Image  # noqa: E402

from multitrust.core.errors import ModelCallError, SpecError  # noqa: E402
from multitrust.core.types import ImageRef, Message, Request  # noqa: E402
from multitrust.models.local_hf import HFChatModel  # noqa: E402
from multitrust.models.local_registry import register_local_backends  # noqa: E402
from multitrust.models.spec import load_model  # noqa: E402
from tests.models.tiny_vlms import BUILDERS, build_llava_chatml, build_qwen2_vl, build_remote_phi3v_style  # noqa: E402

pytestmark = pytest.mark.timeout(180)

#: architectures whose processor refuses a prompt without an image (PaliGemma is an image-prompt model)
NEEDS_IMAGE = {"paligemma"}
#: architectures that need an extra package
EXTRA_PACKAGES = {"smolvlm": "num2words"}
#: the input conventions the matching published routes set
ROUTE_OPTIONS = {"instructblip": "&plain_prompt=true"}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[ImageRef]:
    root = tmp_path_factory.mktemp("arch-imgs")
    refs = []
    for i, (color, size) in enumerate([("red", (40, 30)), ("navy", (64, 64)), ("yellow", (90, 20))]):
        path = root / f"im{i}.png"
        Image.new("RGB", size, color).save(path)
        refs.append(ImageRef(str(path)))
    return refs


def req(model: str, text: str, *imgs: ImageRef, max_tokens: int = 8, system: str | None = None) -> Request:
    turns = ((Message("system", system),) if system else ()) + (Message("user", text, tuple(imgs)),)
    return Request.build(model, turns, max_tokens=max_tokens)


async def answer(model: Any, requests: list[Request]) -> list[Any]:
    try:
        return await asyncio.gather(*(model.generate(r) for r in requests), return_exceptions=True)
    finally:
        await model.aclose()


def run(spec: str, requests_for: Any) -> tuple[Any, list[Any]]:
    model = load_model(spec)
    return model, asyncio.run(answer(model, requests_for(model.spec)))


@pytest.mark.parametrize("arch", sorted(BUILDERS))
def test_architecture_end_to_end(arch: str, images: list[ImageRef], tmp_path: Path) -> None:
    if arch in EXTRA_PACKAGES:
        pytest.importorskip(EXTRA_PACKAGES[arch])
    register_local_backends()
    path = BUILDERS[arch](tmp_path / arch)
    text_ok = arch not in NEEDS_IMAGE

    def requests(spec: str) -> list[Request]:
        return [
            req(spec, "What is in this picture?", images[0], max_tokens=6),
            req(spec, "What is in this picture?", max_tokens=5),
            req(spec, "Describe the colours, please.", images[1], max_tokens=8),
            req(spec, "A longer text-only question, " * 3 + "no image?", max_tokens=7),
            req(spec, "Yes or no?", images[2], max_tokens=4),
        ]

    outputs = {}
    for batch_size in (1, 3):
        spec = f"hf:{path}?device=cpu&dtype=float32&batch_size={batch_size}{ROUTE_OPTIONS.get(arch, '')}"
        model, replies = run(spec, requests)
        assert isinstance(model, HFChatModel)
        assert model.batches_run == (5 if batch_size == 1 else 2)
        if arch == "instructblip":  # Flan-T5: an encoder-decoder; text-only prompts go to the LM alone
            assert model.spec.endswith("?plain_prompt=true")
        for i, (reply, budget) in enumerate(zip(replies, (6, 5, 8, 7, 4), strict=True)):
            if i in (1, 3) and not text_ok:
                assert isinstance(reply, ModelCallError) and "image" in str(reply)
                continue
            assert not isinstance(reply, BaseException), f"{arch} request {i}: {reply}"
            assert reply.finish_reason in ("stop", "length")
            assert 0 <= reply.usage["completion_tokens"] <= budget
            if reply.finish_reason == "length":
                assert reply.usage["completion_tokens"] == budget
        outputs[batch_size] = [
            (r.text, r.finish_reason, r.usage) if not isinstance(r, Exception) else "error" for r in replies
        ]
        if text_ok:  # the same text with an image has more prompt tokens: the image was placed and expanded
            assert replies[0].usage["prompt_tokens"] > replies[1].usage["prompt_tokens"]
    assert outputs[1] == outputs[3]


def test_encoder_decoder_answer_does_not_depend_on_batch_companions(images: list[ImageRef], tmp_path: Path) -> None:
    """InstructBLIP's processor puts the query placeholders before the padded text: with left padding the
    pads sat between image and text and T5's relative positions moved, so a short prompt's logits changed
    with the longer prompts beside it (0.39 at the first step here; float noise is ~1e-6)."""
    from tests.models.tiny_vlms import build_instructblip

    register_local_backends()
    path = build_instructblip(tmp_path / "blip")
    model = load_model(f"hf:{path}?device=cpu&dtype=float32&batch_size=2&plain_prompt=true")
    loaded = model._ensure_loaded()
    long_req = req(model.spec, "Describe the colours of this picture, please, in detail.", images[1])
    short_req = req(model.spec, "Yes or no?", images[2])
    prompts = [asyncio.run(model._prepare(r)) for r in (long_req, short_req)]
    together, alone = model._encode(prompts, loaded), model._encode(prompts[1:], loaded)
    start = torch.zeros((1, 1), dtype=torch.long)
    with torch.inference_mode():
        batched = loaded.model(**together, decoder_input_ids=start.repeat(2, 1)).logits[1, 0]
        single = loaded.model(**alone, decoder_input_ids=start).logits[0, 0]
    assert together["attention_mask"][1, -1] == 0  # the short row is padded after its text
    assert float((batched - single).abs().max()) < 1e-4
    asyncio.run(model.aclose())


# ----------------------------------------------------------------------------------- input conventions


@pytest.fixture(scope="module")
def llava_chatml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_llava_chatml(tmp_path_factory.mktemp("llava-chatml") / "m")


@pytest.fixture(scope="module")
def qwen2_vl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_qwen2_vl(tmp_path_factory.mktemp("qwen2-vl") / "m")


def test_image_placeholder_puts_images_in_the_text(llava_chatml: Path, images: list[ImageRef]) -> None:
    """Phi-3.5-vision style: images as tags in the text. With the tag the template would have written
    (``<image>``, right before the text) the rendered prompt, and so the greedy answer, is the same."""
    register_local_backends()
    texts = ["Which colour?", "And the shape?"]
    _, by_parts = run(f"hf:{llava_chatml}?device=cpu", lambda s: [req(s, t, images[0]) for t in texts])
    model, by_tag = run(
        f"hf:{llava_chatml}?device=cpu&image_placeholder=<image>", lambda s: [req(s, t, images[0]) for t in texts]
    )
    assert [(r.text, r.usage) for r in by_tag] == [(r.text, r.usage) for r in by_parts]
    # the convention is part of the spec (it changes answers) and recorded in describe()
    assert model.spec == f"hf:{llava_chatml.resolve()}?image_placeholder=%3Cimage%3E"
    assert model.describe()["input_conventions"] == {"image_placeholder": "<image>"}


def test_numbered_placeholder(llava_chatml: Path) -> None:
    model = HFChatModel(str(llava_chatml), image_placeholder="<|image_{n}|>\n")
    turns = (Message("user", "compare", (ImageRef("a.png"), ImageRef("b.png"))),)
    assert model._conversation(turns, True) == [{"role": "user", "content": "<|image_1|>\n<|image_2|>\ncompare"}]


def test_too_many_images_is_one_clear_error(llava_chatml: Path, images: list[ImageRef]) -> None:
    register_local_backends()
    model, (one, two) = run(
        f"hf:{llava_chatml}?device=cpu&max_images=1",
        lambda s: [req(s, "one", images[0]), req(s, "two", images[0], images[1])],
    )
    assert not isinstance(one, BaseException)
    assert isinstance(two, ModelCallError)
    assert "at most 1 image(s) per prompt; the request has 2" in str(two)
    assert model.spec.endswith("?max_images=1")


def test_system_prompt_option_matches_the_templates_default(qwen2_vl: Path, images: list[ImageRef]) -> None:
    """Qwen2-VL's template writes 'You are a helpful assistant.' when a request has no system turn, so
    naming that same prompt explicitly must not change the answer; another system prompt does change the
    prompt (its token count)."""
    register_local_backends()
    texts = ["Which colour?", "Hi"]
    _, plain = run(f"hf:{qwen2_vl}?device=cpu", lambda s: [req(s, texts[0], images[0]), req(s, texts[1])])
    _, same = run(
        f"hf:{qwen2_vl}?device=cpu&system_prompt=You are a helpful assistant.",
        lambda s: [req(s, texts[0], images[0]), req(s, texts[1])],
    )
    _, other = run(f"hf:{qwen2_vl}?device=cpu&system_prompt=Be brief.", lambda s: [req(s, texts[1])])
    assert [(r.text, r.usage) for r in same] == [(r.text, r.usage) for r in plain]
    # "You are a helpful assistant." is 28 bytes, "Be brief." 9: a byte-level prompt is 19 tokens shorter
    assert plain[1].usage["prompt_tokens"] - other[0].usage["prompt_tokens"] == 19


def test_merge_system_folds_the_system_turn_into_the_user_turn(llava_chatml: Path, images: list[ImageRef]) -> None:
    register_local_backends()
    _, merged = run(
        f"hf:{llava_chatml}?device=cpu&merge_system=true",
        lambda s: [req(s, "Which colour?", images[0], system="Answer in one word.")],
    )
    _, by_hand = run(
        f"hf:{llava_chatml}?device=cpu", lambda s: [req(s, "Answer in one word.\n\nWhich colour?", images[0])]
    )
    assert (merged[0].text, merged[0].usage) == (by_hand[0].text, by_hand[0].usage)


def test_convention_values_are_checked(tmp_path: Path) -> None:
    register_local_backends()
    with pytest.raises(SpecError, match="max_images must be >= 1"):
        load_model(f"hf:{tmp_path}?max_images=0")
    with pytest.raises(SpecError, match="is not a bool"):
        load_model(f"hf:{tmp_path}?merge_system=perhaps")


# ------------------------------------------------------------------------------------------ remote code


def test_remote_code_vlm_through_hf(tmp_path: Path, images: list[ImageRef], monkeypatch: pytest.MonkeyPatch) -> None:
    """A remote-code VLM in the Phi-3/3.5-vision style (an AutoModelForCausalLM with a remote processor
    that finds images by ``<|image_n|>`` tags) runs through ``hf:`` with trust_remote_code and the
    numbered image placeholder; without trust_remote_code it is one clear load error."""
    import transformers.dynamic_module_utils as dynamic

    # transformers copies remote code into its modules cache: keep that out of the user's cache
    monkeypatch.setattr(dynamic, "HF_MODULES_CACHE", str(tmp_path / "hf-modules"))
    register_local_backends()
    path = build_remote_phi3v_style(tmp_path / "remote")

    def requests(spec: str) -> list[Request]:
        return [
            req(spec, "What is in this picture?", images[0], max_tokens=6),
            req(spec, "What is in this picture?", max_tokens=5),
            req(spec, "And this one?", images[1], max_tokens=7),
        ]

    outputs = {}
    for batch_size in (1, 3):
        spec = (
            f"hf:{path}?device=cpu&batch_size={batch_size}&trust_remote_code=true&image_placeholder=<|image_{{n}}|>%0A"
        )
        model, replies = run(spec, requests)
        assert all(not isinstance(r, BaseException) for r in replies), replies
        assert all(r.usage["completion_tokens"] <= b for r, b in zip(replies, (6, 5, 7), strict=True))
        # the tag "<|image_1|>\n" went before the text, and the processor replaced the tag by 4 image tokens:
        # 4 tokens + 1 for the newline more than the same text alone
        assert replies[0].usage["prompt_tokens"] - replies[1].usage["prompt_tokens"] == 4 + 1
        info = model.describe()
        assert info["trust_remote_code"] is True
        outputs[batch_size] = [(r.text, r.usage) for r in replies]
    assert outputs[1] == outputs[3]

    _, (refused,) = run(f"hf:{path}?device=cpu", lambda s: [req(s, "hi", max_tokens=2)])
    assert isinstance(refused, ModelCallError) and "failed to load" in str(refused)


def test_conventions_are_recorded_with_the_run(llava_chatml: Path, builtin_tree: Path, tmp_path: Path) -> None:
    """A run through a route's conventions records them in the run's config.json, and its stored
    generations carry the spec with them (so a run without the conventions never reuses their answers)."""
    import json

    from multitrust import api
    from multitrust.engine.config import RunConfig

    spec = f"hf:{llava_chatml}?device=cpu&max_images=1&max_image_side=24"
    cfg = RunConfig(
        model=spec,
        tasks=["T.6"],
        data=str(builtin_tree),
        out=str(tmp_path / "run"),
        limit=1,
        max_tokens=4,
        bootstrap=0,
        shared_cache=False,
    )
    api.run(cfg)
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["model"]
    assert recorded["input_conventions"] == {"max_image_side": "24", "max_images": "1"}
    assert recorded["spec"] == f"hf:{llava_chatml.resolve()}?max_image_side=24&max_images=1"
    import sqlite3

    store = next((tmp_path / "run").glob("*.sqlite"))
    with sqlite3.connect(store) as db:
        models = {row[0] for row in db.execute("SELECT model FROM generations")}
    assert models == {recorded["spec"]}
