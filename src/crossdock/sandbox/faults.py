"""Fault injection: latency, random errors and outage windows in front of a sandbox service."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from crossdock.sandbox.clock import Clock

SANDBOX_PREFIX = "/_sandbox"


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


Gate = Callable[[Scope], Awaitable[Response | None]]


def unavailable(retry_after_s: float = 1, detail: str = "service unavailable") -> Response:
    return JSONResponse(
        {"error": detail},
        status_code=503,
        headers={"Retry-After": str(max(1, math.ceil(retry_after_s)))},
    )


class FaultInjector:
    """Decides, per request, whether a service misbehaves. Seeded, so runs are reproducible."""

    def __init__(self, faults: FaultConfig, *, seed: int, clock: Clock) -> None:
        self.faults = faults
        self.rng = random.Random(f"faults:{seed}")
        self._clock = clock
        self.started_at: datetime = clock.now()

    def mark_started(self) -> None:
        self.started_at = self._clock.now()

    def elapsed_s(self) -> float:
        return (self._clock.now() - self.started_at).total_seconds()

    def chance(self, rate: float) -> bool:
        """True with probability `rate`; draws nothing when the rate is zero."""
        return rate > 0 and self.rng.random() < rate

    async def admit(self, scope: Scope) -> Response | None:
        """Return a refusal to send instead of handling the request, or None to go on."""
        faults = self.faults
        elapsed = self.elapsed_s()
        for window in faults.outages:
            if window.start_s <= elapsed < window.start_s + window.duration_s:
                return unavailable(window.start_s + window.duration_s - elapsed, "outage")
        delay_ms = faults.latency_ms
        if faults.latency_jitter_ms > 0:
            delay_ms += self.rng.uniform(0, faults.latency_jitter_ms)
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)
        if self.chance(faults.error_rate):
            return unavailable(1, "injected error")
        return None


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
