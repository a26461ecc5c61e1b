"""The app factory: one FastAPI app serving the partner API, the operator API and whatever
routers the estate adds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from crossdock.integration.access.store import AccessStore
from crossdock.integration.api.audit import AuditMiddleware
from crossdock.integration.api.auth import AuthenticationMiddleware
from crossdock.integration.api.bindings import bindings_router
from crossdock.integration.api.exceptions import exceptions_router
from crossdock.integration.api.idempotency import IdempotencyMiddleware
from crossdock.integration.api.idempotency_store import IdempotencyStore
from crossdock.integration.api.inventory import inventory_router
from crossdock.integration.api.masterdata import masterdata_router
from crossdock.integration.api.oauth import oauth_router
from crossdock.integration.api.orders import orders_router
from crossdock.integration.api.partners import partners_router
from crossdock.integration.api.problems import install_problem_handlers
from crossdock.integration.api.rate_limits import RateLimitMiddleware, RateLimitPolicy
from crossdock.integration.api.request_guards import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_TIMEOUT_S,
    BodySizeLimitMiddleware,
    RequestTimeoutMiddleware,
)
from crossdock.integration.api.systems import systems_router
from crossdock.orchestration.exception_desk import ExceptionDesk
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.system_desk import SystemsDesk

API_PREFIX = "/api/v1"
"""Where version 1 of the partner API lives (OpenAPI 3.1 at ``/api/v1/openapi.json``)."""


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]
"""What runs around the app's life (start the runtime, close the store)."""


class Health(BaseModel):
    """The answer of ``/healthz``."""

    status: str = "ok"


def create_app(
    *,
    desk: OrderDesk,
    access: AccessStore,
    exceptions: ExceptionDesk | None = None,
    systems: SystemsDesk | None = None,
    routers: Sequence[APIRouter] = (),
    rate_limits: RateLimitPolicy | None = None,
    idempotency: IdempotencyStore | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    request_timeout_s: float = DEFAULT_TIMEOUT_S,
    title: str = "crossdock",
    version: str = "1",
    lifespan: Lifespan | None = None,
) -> FastAPI:
    """An app serving the order API under :data:`API_PREFIX`, ``GET /healthz`` and ``routers``.

    With ``exceptions`` it also serves the exception queue (``/exceptions``, ``/replays``), with
    ``systems`` the systems (``/systems``), both under :data:`API_PREFIX`. ``routers`` (storefront
    and warehouse webhooks …) are mounted as they are: each router carries its own paths. Every
    error is answered as RFC 9457 problem+json.

    ``access`` holds the partners and keys every ``/api/v1`` route but ``/oauth/token`` checks
    (see :mod:`.auth`); ``rate_limits``, ``max_body_bytes`` and ``request_timeout_s`` bound what
    one caller may consume (:mod:`.rate_limits`, :mod:`.request_guards`).
    """
    app = FastAPI(
        title=title,
        version=version,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        swagger_ui_oauth2_redirect_url=f"{API_PREFIX}/docs/oauth2-redirect",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.desk = desk
    app.state.clock = desk.clock
    app.state.access = access
    app.state.exceptions = exceptions
    app.state.systems = systems
    install_problem_handlers(app)
    app.include_router(orders_router(API_PREFIX), prefix=API_PREFIX)
    app.include_router(bindings_router(), prefix=API_PREFIX)
    app.include_router(partners_router(), prefix=API_PREFIX)
    app.include_router(oauth_router(), prefix=API_PREFIX)
    app.include_router(masterdata_router(), prefix=API_PREFIX)
    app.include_router(inventory_router(), prefix=API_PREFIX)
    if exceptions is not None:
        app.include_router(exceptions_router(), prefix=API_PREFIX)
    if systems is not None:
        app.include_router(systems_router(), prefix=API_PREFIX)
    for router in routers:
        app.include_router(router)
    # Starlette runs the middleware added last outermost. From the outside in: the body size
    # limit, authentication, the audit, the rate limit, idempotency keys, the timeout, the route.
    app.add_middleware(RequestTimeoutMiddleware, timeout_s=request_timeout_s)
    app.add_middleware(
        IdempotencyMiddleware,
        store=idempotency or IdempotencyStore(access.engine),
        clock=access.clock,
        prefix=API_PREFIX,
    )
    app.add_middleware(RateLimitMiddleware, policy=rate_limits or RateLimitPolicy())
    app.add_middleware(AuditMiddleware, access=access)
    app.add_middleware(AuthenticationMiddleware, access=access, prefix=API_PREFIX)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> Health:
        """The process is up and serving."""
        return Health()

    return app
