"""Fault injection: latency, random errors, outages and a rate limit before a sandbox service."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from crossdock.sandbox.clock import Clock
from crossdock.sandbox.rate_limit import TokenBucket
from crossdock.sandbox.traffic import TrafficStats

SANDBOX_PREFIX = "/_sandbox"
# A wait computed as 1.0000000001 s must still read `Retry-After: 1`.
_EPSILON = 1e-9


class OutageWindow(BaseModel):
    """A period during which the service answers 503 to everything but `/_sandbox/*`."""

    model_config = ConfigDict(extra="forbid")

    start_s: float = Field(ge=0, description="Seconds after the service started.")
    duration_s: float = Field(gt=0, description="How long the outage lasts, in seconds.")


class FaultConfig(BaseModel):
    """Faults every sandbox service can inject. Subclasses add their own."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: float = Field(0, ge=0, description="Fixed latency added to each request.")
    latency_jitter_ms: float = Field(
        0, ge=0, description="Extra latency drawn uniformly from [0, jitter] per request."
    )
    error_rate: float = Field(
        0, ge=0, le=1, description="Probability of answering 503 with `Retry-After: 1`."
    )
    outages: list[OutageWindow] = Field(
        default_factory=list, description="Windows, relative to start, answering 503."
    )
    unavailable_until: AwareDatetime | None = Field(
        None,
        description="An outage on demand: until this instant (on the service's clock) every "
        "business request answers 503 with the seconds left in `Retry-After`. "
        '`POST /_sandbox/outage {"duration_s": N}` sets it to now + N; None = no such outage.',
    )
    rate_limit_per_s: float = Field(
        0,
        ge=0,
        description="Token-bucket rate: business requests admitted per second on average; "
        "above it, 429 with `Retry-After` (whole seconds) and `X-RateLimit-Reset-After` "
        "(fractional seconds). 0 = unlimited.",
    )
    rate_limit_burst: int = Field(
        1,
        ge=1,
        description="Bucket size: requests admitted back to back after a quiet spell before "
        "the rate applies. The bucket starts full and is refilled when the limit changes.",
    )


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """A business request the fault gate turned away before its handler saw it."""

    status: int
    detail: str
    retry_after_s: float

    def headers(self) -> dict[str, str]:
        """`Retry-After` in whole seconds (RFC 9110: at least 1, rounded up); on a 429 also
        `X-RateLimit-Reset-After` with the exact fractional wait."""
        headers = {"Retry-After": str(max(1, math.ceil(self.retry_after_s - _EPSILON)))}
        if self.status == 429:
            headers["X-RateLimit-Reset-After"] = f"{self.retry_after_s:.3f}"
        return headers


def unavailable(retry_after_s: float = 1, detail: str = "service unavailable") -> Refusal:
    return Refusal(status=503, detail=detail, retry_after_s=retry_after_s)


def rate_limited(retry_after_s: float) -> Refusal:
    return Refusal(status=429, detail="rate limit exceeded", retry_after_s=retry_after_s)


class FaultInjector:
    """Decides, per request, whether a service misbehaves. Seeded, so runs are reproducible.

    The gate runs in this order: an outage (on demand, then windows) answers 503; the rate
    limit takes a token or answers 429; latency is added; `error_rate` answers 503. A request
    refused with 503 by `error_rate` has used its token, as behind a real API gateway.
    """

    def __init__(self, faults: FaultConfig, *, seed: int, clock: Clock) -> None:
        self.rng = random.Random(f"faults:{seed}")
        self._clock = clock
        self.started_at: datetime = clock.now()
        self.stats = TrafficStats(self.started_at)
        self._faults = faults
        self._bucket = self._new_bucket(faults)

    @property
    def faults(self) -> FaultConfig:
        return self._faults

    @faults.setter
    def faults(self, faults: FaultConfig) -> None:
        old, self._faults = self._faults, faults
        limit = (faults.rate_limit_per_s, faults.rate_limit_burst)
        if limit != (old.rate_limit_per_s, old.rate_limit_burst):
            self._bucket = self._new_bucket(faults)

    def _new_bucket(self, faults: FaultConfig) -> TokenBucket:
        return TokenBucket(faults.rate_limit_per_s, faults.rate_limit_burst, now=self._clock.now())

    def mark_started(self) -> None:
        self.started_at = self._clock.now()
        self.stats.reset(self.started_at)
        self._bucket = self._new_bucket(self._faults)

    def elapsed_s(self) -> float:
        return (self._clock.now() - self.started_at).total_seconds()

    def chance(self, rate: float) -> bool:
        """True with probability `rate`; draws nothing when the rate is zero."""
        return rate > 0 and self.rng.random() < rate

    def outage_left_s(self) -> float | None:
        """Seconds left of the current outage (on demand or a window), or None when up."""
        faults = self._faults
        now = self._clock.now()
        left: list[float] = []
        if faults.unavailable_until is not None and now < faults.unavailable_until:
            left.append((faults.unavailable_until - now).total_seconds())
        elapsed = (now - self.started_at).total_seconds()
        left.extend(
            w.start_s + w.duration_s - elapsed
            for w in faults.outages
            if w.start_s <= elapsed < w.start_s + w.duration_s
        )
        return max(left) if left else None

    async def admit(self, _scope: Scope) -> Refusal | None:
        """Return a refusal to send instead of handling the request, or None to go on."""
        faults = self._faults
        self.stats.received()
        outage_left = self.outage_left_s()
        if outage_left is not None:
            self.stats.refused_unavailable()
            return unavailable(outage_left, "outage")
        wait = self._bucket.take(self._clock.now())
        if wait is not None:
            self.stats.refused_rate_limited()
            return rate_limited(wait)
        delay_ms = faults.latency_ms
        if faults.latency_jitter_ms > 0:
            delay_ms += self.rng.uniform(0, faults.latency_jitter_ms)
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)
        if self.chance(faults.error_rate):
            self.stats.refused_unavailable()
            return unavailable(1, "injected error")
        self.stats.admit(self._clock.now())
        return None


Gate = Callable[[Scope], Awaitable[Response | None]]


class FaultMiddleware:
    """ASGI middleware asking a gate before each business request; `/_sandbox/*` is exempt."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app = app
        self._gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not str(scope["path"]).startswith(SANDBOX_PREFIX):
            refusal = await self._gate(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
