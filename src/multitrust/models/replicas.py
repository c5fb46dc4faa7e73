"""Replicas of one model: ``openai-compat:http://gpu1:8000/v1,http://gpu2:8000/v1@model``.

Scale-out for served models happens here and only here — the harness sends requests to whichever server
is least busy; the servers (vLLM, SGLang) batch. Each request goes to the healthy replica with the fewest
outstanding requests; a replica whose call fails is backed off (exponentially, per replica) and the request
is tried on another one. A deterministic failure (a 4xx, an unusable image) is the same everywhere and is
raised at once. Which replica answered never enters the request hash: every replica serves the same
model, so the pool's spec — the first base URL and the model — is the identity of the answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from multitrust.core.errors import ModelCallError, SpecError
from multitrust.core.types import ModelReply, Request
from multitrust.models.base import ChatModel, ImageHandling, merge_image_handling


@dataclass
class Replica:
    """One endpoint of the pool and what it has done so far (recorded with the run)."""

    name: str
    model: ChatModel
    outstanding: int = 0
    requests: int = 0
    answered: int = 0
    errors: int = 0
    latency_sum_s: float = 0.0
    consecutive_failures: int = 0
    backoff_until: float = 0.0
    last_error: str | None = None

    def stats(self) -> dict[str, object]:
        return {
            "replica": self.name,
            "requests": self.requests,
            "answered": self.answered,
            "errors": self.errors,
            "mean_latency_s": round(self.latency_sum_s / self.answered, 4) if self.answered else None,
            "last_error": self.last_error,
        }


def _hopeless(model: ChatModel, request: Request, cause: str, since: float | None) -> bool:
    """Whether the replica's fail fast stopped this kind of request or suspects the cause is deterministic."""
    if getattr(model, "refuses", lambda _: False)(request):
        return True
    suspects = getattr(model, "suspects", None)
    return since is not None and suspects is not None and suspects(request, cause, since)


class ReplicaPool(ChatModel):
    """Least-outstanding-requests routing over several adapters of the same model, with per-replica
    backoff and fail-over. ``max_attempts`` bounds the attempts of one request over all replicas."""

    def __init__(
        self,
        replicas: Sequence[tuple[str, ChatModel]],
        *,
        spec: str,
        max_attempts: int = 7,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
    ) -> None:
        if len(replicas) < 2:
            raise SpecError(f"{spec}: a replica pool needs at least two base URLs")
        if max_attempts < 1:
            raise SpecError(f"{spec}: max_attempts must be >= 1")
        self.spec = spec
        self.replicas = [Replica(name, model) for name, model in replicas]
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.default_concurrency = sum(r.model.default_concurrency for r in self.replicas)
        self.per_sample = False

    def _pick(self, now: float, live: list[Replica]) -> Replica | None:
        """The healthy replica with the fewest outstanding requests (ties: fewest sent so far), or None
        when every replica is backing off."""
        healthy = [r for r in live if r.backoff_until <= now]
        if not healthy:
            return None
        return min(healthy, key=lambda r: (r.outstanding, r.requests))

    def _live(self, request: Request) -> list[Replica]:
        """Replicas whose fail fast has not stopped this kind of request (empty when every one has)."""
        return [r for r in self.replicas if not getattr(r.model, "refuses", lambda _: False)(request)]

    async def generate(self, request: Request) -> ModelReply:
        last: ModelCallError | None = None
        causes: dict[str, list[Replica]] = {}
        first_failed: float | None = None
        for attempt in range(1, self.max_attempts + 1):
            now = time.monotonic()
            live = self._live(request)
            if not live:  # every replica stopped this kind of request: its error, raised without sending
                return await self.replicas[0].model.generate(request)
            replica = self._pick(now, live)
            if replica is None:  # all backing off: wait for the first one to come back
                soonest = min(live, key=lambda r: r.backoff_until)
                await asyncio.sleep(max(0.0, soonest.backoff_until - now))
                replica = soonest
            replica.outstanding += 1
            replica.requests += 1
            t0 = time.perf_counter()
            try:
                reply = await replica.model.generate(request)
            except ModelCallError as exc:
                last = exc
                self._failed(replica, exc)
                if not exc.retryable:
                    raise ModelCallError(
                        f"{exc} (replica {replica.name}; not retried: the same on every replica)",
                        attempts=attempt,
                        retryable=False,
                        cause=exc.cause,
                    ) from None
                if exc.cause is not None and exc.cause in causes:  # the same deterministic error again
                    involved = [*causes[exc.cause], replica]
                    for r in involved:  # confirmed: fail fast counts it on those replicas
                        confirm = getattr(r.model, "confirm_failure", None)
                        if confirm is not None:
                            confirm(request, exc.cause, first_failed)
                    if any(_hopeless(r.model, request, exc.cause, first_failed) for r in involved):
                        raise ModelCallError(
                            f"{exc} (the same error as other requests; not retried on other replicas)",
                            attempts=attempt,
                            retryable=False,
                            cause=exc.cause,
                        ) from None
                if exc.cause is not None:
                    causes.setdefault(exc.cause, []).append(replica)
                    first_failed = first_failed if first_failed is not None else time.monotonic()
                if attempt < self.max_attempts and self.on_retry is not None:
                    self.on_retry(request, attempt, f"replica {replica.name}: {exc}")
                continue
            finally:
                replica.outstanding -= 1
            replica.answered += 1
            replica.latency_sum_s += time.perf_counter() - t0
            replica.consecutive_failures = 0
            replica.backoff_until = 0.0
            reply.attempts = attempt
            return reply
        assert last is not None
        raise ModelCallError(
            f"{last} (gave up after {self.max_attempts} attempts over {len(self.replicas)} replicas)",
            attempts=self.max_attempts,
            retryable=True,
        )

    def _failed(self, replica: Replica, exc: ModelCallError) -> None:
        replica.errors += 1
        replica.last_error = str(exc)[:300]
        if exc.retryable:
            replica.consecutive_failures += 1
            delay = min(self.backoff_max, self.backoff_base * 2 ** (replica.consecutive_failures - 1))
            replica.backoff_until = time.monotonic() + delay

    def replica_stats(self) -> list[dict[str, object]]:
        """Per replica: requests sent, answered, errors, mean latency of answered calls, last error."""
        return [r.stats() for r in self.replicas]

    def image_handling(self) -> ImageHandling | None:
        return merge_image_handling(r.model.image_handling() for r in self.replicas)

    def describe(self) -> dict[str, object]:
        return {
            "spec": self.spec,
            "class": type(self).__name__,
            "replicas": [r.name for r in self.replicas],
            "max_attempts": self.max_attempts,
        }

    async def aclose(self) -> None:
        for r in self.replicas:
            await r.model.aclose()
