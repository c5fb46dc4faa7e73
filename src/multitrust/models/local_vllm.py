"""vLLM offline engine (``vllm:<hub id or local path>``), for GPUs.

Why: vLLM's continuous batching is the fastest way to push a whole benchmark through an open model on a
GPU, but only if it is handed many prompts at once. The runner calls ``generate`` once per request, so
requests are collected by the same :class:`~multitrust.models.local_hf.MicroBatcher` as the HF adapter
(large batches, a slightly longer collection window) and each batch goes to one ``LLM.chat`` call in a
single worker thread, with one ``SamplingParams(temperature=0, max_tokens=...)`` per request. Images are
sent as base64 data-URL ``image_url`` parts, the format vLLM's chat API shares with the OpenAI API, and
are encoded once per image content. ``limit_mm_per_prompt`` defaults to what the benchmark's prompts need
(:data:`~multitrust.models.routes.IMAGES_PER_PROMPT`, one image), which lets vLLM size its multimodal
profiling for one image instead of several.

For serving instead (``vllm serve``), use ``openai-compat:http://host:8000/v1@<model>``.
vllm is imported lazily in the worker thread; building the adapter without vllm installed is a SpecError
(raised by the registry builder).
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.types import Request
from multitrust.models.base import ChatModel, ImageHandling
from multitrust.models.local_hf import MicroBatcher
from multitrust.models.remote import ImageCache, chat_messages, data_url_cache, one_line
from multitrust.models.routes import IMAGES_PER_PROMPT

__all__ = ["VLLMChatModel", "serve_command"]

_FINISH = {"stop": "stop", "length": "length", "abort": "error"}


class VLLMChatModel(ChatModel):
    """A model served in-process by ``vllm.LLM`` (see the module docstring). Decoding is greedy."""

    default_concurrency = 256

    def __init__(
        self,
        model_id: str,
        *,
        spec: str | None = None,
        seed: int = 0,
        tensor_parallel_size: int = 1,
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
        dtype: str = "auto",
        batch_size: int = 256,
        max_image_side: int | None = None,
        max_images_per_prompt: int = IMAGES_PER_PROMPT,
        trust_remote_code: bool = False,
        enforce_eager: bool = False,
        max_wait_ms: float = 50.0,
        hf_architecture: str | None = None,
    ) -> None:
        if tensor_parallel_size < 1:
            raise SpecError(f"vllm:{model_id}: tensor_parallel_size must be >= 1, got {tensor_parallel_size}")
        if not 0.0 < gpu_memory_utilization <= 1.0:
            raise SpecError(f"vllm:{model_id}: gpu_memory_utilization must be in (0, 1], got {gpu_memory_utilization}")
        if batch_size < 1:
            raise SpecError(f"vllm:{model_id}: batch_size must be >= 1, got {batch_size}")
        if max_images_per_prompt < 1:
            raise SpecError(f"vllm:{model_id}: max_images_per_prompt must be >= 1, got {max_images_per_prompt}")
        if max_image_side is not None and max_image_side < 1:
            raise SpecError(f"vllm:{model_id}: max_image_side must be >= 1, got {max_image_side}")
        self.model_id = model_id
        # downscaling changes the answers, so it is part of the spec (and with it the cache keys)
        self.spec = (spec or f"vllm:{model_id}") + (f"?max_image_side={max_image_side}" if max_image_side else "")
        self.engine_args: dict[str, Any] = {
            "model": model_id,
            "tensor_parallel_size": int(tensor_parallel_size),
            "gpu_memory_utilization": float(gpu_memory_utilization),
            "dtype": dtype,
            "seed": int(seed),
            "trust_remote_code": bool(trust_remote_code),
            "enforce_eager": bool(enforce_eager),
            "limit_mm_per_prompt": {"image": int(max_images_per_prompt)},
        }
        if max_model_len is not None:
            self.engine_args["max_model_len"] = int(max_model_len)
        if hf_architecture:  # checkpoints whose config names no vLLM architecture (DeepSeek-VL2)
            self.engine_args["hf_overrides"] = {"architectures": [hf_architecture]}
        self.batch_size = int(batch_size)
        self.max_image_side = max_image_side
        self.default_concurrency = max(type(self).default_concurrency, self.batch_size)
        self.load_seconds: float | None = None
        self._llm: Any = None
        self._load_error: BaseException | None = None
        self._lock = threading.Lock()
        self._batcher: MicroBatcher[tuple[list[dict[str, Any]], int], Any] = MicroBatcher(
            self._run_batch, batch_size=self.batch_size, max_wait_s=max_wait_ms / 1000.0, thread_name="multitrust-vllm"
        )
        self._images: ImageCache[str] | None = None

    def describe(self) -> dict[str, object]:
        info: dict[str, object] = {
            **super().describe(),
            **{k: v for k, v in self.engine_args.items() if k != "model"},
            "model": self.model_id,
            "batch_size": self.batch_size,
            "max_image_side": self.max_image_side,
            "decoding": "greedy",
        }
        if self._llm is not None:
            import vllm

            info["vllm"] = vllm.__version__
        return info

    def image_handling(self) -> ImageHandling | None:
        handled = self._images.handled if self._images is not None else {}
        images = {how: sorted(digests) for how, digests in handled.items()}
        return {"max_image_side": self.max_image_side, "images": images} if images else None

    def __repr__(self) -> str:
        return f"VLLMChatModel(spec={self.spec!r})"

    # -- async side

    async def _messages(self, request: Request) -> list[dict[str, Any]]:
        if self._images is None:
            self._images = data_url_cache(self.max_image_side)  # the OpenAI adapter's LRU of data URLs
        return await chat_messages(request.messages, self._images)

    async def generate(self, request: Request) -> Any:
        try:
            messages = await self._messages(request)
        except OSError as exc:
            raise ModelCallError(f"{self.spec}: cannot read image: {' '.join(str(exc).split())}") from exc
        return await self._batcher.submit((messages, max(1, request.max_tokens)))

    async def load(self) -> None:
        """Start the engine now (it otherwise starts on the first request)."""
        await self._batcher.call(self._ensure_engine)

    async def aclose(self) -> None:
        await self._batcher.close(self._shutdown_engine)

    # -- worker thread

    def _ensure_engine(self) -> Any:
        with self._lock:
            if self._llm is not None:
                return self._llm
            if self._load_error is not None:
                raise ModelCallError(f"{self.spec}: engine failed to start: {one_line(self._load_error)}")
            start = time.perf_counter()
            try:
                from vllm import LLM

                self._llm = LLM(**self.engine_args)
            except Exception as exc:
                self._load_error = exc
                raise ModelCallError(f"{self.spec}: engine failed to start: {one_line(exc)}") from exc
            self.load_seconds = time.perf_counter() - start
            return self._llm

    def _run_batch(self, items: list[tuple[list[dict[str, Any]], int]]) -> list[Any]:
        from vllm import SamplingParams

        from multitrust.core.types import ModelReply

        llm = self._ensure_engine()
        params = [SamplingParams(temperature=0.0, max_tokens=n) for _, n in items]
        try:
            outputs = llm.chat([m for m, _ in items], params, use_tqdm=False)
        except Exception as exc:
            if len(items) == 1:
                return [ModelCallError(f"{self.spec}: generation failed: {one_line(exc)}")]
            return [r for item in items for r in self._run_batch([item])]  # isolate the failing prompt
        replies: list[Any] = []
        for out in outputs:
            completion = out.outputs[0]
            usage = {"prompt_tokens": len(out.prompt_token_ids or []), "completion_tokens": len(completion.token_ids)}
            finish = _FINISH.get(str(completion.finish_reason), completion.finish_reason)
            replies.append(ModelReply(completion.text.strip(), finish, usage))
        return replies

    def _shutdown_engine(self) -> None:
        with self._lock:
            llm, self._llm, self._load_error = self._llm, None, None
        if llm is None:
            return
        try:  # vLLM's own cleanup (name differs across versions)
            from vllm.distributed.parallel_state import destroy_distributed_environment, destroy_model_parallel

            destroy_model_parallel()
            destroy_distributed_environment()
        except Exception:  # pragma: no cover - best effort
            pass
        del llm
        gc.collect()
        try:
            import torch

            torch.cuda.empty_cache()
        except Exception:  # pragma: no cover
            pass


def serve_command(
    model: str,
    *,
    port: int = 8000,
    host: str = "127.0.0.1",
    max_images_per_prompt: int = IMAGES_PER_PROMPT,
    max_model_len: int | None = None,
    gpu_memory_utilization: float | None = None,
    trust_remote_code: bool = False,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The ``vllm serve`` command line for a model that ``openai-compat:http://host:port/v1@<model>`` then
    reaches, with ``--limit-mm-per-prompt`` set from what the benchmark's prompts need (one image)."""
    import json
    import sys

    argv = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model, "--host", host]
    argv += ["--port", str(port), "--limit-mm-per-prompt", json.dumps({"image": int(max_images_per_prompt)})]
    if max_model_len is not None:
        argv += ["--max-model-len", str(max_model_len)]
    if gpu_memory_utilization is not None:
        argv += ["--gpu-memory-utilization", str(gpu_memory_utilization)]
    if trust_remote_code:
        argv.append("--trust-remote-code")
    return [*argv, *extra]
