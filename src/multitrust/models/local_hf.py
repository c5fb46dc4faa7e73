"""Local Hugging Face transformers models (``hf:<hub id or local path>``).

Why it is built this way:

* **Batched generation behind an async API.** The runner calls ``generate`` once per request from many
  asyncio tasks; a model on a CPU or GPU is far faster on a batch than on the same prompts one by one.
  :class:`MicroBatcher` collects requests that arrive together (flushing when ``batch_size`` are waiting or
  after a few milliseconds) and runs each batch in one dedicated worker thread, so the event loop keeps
  scheduling, caching and judging while the model works, and the model is only ever touched by one thread.
* **Results independent of batch size.** Prompts are left-padded with an attention mask, decoding is
  greedy, and each row stops at its own ``max_tokens`` (a per-row stopping criterion), so a request gets
  the same tokens whether it ran alone or with seven others (tested with tiny random LLaVA / Qwen2-VL).
* **Lazy heavy imports.** torch and transformers are imported in the worker thread when the first batch
  runs; importing :mod:`multitrust` (or building this adapter) never imports torch.
* **No torchvision needed.** transformers 5 builds the video processor of Qwen2-VL-style processors with
  torchvision, which is often not installable beside a CPU torch; images are all this benchmark needs, so
  when only the video part fails the processor is assembled without it (recorded in ``describe()``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.types import ImageRef, Message, ModelReply, Request
from multitrust.models.base import ChatModel, ImageHandling
from multitrust.models.remote import one_line

__all__ = ["HFChatModel", "MicroBatcher", "Prompt", "load_pil", "resolve_model_target"]

T = TypeVar("T")
R = TypeVar("R")

_DTYPES = ("auto", "float32", "float16", "bfloat16")
#: model types whose forward pass needs pixel values (the Q-Former queries come from the image)
_IMAGE_REQUIRED = frozenset({"blip-2", "instructblip"})
_PROCESSOR_PATCH_LOCK = threading.Lock()


# ------------------------------------------------------------------------------------------- batching


class MicroBatcher(Generic[T, R]):
    """Collects items submitted concurrently and hands them, ``batch_size`` at a time, to ``run_batch``
    in one worker thread.

    ``run_batch(items)`` returns one result per item, either a value or an ``Exception`` instance (a
    per-item failure); if it raises, every item of that batch fails with that exception. Batches run one
    after another, in submission order; while one runs, new submissions queue up and form the next batch,
    so a steady stream of requests keeps the batches full. A cancelled caller's item is skipped if its
    batch has not started yet.
    """

    def __init__(
        self,
        run_batch: Callable[[list[T]], Sequence[R | BaseException]],
        *,
        batch_size: int,
        max_wait_s: float = 0.005,
        thread_name: str = "multitrust-model",
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.run_batch = run_batch
        self.batch_size = int(batch_size)
        self.max_wait_s = float(max_wait_s)
        self.thread_name = thread_name
        self.batches = 0  # batches run so far (tests and describe() read these)
        self.items = 0
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    def executor(self) -> concurrent.futures.ThreadPoolExecutor:
        """The single worker thread (created on first use, again after :meth:`shutdown`)."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.thread_name)
        return self._executor

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (e.g. a second asyncio.run): forget the old one's state
            self._loop, self._pending, self._worker = loop, [], None
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._drain())
        return await future

    async def call(self, fn: Callable[[], R]) -> R:
        """Run ``fn`` in the worker thread, after any batch already running (loading, unloading)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor(), fn)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._pending = [(i, f) for i, f in self._pending if not f.done()]  # drop cancelled callers
            if not self._pending:
                return
            if len(self._pending) < self.batch_size and self.max_wait_s > 0:
                await asyncio.sleep(self.max_wait_s)  # let requests that arrive together join this batch
                self._pending = [(i, f) for i, f in self._pending if not f.done()]
                if not self._pending:
                    return
            batch, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size :]
            self.batches += 1
            self.items += len(batch)
            try:
                results = await loop.run_in_executor(self.executor(), self.run_batch, [i for i, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"batch function returned {len(results)} results for {len(batch)} items")
            except BaseException as exc:  # delivered to every caller of the batch
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, fut), result in zip(batch, results, strict=True):
                if fut.done():
                    continue
                if isinstance(result, BaseException):
                    fut.set_exception(result)
                else:
                    fut.set_result(result)

    async def close(self, cleanup: Callable[[], object]) -> None:
        """Run ``cleanup`` in the worker thread, then stop the thread; nothing when no thread is running."""
        if self._executor is None:
            return
        await self.call(cleanup)
        await asyncio.to_thread(self.shutdown)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


# --------------------------------------------------------------------------------------------- images


def quiet_transformers() -> None:
    """No per-tensor tqdm bars or load reports from transformers: the runner draws its own progress."""
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def load_pil(image: ImageRef, max_side: int | None = None) -> Any:
    """The image as an RGB PIL image, downscaled (LANCZOS, aspect kept) when larger than ``max_side``; a
    large JPEG is decoded at reduced scale (:func:`~multitrust.data.images.open_downscaled`).

    RGB because every HF image processor expects 3 channels; palette/alpha images are flattened on white
    so transparent regions don't turn black."""
    from PIL import Image

    from multitrust.data.images import open_downscaled

    with open_downscaled(image.path, max_side) as im:
        im.load()
        if im.mode in ("RGBA", "LA", "P", "PA") or "transparency" in im.info:
            rgba = im.convert("RGBA")
            out = Image.new("RGB", rgba.size, (255, 255, 255))
            out.paste(rgba, mask=rgba.getchannel("A"))
        else:
            out = im.convert("RGB")
    return out


# ----------------------------------------------------------------------------------------------- spec


def resolve_model_target(target: str) -> str:
    """A local directory becomes its resolved absolute path (so the canonical spec, and with it the cache
    keys, don't depend on the working directory); anything else is taken as a hub id."""
    path = Path(target).expanduser()
    if path.exists():
        return str(path.resolve())
    if target.startswith(("/", "./", "../", "~")):
        raise SpecError(f"bad model spec 'hf:{target}': no such directory")
    return target


@dataclass(frozen=True)
class Prompt:
    """What the worker thread turns into model inputs: the chat turns and the token budget."""

    messages: tuple[Message, ...]
    max_new_tokens: int


@dataclass(frozen=True)
class InputConventions:
    """How a model wants its inputs, where that differs between models: set per route, recorded with the run
    (``describe()``) and part of the model's spec, because each of them changes the answers.

    * ``max_images``: most images one prompt may carry; a request with more fails with one clear error
      instead of the extra images being dropped (the benchmark's prompts carry at most one).
    * ``max_image_side``: images larger than this are downscaled (LANCZOS, aspect kept) before the
      processor sees them; the original toolbox did this silently (400 px) for some API and Qwen models.
    * ``image_placeholder``: for processors that find images by a text tag instead of chat-template image
      parts (Phi-3/3.5-vision: ``<|image_{n}|>\n``): each image becomes this text, ``{n}`` numbered from 1,
      before the message text, and the template gets plain string content.
    * ``system_prompt``: a system turn added to every request that has none.
    * ``merge_system``: fold a system turn into the first user turn, for templates with no system role.
    * ``plain_prompt``: no chat template (InstructBLIP has none upstream): the prompt is the turns' text
      joined by blank lines, the tokenizer adds its own special tokens and the processor places the images.
    """

    max_images: int | None = None
    max_image_side: int | None = None
    image_placeholder: str | None = None
    system_prompt: str | None = None
    merge_system: bool = False
    plain_prompt: bool = False

    def check(self, owner: str) -> None:
        for name in ("max_images", "max_image_side"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise SpecError(f"{owner}: {name} must be >= 1, got {value}")

    def options(self) -> dict[str, str]:
        """The conventions that differ from the defaults, as spec options (sorted, strings)."""
        out: dict[str, str] = {}
        for name in sorted(self.__dataclass_fields__):
            value = getattr(self, name)
            if value is None or value is False:
                continue
            out[name] = "true" if value is True else str(value)
        return out

    def spec_suffix(self) -> str:
        """``?k=v&...`` for the canonical spec (empty when every convention is the default)."""
        from urllib.parse import urlencode

        opts = self.options()
        return "?" + urlencode(opts) if opts else ""

    def apply(self, messages: Sequence[Message], owner: str) -> tuple[Message, ...]:
        """The turns as the model gets them: the image count checked, the system turn added or merged."""
        n_images = sum(len(m.images) for m in messages)
        if self.max_images is not None and n_images > self.max_images:
            raise ModelCallError(
                f"{owner} takes at most {self.max_images} image(s) per prompt; the request has {n_images}"
            )
        turns = list(messages)
        if self.system_prompt is not None and not any(m.role == "system" for m in turns):
            turns.insert(0, Message("system", self.system_prompt))
        if self.merge_system and turns and turns[0].role == "system" and len(turns) > 1:
            system, first = turns[0], turns[1]
            merged = Message(first.role, f"{system.text}\n\n{first.text}", system.images + first.images)
            turns = [merged, *turns[2:]]
        return tuple(turns)


# ---------------------------------------------------------------------------------------------- model


class _Loaded:
    """The model and its processor/tokenizer, owned by the worker thread."""

    def __init__(self, model: Any, processor: Any, tokenizer: Any, multimodal: bool, notes: list[str]) -> None:
        self.model = model
        self.processor = processor  # None for text-only models
        self.tokenizer = tokenizer
        self.multimodal = multimodal
        self.notes = notes
        # a processor assembled without its video part renders its chat template through the tokenizer
        # (SmolVLM's own apply_chat_template reads video settings)
        self.template_via_tokenizer = getattr(processor, "_multitrust_no_video", False)
        # encoder-decoder LMs (InstructBLIP-T5) return only decoder tokens, which start with the start token
        self.encoder_decoder = is_encoder_decoder(model)
        # BLIP-style models cannot run without an image; their text-only prompts go to the LM alone
        self.images_required = getattr(model.config, "model_type", "") in _IMAGE_REQUIRED
        if self.images_required:
            notes.append("text-only prompts are answered by the language model alone (no query tokens)")


class HFChatModel(ChatModel):
    """A transformers chat model run locally with batched greedy decoding (see the module docstring).

    ``device`` is ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto`` (shard with accelerate's
    ``device_map="auto"``); by default CUDA when available, else the CPU. ``dtype`` ``auto`` means float32
    on the CPU and bfloat16 (float16 where unsupported) on a GPU. ``temperature`` in requests is ignored:
    decoding is always greedy, which is what makes the cache and batch-size invariance meaningful.
    """

    default_concurrency = 16

    def __init__(
        self,
        model_id: str,
        *,
        spec: str | None = None,
        device: str | None = None,
        dtype: str = "auto",
        batch_size: int = 8,
        max_image_side: int | None = None,
        trust_remote_code: bool = False,
        max_wait_ms: float = 5.0,
        max_images: int | None = None,
        image_placeholder: str | None = None,
        system_prompt: str | None = None,
        merge_system: bool = False,
        plain_prompt: bool = False,
    ) -> None:
        if dtype not in _DTYPES:
            raise SpecError(f"hf:{model_id}: dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        if batch_size < 1:
            raise SpecError(f"hf:{model_id}: batch_size must be >= 1, got {batch_size}")
        self.conventions = InputConventions(
            max_images=max_images,
            max_image_side=max_image_side,
            image_placeholder=image_placeholder,
            system_prompt=system_prompt,
            merge_system=bool(merge_system),
            plain_prompt=bool(plain_prompt),
        )
        self.conventions.check(f"hf:{model_id}")
        self.model_id = model_id
        self.spec = (spec or f"hf:{model_id}") + self.conventions.spec_suffix()
        self.device = device
        self.dtype = dtype
        self.batch_size = int(batch_size)
        self.max_image_side = max_image_side
        self.trust_remote_code = bool(trust_remote_code)
        self.default_concurrency = max(type(self).default_concurrency, 2 * self.batch_size)
        self.load_seconds: float | None = None
        self._handled: dict[str, set[str]] = {}  # how → image digests (image_handling)
        self.generated_tokens = 0
        self.generate_seconds = 0.0
        self._loaded: _Loaded | None = None
        self._load_error: BaseException | None = None
        self._load_lock = threading.Lock()
        self._batcher: MicroBatcher[Prompt, ModelReply] = MicroBatcher(
            self._run_batch, batch_size=self.batch_size, max_wait_s=max_wait_ms / 1000.0, thread_name="multitrust-hf"
        )

    # -- provenance

    def describe(self) -> dict[str, object]:
        info: dict[str, object] = {
            **super().describe(),
            "model": self.model_id,
            "device": self.device or "auto-detect",
            "dtype": self.dtype,
            "batch_size": self.batch_size,
            "max_image_side": self.max_image_side,
            "input_conventions": self.conventions.options(),
            "trust_remote_code": self.trust_remote_code,
            "decoding": "greedy",
        }
        if self._loaded is not None:
            import transformers

            info["transformers"] = transformers.__version__
            info["resolved_device"] = str(self._loaded.model.device)
            info["resolved_dtype"] = str(self._loaded.model.dtype).removeprefix("torch.")
            info["multimodal"] = self._loaded.multimodal
            if self._loaded.notes:
                info["notes"] = list(self._loaded.notes)
        return info

    def image_handling(self) -> ImageHandling | None:
        images = {how: sorted(digests) for how, digests in self._handled.items()}
        return {"max_image_side": self.max_image_side, "images": images} if images else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(spec={self.spec!r})"

    @property
    def batches_run(self) -> int:
        return self._batcher.batches

    # -- async API

    async def generate(self, request: Request) -> ModelReply:
        prompt = await self._prepare(request)
        return await self._batcher.submit(prompt)

    async def _prepare(self, request: Request) -> Prompt:
        """Hook for subclasses that rewrite the request (``builtin:tiny`` turns images into text here)."""
        return Prompt(self.conventions.apply(request.messages, self.spec), request.max_tokens)

    async def load(self) -> None:
        """Load the model now (in the worker thread) instead of on the first request; raises ModelCallError."""
        await self._batcher.call(self._ensure_loaded)

    async def aclose(self) -> None:
        """Free the model (and GPU memory) in the worker thread, then stop the thread. Safe to repeat; a
        later request loads the model again."""
        await self._batcher.close(self._unload)

    # -- worker thread: loading

    def _ensure_loaded(self) -> _Loaded:
        with self._load_lock:
            if self._loaded is not None:
                return self._loaded
            if self._load_error is not None:  # don't retry a failed load for every batch
                raise ModelCallError(f"{self.spec}: model failed to load: {one_line(self._load_error)}")
            start = time.perf_counter()
            try:
                self._loaded = self._load()
            except Exception as exc:
                self._load_error = exc
                raise ModelCallError(f"{self.spec}: model failed to load: {one_line(exc)}") from exc
            self.load_seconds = time.perf_counter() - start
            return self._loaded

    def _model_path(self) -> str:
        """Where ``from_pretrained`` reads from (subclasses point this at a converted cache)."""
        return self.model_id

    def _resolve_device_dtype(self) -> tuple[str | None, Any]:
        import torch

        device = self.device
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if self.dtype != "auto":
            return device, getattr(torch, self.dtype)
        if device == "cpu":
            return device, torch.float32
        if device.startswith("cuda") or device == "auto":
            if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
                return device, torch.bfloat16
            return device, torch.float16
        return device, torch.float32

    def _load(self) -> _Loaded:
        """Processor + image-text-to-text model when the config is a VLM, else tokenizer + causal LM."""
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText, AutoTokenizer
        from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

        quiet_transformers()
        path = self._model_path()
        remote = self.trust_remote_code
        device, dtype = self._resolve_device_dtype()
        config = AutoConfig.from_pretrained(path, trust_remote_code=remote)
        auto_map = getattr(config, "auto_map", None) or {}
        native = config.model_type in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES
        # remote-code VLMs are often causal LMs with a remote processor (Phi-3/3.5-vision): the processor's
        # auto_map is what says images go in
        multimodal = native or (remote and ("AutoModelForImageTextToText" in auto_map or _has_remote_processor(path)))
        notes: list[str] = []
        kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": remote}
        if device == "auto":
            kwargs["device_map"] = "auto"
        if multimodal:
            processor = self._load_processor(path, config, notes)
            tokenizer = processor.tokenizer
            if native or "AutoModelForImageTextToText" in auto_map:
                model = AutoModelForImageTextToText.from_pretrained(path, **kwargs)
            else:
                model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
                notes.append("remote-code VLM loaded as a causal LM with its remote processor")
        else:
            processor = None
            tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=remote)
            model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
        if device != "auto":
            model = model.to(device)
        model.eval()
        self._setup_padding(tokenizer, model)
        return _Loaded(model, processor, tokenizer, multimodal, notes)

    def _load_processor(self, path: str, config: Any, notes: list[str]) -> Any:
        from transformers import AutoProcessor

        try:
            return AutoProcessor.from_pretrained(path, trust_remote_code=self.trust_remote_code)
        except (
            ImportError,
            ValueError,
        ) as exc:  # InternVL's video processor says "requires torchvision" as a ValueError
            message = str(exc).lower()
            if "torchvision" not in message and (isinstance(exc, ValueError) or "video" not in message):
                raise
            processor = _processor_without_video(path, config, self.trust_remote_code)
            if processor is None:
                raise
            processor._multitrust_no_video = True
            notes.append("processor built without its video part (torchvision not importable)")
            return processor

    @staticmethod
    def _setup_padding(tokenizer: Any, model: Any) -> None:
        """Padding that keeps each row's answer independent of its batch companions, and a pad token.

        Decoder-only models pad on the left (generation appends on the right). Encoder-decoder models
        (InstructBLIP-T5) pad on the right: their processor puts the query-token placeholders in front of
        the already padded text, so left padding would put the pads *between* the image and the text and
        shift T5's relative positions — a short prompt's answer then changed with the longer prompts it was
        batched with."""
        tokenizer.padding_side = "right" if is_encoder_decoder(model) else "left"
        if tokenizer.pad_token_id is None:
            eos = tokenizer.eos_token or tokenizer.convert_ids_to_tokens(_first(model.generation_config.eos_token_id))
            tokenizer.pad_token = eos
        if model.generation_config.pad_token_id is None:
            model.generation_config.pad_token_id = tokenizer.pad_token_id

    def _unload(self) -> None:
        with self._load_lock:
            loaded, self._loaded, self._load_error = self._loaded, None, None
        if loaded is None:
            return
        del loaded
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover - torch went away
            pass

    # -- worker thread: generation

    def _run_batch(self, prompts: list[Prompt]) -> list[ModelReply | BaseException]:
        """One batch: load if needed, render and run; if the whole batch fails (a corrupt image, say),
        run its prompts one by one so only the culprit fails."""
        loaded = self._ensure_loaded()
        results: list[ModelReply | BaseException] = [ModelCallError("not run")] * len(prompts)
        runnable: list[int] = []
        for i, prompt in enumerate(prompts):
            if not loaded.multimodal and any(m.images for m in prompt.messages):
                n = sum(len(m.images) for m in prompt.messages)
                results[i] = ModelCallError(f"{self.spec} is a text-only model; the request has {n} image(s)")
            else:
                runnable.append(i)
        groups = [runnable]
        if loaded.images_required:  # image and text-only prompts take different generate calls
            with_images = [i for i in runnable if any(m.images for m in prompts[i].messages)]
            groups = [g for g in (with_images, [i for i in runnable if i not in with_images]) if g]
        for group in groups:
            self._run_group(prompts, group, loaded, results)
        return results

    def _run_group(
        self, prompts: list[Prompt], group: list[int], loaded: _Loaded, results: list[ModelReply | BaseException]
    ) -> None:
        try:
            replies = self._generate([prompts[i] for i in group], loaded)
            for i, reply in zip(group, replies, strict=True):
                results[i] = reply
        except Exception as exc:
            if len(group) == 1:
                results[group[0]] = ModelCallError(f"{self.spec}: generation failed: {one_line(exc)}")
                return
            for i in group:
                try:
                    results[i] = self._generate([prompts[i]], loaded)[0]
                except Exception as one:
                    results[i] = ModelCallError(f"{self.spec}: generation failed: {one_line(one)}")

    def _conversation(self, messages: Sequence[Message], multimodal: bool) -> list[dict[str, Any]]:
        """Chat-template input: multimodal templates take a list of parts (images first, as in the
        request), text-only templates a string; with an ``image_placeholder`` convention the images become
        numbered text tags before the message text and the content is a string."""
        if not multimodal:
            return [{"role": m.role, "content": m.text} for m in messages]
        placeholder = self.conventions.image_placeholder
        if placeholder is not None:
            out, n = [], 0
            for m in messages:
                tags = ""
                for _ in m.images:
                    n += 1
                    tags += placeholder.replace("{n}", str(n))
                out.append({"role": m.role, "content": tags + m.text})
            return out
        return [
            {"role": m.role, "content": [*({"type": "image"} for _ in m.images), {"type": "text", "text": m.text}]}
            for m in messages
        ]

    def _render(self, conversation: list[dict[str, Any]], loaded: _Loaded) -> str:
        if not loaded.multimodal:
            return loaded.tokenizer.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
        if loaded.template_via_tokenizer:
            return loaded.tokenizer.apply_chat_template(
                conversation,
                chat_template=loaded.processor.chat_template,
                add_generation_prompt=True,
                tokenize=False,
            )
        return loaded.processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)

    def _encode(self, prompts: list[Prompt], loaded: _Loaded) -> Any:
        plain = self.conventions.plain_prompt
        if plain:
            texts = ["\n\n".join(m.text for m in p.messages) for p in prompts]
        else:
            texts = [self._render(self._conversation(p.messages, loaded.multimodal), loaded) for p in prompts]
        # a chat template already wrote any BOS the model wants; a plain prompt gets the tokenizer's own
        refs = [im for p in prompts for m in p.messages for im in m.images]
        images = [load_pil(im, self.max_image_side) for im in refs]
        side = self.max_image_side
        for ref in refs:
            from multitrust.data.images import image_size

            shrunk = side is not None and max(image_size(ref.path)) > side
            how = f"downscaled to ≤{side} px (decoded)" if shrunk else "original pixels (decoded)"
            self._handled.setdefault(how, set()).add(ref.sha256)
        if not loaded.multimodal or (loaded.images_required and not images):
            return loaded.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=plain)
        return loaded.processor(
            text=texts, images=images or None, return_tensors="pt", padding=True, add_special_tokens=plain
        )

    def _generate(self, prompts: list[Prompt], loaded: _Loaded) -> list[ModelReply]:
        import torch

        model, tokenizer = loaded.model, loaded.tokenizer
        inputs = self._encode(prompts, loaded).to(model.device)
        if loaded.images_required and "pixel_values" not in inputs:
            model = model.language_model  # text-only prompt to a BLIP-style model (see _Loaded)
        if "pixel_values" in inputs and inputs["pixel_values"].is_floating_point():
            inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
        limits = [max(1, p.max_new_tokens) for p in prompts]
        # decoder-only models return prompt + new tokens; encoder-decoder ones the decoder start token + new
        prompt_len = 1 if loaded.encoder_decoder else int(inputs["input_ids"].shape[1])
        eos_ids = set(_as_list(model.generation_config.eos_token_id) or _as_list(tokenizer.eos_token_id))
        start = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(
                **inputs,
                max_new_tokens=max(limits),
                do_sample=False,
                num_beams=1,
                stopping_criteria=[_PerRowLimit(prompt_len, limits)],
                pad_token_id=tokenizer.pad_token_id,
            )
        self.generate_seconds += time.perf_counter() - start
        new_tokens = out[:, prompt_len:].tolist()
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        replies = []
        for row, limit, n_prompt in zip(new_tokens, limits, prompt_tokens, strict=True):
            row = row[:limit]
            finish = "length"
            for j, tok in enumerate(row):
                if tok in eos_ids:
                    row, finish = row[:j], "stop"
                    break
            self.generated_tokens += len(row)
            text = tokenizer.decode(row, skip_special_tokens=True)
            usage = {"prompt_tokens": int(n_prompt), "completion_tokens": len(row)}
            replies.append(ModelReply(text.strip(), finish, usage))
        return replies


class _PerRowLimit:
    """Stopping criterion that finishes each row at its own ``max_tokens``: a short request batched with a
    long one stops (and is padded) instead of generating tokens nobody asked for. transformers accepts any
    callable returning a per-row bool tensor."""

    def __init__(self, prompt_len: int, limits: list[int]) -> None:
        self.prompt_len = prompt_len
        self.limits = limits
        self._tensor: Any = None

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        if self._tensor is None or self._tensor.device != input_ids.device:
            self._tensor = torch.tensor(self.limits, device=input_ids.device)
        return (input_ids.shape[1] - self.prompt_len) >= self._tensor


def is_encoder_decoder(model: Any) -> bool:
    """Whether the model (or its language model, for VLMs) is an encoder-decoder (Flan-T5 in InstructBLIP)."""
    config = model.config
    return bool(getattr(config, "is_encoder_decoder", False)) or bool(
        getattr(getattr(config, "text_config", None), "is_encoder_decoder", False)
    )


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [int(v) for v in value]
    return [int(value)]


def _first(value: Any) -> int | None:
    values = _as_list(value)
    return values[0] if values else None


def _processor_without_video(path: str, config: Any, trust_remote_code: bool) -> Any:
    """The model's processor class assembled from its image processor and tokenizer, with no video
    processor (whose transformers 5 implementation needs torchvision). Only for processor classes whose
    constructor takes a ``video_processor``; returns None otherwise."""
    import inspect

    import transformers
    from transformers import AutoImageProcessor, AutoTokenizer
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING_NAMES
    from transformers.processing_utils import ProcessorMixin

    name = PROCESSOR_MAPPING_NAMES.get(config.model_type)
    cls = getattr(transformers, name, None) if isinstance(name, str) else None
    if cls is None or "video_processor" not in inspect.signature(cls.__init__).parameters:
        return None
    image_processor = AutoImageProcessor.from_pretrained(path, trust_remote_code=trust_remote_code)
    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    template = _read_chat_template(path) or getattr(tokenizer, "chat_template", None)
    # the processor's own settings (SmolVLM's image_seq_len, say): without them the image markup would not
    # match the number of image features the model produces
    accepted = set(inspect.signature(cls.__init__).parameters) - {
        "self",
        "image_processor",
        "tokenizer",
        "video_processor",
        "chat_template",
    }
    settings = {k: v for k, v in _read_json(path, "processor_config.json").items() if k in accepted}
    original = ProcessorMixin.check_argument_for_proper_class

    def lenient(self: Any, argument_name: str, argument: Any) -> Any:
        return None if argument is None else original(self, argument_name, argument)

    # the class-level check is swapped only around this constructor call, under a lock shared by all models
    with _PROCESSOR_PATCH_LOCK:
        ProcessorMixin.check_argument_for_proper_class = lenient  # type: ignore[method-assign]
        try:
            return cls(
                image_processor=image_processor,
                tokenizer=tokenizer,
                video_processor=None,
                chat_template=template,
                **settings,
            )
        finally:
            ProcessorMixin.check_argument_for_proper_class = original  # type: ignore[method-assign]


def _has_remote_processor(path: str) -> bool:
    """Whether the model directory wires an ``AutoProcessor`` class of its own (remote code)."""
    for filename in ("processor_config.json", "preprocessor_config.json"):
        auto_map = _read_json(path, filename).get("auto_map")
        if isinstance(auto_map, dict) and "AutoProcessor" in auto_map:
            return True
    return False


def _read_json(path: str, filename: str) -> dict[str, Any]:
    """A JSON object file of a local or hub model directory; empty when absent or not an object."""
    import json

    from transformers.utils import cached_file

    try:
        found = cached_file(path, filename, _raise_exceptions_for_missing_entries=False)
    except OSError:
        found = None
    if not found or not os.path.isfile(found):
        return {}
    value = json.loads(Path(found).read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


def _read_chat_template(path: str) -> str | None:
    """The processor-level chat template (``chat_template.jinja`` or ``chat_template.json``), local or hub."""
    import json

    from transformers.utils import cached_file

    for filename in ("chat_template.jinja", "chat_template.json"):
        try:
            found = cached_file(path, filename, _raise_exceptions_for_missing_entries=False)
        except OSError:
            found = None
        if not found or not os.path.isfile(found):
            continue
        text = Path(found).read_text(encoding="utf-8")
        if filename.endswith(".json"):
            value = json.loads(text).get("chat_template")
            return value if isinstance(value, str) else None
        return text
    return None
