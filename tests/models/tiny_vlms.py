"""Tiny randomly initialised vision-language models, one per transformers architecture, built in code.

Each builder writes a model, a tokenizer and a processor with a chat template modelled on the published
checkpoint's own (same role markers, same image markup, same default system prompt where the original
template has one) into a directory, so ``hf:<dir>`` loads it through the same ``AutoProcessor`` /
``AutoModelForImageTextToText`` path a hub checkpoint takes, without a download. The tokenizer is a
byte-level BPE with no merges (256 byte tokens plus the architecture's special tokens): real and built
in milliseconds. Weights are random, so answers are gibberish; what the tests check is the path.

Only Pil image processors are used: the torchvision-backed fast ones are often not installable beside a
CPU torch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: the chat template the first tiny models used (ChatML with the image markup substituted for IMAGE)
CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}IMAGE{% else %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<image>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]

# --- chat templates in the style of the published checkpoints' own --------------------------------------

#: llava-hf/llava-1.5-*-hf: "USER: <image>\n... ASSISTANT:", images first, system text without a role
LLAVA_15_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}"
    "{% endif %}{% for c in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}"
    "{% endfor %}{% for c in message['content'] | selectattr('type', 'equalto', 'text') %}{{ c['text'] + ' ' }}"
    "{% endfor %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)
#: llava-hf/llava-v1.6-mistral-7b-hf: "[INST] <image>\n... [/INST]"
LLAVA_NEXT_MISTRAL_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' }}"
    "{% for c in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}"
    "{% for c in message['content'] | selectattr('type', 'equalto', 'text') %}{{ c['text'] }}{% endfor %}"
    "{{ ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
    "{% for c in message['content'] %}{{ ' ' + c['text'] }}{% endfor %}{{ '</s>' }}{% endif %}{% endfor %}"
)
#: Qwen/Qwen2-VL-*-Instruct and Qwen2.5-VL: ChatML, a default system prompt when none is given
QWEN2_VL_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for c in message['content'] %}{% if c['type'] == 'image' %}"
    "<|vision_start|><|image_pad|><|vision_end|>{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
#: meta-llama/Llama-3.2-11B-Vision-Instruct: Llama 3 headers, <|image|> where the image part is
MLLAMA_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for c in message['content'] %}"
    "{% if c['type'] == 'image' %}<|image|>{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}"
    "{% endif %}<|eot_id|>{% endfor %}{% if add_generation_prompt %}"
    "<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
#: HuggingFaceTB/SmolVLM-*-Instruct and Idefics3: "User:<image>...<end_of_utterance>\nAssistant:"
IDEFICS3_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}"
    "{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for c in message['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}{% else %}{{ '<image>' }}"
    "{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
#: google/gemma-3-*-it: turns of user/model, a system prompt is folded into the first user turn
GEMMA3_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set first = messages[0]['content'][0]['text'] + "
    "'\n\n' %}{% set rest = messages[1:] %}{% else %}{% set first = '' %}{% set rest = messages %}{% endif %}"
    "{% for message in rest %}<start_of_turn>{{ 'model' if message['role'] == 'assistant' else message['role'] }}\n"
    "{% if loop.first %}{{ first }}{% endif %}{% for c in message['content'] %}{% if c['type'] == 'image' %}"
    "{{ '<start_of_image>' }}{% elif c['type'] == 'text' %}{{ c['text'] | trim }}{% endif %}{% endfor %}"
    "<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
#: OpenGVLab/InternVL3-*-hf: ChatML with <IMG_CONTEXT> on its own line before the text
INTERNVL_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}{% else %}{% for c in message['content'] %}{% if c['type'] == 'image' %}"
    "{{ '<IMG_CONTEXT>\n' }}{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
#: deepseek-community/Janus-Pro-7B (and deepseek-vl-7b-chat): "<|User|>: <image_placeholder>\n...\n\n<|Assistant|>:"
JANUS_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'system' %}{% for c in message['content'] %}"
    "{{ c['text'] }}{% endfor %}\n\n{% else %}{{ '<|User|>: ' if message['role'] == 'user' else '<|Assistant|>: ' }}"
    "{% for c in message['content'] %}{% if c['type'] == 'image' %}{{ '<image_placeholder>\n' }}"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}\n\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|Assistant|>:' }}{% endif %}"
)
#: Salesforce/instructblip-*: no chat template upstream; the processor puts the query tokens first
PLAIN_TEMPLATE = (
    "{% for message in messages %}{% for c in message['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}"
    "{% endif %}{% endfor %}{% endfor %}"
)


def byte_tokenizer(
    chat_template: str,
    specials: list[str] | None = None,
    *,
    named: dict[str, str] | None = None,
    eos: str = "<|im_end|>",
    bos: str = "<|im_start|>",
) -> Any:
    """A byte-level BPE tokenizer with no merges (256 byte tokens + specials): real, tiny, built in ms.

    ``named`` are model-specific special tokens the processor reads as tokenizer attributes (Gemma 3's
    ``boi_token``, InternVL's ``context_image_token``, ...)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    # sorted: alphabet() is a set, so without it every build (every process) numbered the bytes differently
    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    raw = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    kwargs: dict[str, Any] = {}
    if named:
        kwargs["extra_special_tokens"] = dict(named)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw, pad_token="<pad>", eos_token=eos, bos_token=bos, chat_template=chat_template, **kwargs
    )
    extra = [t for t in [*(specials or []), *(named or {}).values()] if t not in tok.get_vocab()]
    if extra:
        tok.add_tokens(extra, special_tokens=True)
    return tok


def chatml_tokenizer(image_markup: str) -> Any:
    """The tokenizer of the first tiny models: ChatML, ``image_markup`` for each image part."""
    return byte_tokenizer(CHATML_TEMPLATE.replace("IMAGE", image_markup), SPECIAL)


def _ids(tok: Any) -> dict[str, Any]:
    return {"pad_token_id": tok.pad_token_id, "eos_token_id": tok.eos_token_id, "bos_token_id": tok.bos_token_id}


def _llama(tok: Any, hidden: int = 32) -> dict[str, Any]:
    return {
        "vocab_size": len(tok),
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
        "initializer_range": 0.2,
        **_ids(tok),
    }


def _clip_vision(image_size: int = 32, patch: int = 8) -> Any:
    from transformers import CLIPVisionConfig

    return CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=image_size,
        patch_size=patch,
    )


def _siglip_vision(image_size: int = 32, patch: int = 8, **extra: Any) -> dict[str, Any]:
    return {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "image_size": image_size,
        "patch_size": patch,
        **extra,
    }


def _save(out: Path, model_cls: Any, config: Any, processor: Any = None, *parts: Any, seed: int = 0) -> Path:
    import torch

    torch.manual_seed(seed)
    model = model_cls(config).eval()
    model.save_pretrained(out)
    for part in (processor, *parts):
        if part is not None:
            part.save_pretrained(out)
    return out


# --------------------------------------------------------------------------------------------- builders


def build_llava(out: Path, tok: Any = None) -> Path:
    """LLaVA-1.5 (llava-hf): CLIP tower, Llama LM, ``<image>`` expanded to one token per patch."""
    from transformers import LlamaConfig, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    tok = tok or byte_tokenizer(LLAVA_15_TEMPLATE, SPECIAL, eos="</s>", bos="<s>")
    config = LlavaConfig(
        vision_config=_clip_vision(),
        text_config=LlamaConfig(**_llama(tok)),
        image_token_id=tok.convert_tokens_to_ids("<image>"),
    )
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        tokenizer=tok,
        patch_size=8,
        num_additional_image_tokens=1,  # CLIP's CLS token
        vision_feature_select_strategy=config.vision_feature_select_strategy,
        chat_template=tok.chat_template,
    )
    return _save(out, LlavaForConditionalGeneration, config, processor)


def build_llava_chatml(out: Path) -> Path:
    """The first tiny LLaVA: the same architecture with a ChatML template (string or part content)."""
    return build_llava(out, chatml_tokenizer("<image>"))


def build_llava_next(out: Path) -> Path:
    """LLaVA-NeXT (1.6): any-resolution tiling (a base image plus grid tiles), Mistral-style template."""
    from transformers import LlamaConfig, LlavaNextConfig, LlavaNextForConditionalGeneration, LlavaNextProcessor
    from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil

    tok = byte_tokenizer(LLAVA_NEXT_MISTRAL_TEMPLATE, SPECIAL, eos="</s>", bos="<s>")
    pinpoints = [[32, 32], [32, 64], [64, 32]]
    config = LlavaNextConfig(
        vision_config=_clip_vision(),
        text_config=LlamaConfig(**_llama(tok)),
        image_token_id=tok.convert_tokens_to_ids("<image>"),
        image_grid_pinpoints=pinpoints,
    )
    processor = LlavaNextProcessor(
        image_processor=LlavaNextImageProcessorPil(
            size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}, image_grid_pinpoints=pinpoints
        ),
        tokenizer=tok,
        patch_size=8,
        num_additional_image_tokens=1,
        vision_feature_select_strategy=config.vision_feature_select_strategy,
        chat_template=tok.chat_template,
    )
    return _save(out, LlavaNextForConditionalGeneration, config, processor)


def _qwen_text(tok: Any) -> dict[str, Any]:
    return {
        "vocab_size": len(tok),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "initializer_range": 0.2,
        "rope_scaling": {"type": "mrope", "mrope_section": [2, 3, 3]},
        "pad_token_id": tok.pad_token_id,
        "eos_token_id": tok.eos_token_id,
    }


def _qwen_token_ids(tok: Any) -> dict[str, int]:
    return {
        "image_token_id": tok.convert_tokens_to_ids("<|image_pad|>"),
        "video_token_id": tok.convert_tokens_to_ids("<|video_pad|>"),
        "vision_start_token_id": tok.convert_tokens_to_ids("<|vision_start|>"),
    }


def _qwen_image_processor() -> Any:
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    return Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=56 * 56 * 4)


def build_qwen2_vl(out: Path, tok: Any = None) -> Path:
    """Qwen2-VL saved as model + tokenizer + image processor (its processor class cannot be built without
    torchvision here; the adapter assembles it without the video part, which this also exercises)."""
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    tok = tok or byte_tokenizer(QWEN2_VL_TEMPLATE, SPECIAL)
    config = Qwen2VLConfig(
        text_config=_qwen_text(tok),
        vision_config={
            "depth": 2,
            "embed_dim": 32,
            "hidden_size": 64,
            "num_heads": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        **_qwen_token_ids(tok),
    )
    return _save(out, Qwen2VLForConditionalGeneration, config, None, tok, _qwen_image_processor())


def build_qwen2_vl_chatml(out: Path) -> Path:
    """The first tiny Qwen2-VL: no default system prompt in its template."""
    return build_qwen2_vl(out, chatml_tokenizer("<|vision_start|><|image_pad|><|vision_end|>"))


def build_qwen2_5_vl(out: Path) -> Path:
    """Qwen2.5-VL: windowed-attention vision tower with an MLP merger; the Qwen2-VL image processor."""
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    tok = byte_tokenizer(QWEN2_VL_TEMPLATE, SPECIAL)
    config = Qwen2_5_VLConfig(
        text_config=_qwen_text(tok),
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "out_hidden_size": 64,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "fullatt_block_indexes": [1],
        },
        **_qwen_token_ids(tok),
    )
    return _save(out, Qwen2_5_VLForConditionalGeneration, config, None, tok, _qwen_image_processor())


IDEFICS_SPECIAL = ["<image>", "<fake_token_around_image>", "<global-img>", "<end_of_utterance>"]


def _idefics3_like(
    out: Path, config_cls: Any, model_cls: Any, processor_cls: Any, image_processor_cls: Any, processor_name: str = ""
) -> Path:
    rows = [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)]
    tok = byte_tokenizer(IDEFICS3_TEMPLATE, IDEFICS_SPECIAL + rows, eos="<end_of_utterance>")
    # 32 px tiles of 8 px patches, pixel-shuffled by 2: (32 / 8) ** 2 / 2 ** 2 = 4 tokens per tile
    config = config_cls(
        vision_config=_siglip_vision(),
        text_config=_llama(tok, hidden=32),
        image_token_id=tok.convert_tokens_to_ids("<image>"),
        scale_factor=2,
    )
    image_processor = image_processor_cls(
        size={"longest_edge": 64}, max_image_size={"longest_edge": 32}, do_image_splitting=True
    )
    if processor_cls is None:  # saved as its parts plus processor_config.json, the way hub checkpoints are
        _save(out, model_cls, config, None, tok, image_processor)
        (out / "processor_config.json").write_text(json.dumps({"processor_class": processor_name, "image_seq_len": 4}))
        return out
    processor = processor_cls(
        image_processor=image_processor, tokenizer=tok, image_seq_len=4, chat_template=tok.chat_template
    )
    return _save(out, model_cls, config, processor)


def build_idefics3(out: Path) -> Path:
    """Idefics3: SigLIP tiles with pixel shuffle, ``<row_r_col_c>`` markup around each tile."""
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration, Idefics3Processor
    from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil

    return _idefics3_like(
        out, Idefics3Config, Idefics3ForConditionalGeneration, Idefics3Processor, Idefics3ImageProcessorPil
    )


def build_smolvlm(out: Path) -> Path:
    """SmolVLM: the Idefics3 design with its own classes; its processor wants a video processor (torchvision),
    so it is saved as parts + ``processor_config.json`` and the adapter assembles it without the video part."""
    from transformers import SmolVLMConfig, SmolVLMForConditionalGeneration
    from transformers.models.smolvlm.image_processing_pil_smolvlm import SmolVLMImageProcessorPil

    return _idefics3_like(
        out, SmolVLMConfig, SmolVLMForConditionalGeneration, None, SmolVLMImageProcessorPil, "SmolVLMProcessor"
    )


def build_mllama(out: Path) -> Path:
    """Mllama (Llama-3.2-Vision): tiled images, cross-attention layers, ``<|image|>`` in the text."""
    from transformers import MllamaConfig, MllamaForConditionalGeneration, MllamaProcessor
    from transformers.models.mllama.image_processing_pil_mllama import MllamaImageProcessorPil

    tok = byte_tokenizer(MLLAMA_TEMPLATE, ["<|image|>", "<|python_tag|>"], eos="<|eot_id|>", bos="<|begin_of_text|>")
    ratios = [[1, 1], [1, 2], [2, 1]]
    config = MllamaConfig(
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_global_layers": 1,
            "attention_heads": 2,
            "image_size": 32,
            "patch_size": 8,
            "max_num_tiles": 2,
            "intermediate_layers_indices": [0],
            "vision_output_dim": 64,  # hidden_size x (1 + len(intermediate_layers_indices))
            "supported_aspect_ratios": ratios,
        },
        text_config={**_llama(tok), "cross_attention_layers": [1], "num_hidden_layers": 2},
        image_token_index=tok.convert_tokens_to_ids("<|image|>"),
    )
    processor = MllamaProcessor(
        image_processor=MllamaImageProcessorPil(size={"height": 32, "width": 32}, max_image_tiles=2),
        tokenizer=tok,
        chat_template=tok.chat_template,
    )
    return _save(out, MllamaForConditionalGeneration, config, processor)


def build_gemma3(out: Path) -> Path:
    """Gemma 3: SigLIP tower pooled to ``mm_tokens_per_image``, ``<start_of_image>`` expanded by the processor."""
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3Processor
    from transformers.models.gemma3.image_processing_pil_gemma3 import Gemma3ImageProcessorPil

    named = {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>", "image_token": "<image_soft_token>"}
    tok = byte_tokenizer(GEMMA3_TEMPLATE, ["<start_of_turn>"], named=named, eos="<end_of_turn>", bos="<bos>")
    config = Gemma3Config(
        text_config={
            **_llama(tok),
            "num_key_value_heads": 1,
            "head_dim": 16,
            "query_pre_attn_scalar": 16,
            "sliding_window": 16,
        },
        vision_config=_siglip_vision(),
        mm_tokens_per_image=4,  # 4 x 4 patches pooled 2 x 2
        boi_token_index=tok.convert_tokens_to_ids("<start_of_image>"),
        eoi_token_index=tok.convert_tokens_to_ids("<end_of_image>"),
        image_token_index=tok.convert_tokens_to_ids("<image_soft_token>"),
    )
    processor = Gemma3Processor(
        image_processor=Gemma3ImageProcessorPil(size={"height": 32, "width": 32}),
        tokenizer=tok,
        chat_template=tok.chat_template,
        image_seq_length=4,
    )
    return _save(out, Gemma3ForConditionalGeneration, config, processor)


def build_internvl(out: Path) -> Path:
    """InternVL (the transformers port, e.g. InternVL3-hf): InternViT, pixel shuffle, Qwen2 LM; saved as parts
    + ``processor_config.json`` because its processor class wants a (torchvision) video processor."""
    from transformers import InternVLConfig, InternVLForConditionalGeneration
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil

    named = {
        "start_image_token": "<img>",
        "end_image_token": "</img>",
        "context_image_token": "<IMG_CONTEXT>",
        "video_token": "<video>",
    }
    tok = byte_tokenizer(INTERNVL_TEMPLATE, [], named=named)
    config = InternVLConfig(
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": [32, 32],
            "patch_size": [8, 8],
        },
        text_config={"model_type": "qwen2", **_llama(tok)},
        image_token_id=tok.convert_tokens_to_ids("<IMG_CONTEXT>"),
        image_seq_length=4,  # (32 / 8) ** 2 x 0.5 ** 2
    )
    image_processor = GotOcr2ImageProcessorPil(size={"height": 32, "width": 32}, crop_to_patches=False)
    _save(out, InternVLForConditionalGeneration, config, None, tok, image_processor)
    processor = {"processor_class": "InternVLProcessor", "image_seq_length": 4}
    (out / "processor_config.json").write_text(json.dumps(processor))
    return out


def build_paligemma(out: Path) -> Path:
    """PaliGemma: no chat template upstream; the processor puts the image tokens and BOS before the prompt."""
    from transformers import PaliGemmaConfig, PaliGemmaForConditionalGeneration, PaliGemmaProcessor
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

    tok = byte_tokenizer(PLAIN_TEMPLATE, ["<image>"], eos="<eos>", bos="<bos>")
    config = PaliGemmaConfig(
        vision_config=_siglip_vision(projection_dim=32),
        text_config={"model_type": "gemma", **_llama(tok), "head_dim": 16},
        image_token_index=tok.convert_tokens_to_ids("<image>"),
        projection_dim=32,
    )
    image_processor = SiglipImageProcessorPil(size={"height": 32, "width": 32})
    image_processor.image_seq_length = 16
    processor = PaliGemmaProcessor(image_processor=image_processor, tokenizer=tok, chat_template=tok.chat_template)
    return _save(out, PaliGemmaForConditionalGeneration, config, processor)


def build_janus(out: Path) -> Path:
    """Janus(-Pro), the transformers port: SigLIP understanding tower (the VQ generation half stays unused)."""
    from transformers import JanusConfig, JanusForConditionalGeneration, JanusProcessor
    from transformers.models.janus.image_processing_pil_janus import JanusImageProcessorPil

    named = {"image_token": "<image_placeholder>", "boi_token": "<begin_of_image>", "eoi_token": "<end_of_image>"}
    tok = byte_tokenizer(JANUS_TEMPLATE, [], named=named, eos="<|end|>", bos="<|begin|>")
    config = JanusConfig(
        text_config=_llama(tok),
        vision_config={
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 8,
            "projection_dim": 32,
            "num_image_tokens": 16,
        },
        vq_config={
            "embed_dim": 8,
            "num_embeddings": 32,
            "latent_channels": 32,
            "base_channels": 32,
            "channel_multiplier": [1, 1],
            "num_res_blocks": 1,
            "num_patches": 4,
            "projection_dim": 32,
            "image_token_embed_dim": 32,
        },
        image_token_id=tok.convert_tokens_to_ids("<image_placeholder>"),
    )
    processor = JanusProcessor(
        image_processor=JanusImageProcessorPil(size={"height": 32, "width": 32}),
        tokenizer=tok,
        chat_template=tok.chat_template,
        num_image_tokens=16,
    )
    return _save(out, JanusForConditionalGeneration, config, processor)


def build_deepseek_vl_hybrid(out: Path) -> Path:
    """DeepSeek-VL (7B chat), the transformers port: a low-res SigLIP and a high-res SAM tower, fused."""
    from transformers import DeepseekVLHybridConfig, DeepseekVLHybridForConditionalGeneration, DeepseekVLHybridProcessor
    from transformers.models.deepseek_vl_hybrid.image_processing_pil_deepseek_vl_hybrid import (
        DeepseekVLHybridImageProcessorPil,
    )

    named = {"image_token": "<image_placeholder>"}
    tok = byte_tokenizer(JANUS_TEMPLATE, [], named=named, eos="<|end|>", bos="<|begin|>")
    config = DeepseekVLHybridConfig(
        text_config=_llama(tok),
        vision_config=_siglip_vision(),  # 32 px / 8 px patches: 16 image tokens
        high_res_vision_config={
            "model_type": "sam_vision_model",
            "hidden_size": 32,
            "output_channels": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "mlp_dim": 64,
            "image_size": 64,
            "patch_size": 8,
            "window_size": 4,
            "global_attn_indexes": [1],
        },
        image_token_id=tok.convert_tokens_to_ids("<image_placeholder>"),
    )
    image_processor = DeepseekVLHybridImageProcessorPil(
        size={"height": 32, "width": 32}, high_res_size={"height": 64, "width": 64}
    )
    processor = DeepseekVLHybridProcessor(
        image_processor=image_processor, tokenizer=tok, chat_template=tok.chat_template, num_image_tokens=16
    )
    return _save(out, DeepseekVLHybridForConditionalGeneration, config, processor)


def build_instructblip(out: Path) -> Path:
    """InstructBLIP with a Flan-T5 LM (an encoder-decoder): ViT, Q-Former queries placed before the prompt."""
    from transformers import InstructBlipConfig, InstructBlipForConditionalGeneration, InstructBlipProcessor
    from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil

    tok = byte_tokenizer(PLAIN_TEMPLATE, ["<image>"], eos="</s>", bos="<s>")
    qformer_tok = byte_tokenizer(PLAIN_TEMPLATE, [], eos="[SEP]", bos="[CLS]")
    config = InstructBlipConfig(
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 8,
        },
        qformer_config={
            "vocab_size": len(qformer_tok),
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "encoder_hidden_size": 32,
            "pad_token_id": qformer_tok.pad_token_id,
        },
        text_config={
            "model_type": "t5",
            "vocab_size": len(tok),
            "d_model": 32,
            "d_kv": 16,
            "d_ff": 64,
            "num_layers": 2,
            "num_decoder_layers": 2,
            "num_heads": 2,
            "pad_token_id": tok.pad_token_id,
            "eos_token_id": tok.eos_token_id,
            "decoder_start_token_id": tok.pad_token_id,
            "initializer_factor": 1.0,
        },
        num_query_tokens=4,
        image_token_index=tok.convert_tokens_to_ids("<image>"),
    )
    processor = InstructBlipProcessor(
        image_processor=BlipImageProcessorPil(size={"height": 32, "width": 32}),
        tokenizer=tok,
        qformer_tokenizer=qformer_tok,
        num_query_tokens=4,
        chat_template=tok.chat_template,
    )
    return _save(out, InstructBlipForConditionalGeneration, config, processor)


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "llava": build_llava,
    "llava_next": build_llava_next,
    "qwen2_vl": build_qwen2_vl,
    "qwen2_5_vl": build_qwen2_5_vl,
    "idefics3": build_idefics3,
    "smolvlm": build_smolvlm,
    "mllama": build_mllama,
    "gemma3": build_gemma3,
    "internvl": build_internvl,
    "paligemma": build_paligemma,
    "janus": build_janus,
    "deepseek_vl_hybrid": build_deepseek_vl_hybrid,
    "instructblip": build_instructblip,
}


# ------------------------------------------------------------------------- remote code (Phi-3-vision style)

_REMOTE_CONFIG = """
from transformers import LlamaConfig


class TinyPhiVConfig(LlamaConfig):
    model_type = "tiny_phi3_v"

    def __init__(self, image_token_id=0, num_img_tokens=4, **kwargs):
        self.image_token_id = image_token_id
        self.num_img_tokens = num_img_tokens
        super().__init__(**kwargs)
"""

_REMOTE_MODEL = '''
import torch
from transformers import LlamaForCausalLM

from .configuration_tiny_phi3_v import TinyPhiVConfig


class TinyPhiVForCausalLM(LlamaForCausalLM):
    """A causal LM whose image-token positions take projected pixel features (like Phi3V's embedding layer)."""

    config_class = TinyPhiVConfig

    def __init__(self, config):
        super().__init__(config)
        self.img_proj = torch.nn.Linear(3, config.hidden_size)

    def forward(self, input_ids=None, pixel_values=None, inputs_embeds=None, **kwargs):
        if input_ids is not None and inputs_embeds is None:
            is_image = input_ids == self.config.image_token_id
            if pixel_values is not None and bool(is_image.any()):
                embeds = self.model.embed_tokens(input_ids)
                features = self.img_proj(pixel_values.to(embeds.dtype)).reshape(-1, embeds.shape[-1])
                embeds[is_image] = features[: int(is_image.sum())]
                return super().forward(inputs_embeds=embeds, **kwargs)
        return super().forward(input_ids=input_ids, inputs_embeds=inputs_embeds, **kwargs)
'''

_REMOTE_PROCESSOR = '''
import re

import torch
from transformers import AutoTokenizer, BatchFeature


class TinyPhiVProcessor:
    """Finds images by the numbered tags in the text, like Phi3VProcessor: `<|image_1|>` ... `<|image_k|>`."""

    num_img_tokens = 4

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.chat_template = tokenizer.chat_template

    @classmethod
    def register_for_auto_class(cls, auto_class="AutoProcessor"):
        pass

    @classmethod
    def from_pretrained(cls, path, **kwargs):
        kwargs.pop("trust_remote_code", None)
        return cls(AutoTokenizer.from_pretrained(path))

    def apply_chat_template(self, conversation, **kwargs):
        return self.tokenizer.apply_chat_template(conversation, **kwargs)

    def __call__(self, text=None, images=None, return_tensors="pt", padding=True, add_special_tokens=False):
        images = list(images or [])
        texts = [text] if isinstance(text, str) else list(text)
        tags = [int(n) for t in texts for n in re.findall(r"<\\|image_(\\d+)\\|>", t)]
        if len(tags) != len(images):
            raise ValueError(f"{len(tags)} image tags in the prompts but {len(images)} images")
        pad = "<|image|>" * self.num_img_tokens
        expanded = [re.sub(r"<\\|image_\\d+\\|>", pad, t) for t in texts]
        out = dict(self.tokenizer(expanded, return_tensors=return_tensors, padding=padding, add_special_tokens=False))
        if images:
            # each image as a 2 x 2 thumbnail: four RGB "patches", one per image token
            thumbs = [list(im.convert("RGB").resize((2, 2)).tobytes()) for im in images]
            out["pixel_values"] = torch.tensor(thumbs, dtype=torch.float32).reshape(len(images), 4, 3) / 255.0
        return BatchFeature(out)
'''

#: microsoft/Phi-3.5-vision-instruct's template: string content, images are tags the user text carries
PHI3V_TEMPLATE = (
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt and messages[-1]['role'] != 'assistant' %}{{ '<|assistant|>\n' }}"
    "{% endif %}"
)


def build_remote_phi3v_style(out: Path) -> Path:
    """A remote-code VLM (``trust_remote_code``): its config, model and processor classes live in Python
    files inside the model directory, wired up through ``auto_map`` as on the hub; the model class is an
    ``AutoModelForCausalLM`` and images are numbered text tags, the Phi-3/3.5-vision conventions."""
    import importlib.util
    import sys

    import torch

    out.mkdir(parents=True, exist_ok=True)
    src = out.parent / f"{out.name}_src"
    package = src / f"tiny_phi3_v_{out.parent.name.replace('-', '_')}"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "configuration_tiny_phi3_v.py").write_text(_REMOTE_CONFIG)
    (package / "modeling_tiny_phi3_v.py").write_text(_REMOTE_MODEL)
    sys.path.insert(0, str(src))
    try:
        config_mod = importlib.import_module(f"{package.name}.configuration_tiny_phi3_v")
        model_mod = importlib.import_module(f"{package.name}.modeling_tiny_phi3_v")
    finally:
        sys.path.remove(str(src))
    config_mod.TinyPhiVConfig.register_for_auto_class()
    model_mod.TinyPhiVForCausalLM.register_for_auto_class("AutoModelForCausalLM")
    tok = byte_tokenizer(PHI3V_TEMPLATE, ["<|image|>", "<|user|>", "<|assistant|>", "<|system|>"], eos="<|end|>")
    config = config_mod.TinyPhiVConfig(image_token_id=tok.convert_tokens_to_ids("<|image|>"), **_llama(tok))
    torch.manual_seed(0)
    model_mod.TinyPhiVForCausalLM(config).eval().save_pretrained(out)
    tok.save_pretrained(out)
    (out / "processing_tiny_phi3_v.py").write_text(_REMOTE_PROCESSOR)
    processor_config = {"auto_map": {"AutoProcessor": "processing_tiny_phi3_v.TinyPhiVProcessor"}}
    (out / "processor_config.json").write_text(json.dumps(processor_config))
    return out
