"""SandboxService: what every sandbox system shares (database, ledger, faults, `/_sandbox/*`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Scope

from crossdock.sandbox.catalog import Catalog, seed_catalog
from crossdock.sandbox.clock import Clock, SystemClock
from crossdock.sandbox.database import MEMORY, SandboxDatabase
from crossdock.sandbox.faults import FaultConfig, FaultInjector, FaultMiddleware, Refusal
from crossdock.sandbox.ledger import Ledger

ModelT = TypeVar("ModelT", bound=BaseModel)


class InvalidRequest(Exception):
    """The request cannot be accepted; `field` names the offending field (dotted path)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


async def read_model(request: Request, model: type[ModelT]) -> ModelT:
    """Parse the JSON body into `model`, raising InvalidRequest naming the first bad field."""
    try:
        payload = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest("body is not valid JSON", None, 400) from exc
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise InvalidRequest(first["msg"], field) from exc


class _OutageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duration_s: float = Field(gt=0, allow_inf_nan=False)


class SandboxService(ABC):
    """Base of every sandbox system: one SQLite database, a ledger, faults and `/_sandbox/*`.

    Subclasses set `name`, pass their fault model and implement `routes()`; they may extend
    `start()`/`stop()` for background loops, `gate()` for service-specific refusals and
    `render_refusal()` for the shape of a fault's 429/503.
    """

    name: ClassVar[str]

    def __init__(
        self,
        *,
        seed: int,
        faults: FaultConfig,
        db_path: str | Path = MEMORY,
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.seed = seed
        self.db = SandboxDatabase(db_path)
        self.ledger = Ledger(self.db)
        self.catalog: Catalog = seed_catalog(seed)
        self.injector = FaultInjector(faults, seed=seed, clock=self.clock)
        self.running = False
        starlette = Starlette(
            routes=[*self._sandbox_routes(), *self.routes()],
            exception_handlers={InvalidRequest: self._invalid_request},
            lifespan=self._lifespan,
        )
        self.app: ASGIApp = FaultMiddleware(starlette, self.gate)

    # -- to be provided by each system -------------------------------------------------------

    @abstractmethod
    def routes(self) -> list[BaseRoute]:
        """The system's own HTTP routes (the ``/_sandbox`` ones are added for every system)."""

    def render_invalid(self, error: InvalidRequest) -> Response:
        """How this system words a refusal; the legacy shape by default."""
        return JSONResponse({"error": error.message, "field": error.field}, error.status)

    def render_refusal(self, refusal: Refusal) -> Response:
        """How this system words a fault's 429 or 503; `{"error"}` by default."""
        return JSONResponse({"error": refusal.detail}, refusal.status, headers=refusal.headers())

    async def gate(self, scope: Scope) -> Response | None:
        """Refuse a business request before it is handled (faults), or None to go on."""
        refusal = await self.injector.admit(scope)
        return None if refusal is None else self.render_refusal(refusal)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def faults(self) -> FaultConfig:
        return self.injector.faults

    async def start(self) -> None:
        """Start background work; outage windows count from here."""
        self.injector.mark_started()
        self.running = True

    async def stop(self) -> None:
        self.running = False

    def close(self) -> None:
        """Close the database; call after `stop()` when the service is no longer needed."""
        self.db.close()

    @asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    # -- /_sandbox/* -------------------------------------------------------------------------

    def ledger_snapshot(self) -> dict[str, Any]:
        return {"system": self.name, "documents": self.ledger.documents()}

    def _sandbox_routes(self) -> list[BaseRoute]:
        return [
            Route("/_sandbox/health", self._health, methods=["GET"]),
            Route("/_sandbox/ledger", self._ledger, methods=["GET"]),
            Route("/_sandbox/faults", self._get_faults, methods=["GET"]),
            Route("/_sandbox/faults", self._put_faults, methods=["PUT"]),
            Route("/_sandbox/outage", self._start_outage, methods=["POST"]),
            Route("/_sandbox/outage", self._end_outage, methods=["DELETE"]),
            Route("/_sandbox/stats", self._stats, methods=["GET"]),
            Route("/_sandbox/stats/reset", self._reset_stats, methods=["POST"]),
        ]

    async def _health(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "system": self.name,
                "status": "ok",
                "running": self.running,
                "uptime_s": round(self.injector.elapsed_s(), 3),
            }
        )

    async def _ledger(self, _request: Request) -> Response:
        return JSONResponse(self.ledger_snapshot())

    async def _get_faults(self, _request: Request) -> Response:
        return JSONResponse(self.faults.model_dump(mode="json"))

    async def _put_faults(self, request: Request) -> Response:
        """Change faults at runtime; fields left out keep their current value."""
        try:
            changes = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise InvalidRequest("body is not valid JSON", None, 400) from exc
        if not isinstance(changes, dict):
            raise InvalidRequest("expected a JSON object", None)
        merged = {**self.faults.model_dump(), **changes}
        try:
            self.injector.faults = type(self.faults).model_validate(merged)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InvalidRequest(first["msg"], ".".join(map(str, first["loc"]))) from exc
        self.faults_changed()
        return JSONResponse(self.faults.model_dump(mode="json"))

    async def _start_outage(self, request: Request) -> Response:
        """Answer 503 to every business request from now on, for `duration_s` seconds."""
        outage = await read_model(request, _OutageIn)
        until = self.clock.now() + timedelta(seconds=outage.duration_s)
        self.injector.faults = self.faults.model_copy(update={"unavailable_until": until})
        return JSONResponse({"unavailable_until": until.isoformat()})

    async def _end_outage(self, _request: Request) -> Response:
        """End an outage started on demand (outage windows are left alone)."""
        self.injector.faults = self.faults.model_copy(update={"unavailable_until": None})
        return JSONResponse({"unavailable_until": None})

    async def _stats(self, _request: Request) -> Response:
        return JSONResponse({"system": self.name, **self.injector.stats.snapshot()})

    async def _reset_stats(self, _request: Request) -> Response:
        self.injector.stats.reset(self.clock.now())
        return JSONResponse({"system": self.name, **self.injector.stats.snapshot()})

    def faults_changed(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Hook for systems that derive state from their faults (e.g. price drift)."""

    async def _invalid_request(self, _request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InvalidRequest)
        return self.render_invalid(exc)
