"""Authentication and scopes: who is calling, and whether their key or token allows the route.

:class:`AuthenticationMiddleware` reads the credential (``Authorization: Bearer <key or token>``
or ``X-API-Key: <key>``) once per request, asks the access store who it belongs to, and leaves
the answer in the request's state, so the rate limiter and the idempotency records below it key
on the partner and key, not on a header anyone can write. Routes declare what they need with
:func:`require`; a route with no such dependency is public (``/healthz``) or authenticates its
own way (signed webhooks, AS2).

Failures answer 401 (no credential, or one not accepted: ``WWW-Authenticate: Bearer``) or 403
(accepted, but without the scope the route needs). The 401 never says whether a key exists,
is revoked or has expired; the audit log does, for admins.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import APIKeyHeader, HTTPBearer, OAuth2
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from crossdock.core.errors import RetryableError
from crossdock.integration.access.principal import SCOPE_DESCRIPTIONS, Principal, Scope
from crossdock.integration.access.records import AuthenticationFailed
from crossdock.integration.access.store import AccessStore
from crossdock.integration.api.problems import ApiProblem, problem_response

log = logging.getLogger("crossdock.api.auth")

TOKEN_PATH = "/api/v1/oauth/token"
"""Where OAuth2 clients exchange their key for an access token (client credentials)."""

PRINCIPAL = "principal"
"""The request-state attribute holding the authenticated :class:`Principal`."""
AUTH_FAILURE = "auth_failure"
"""The request-state attribute holding why a presented credential was refused."""

_bearer = HTTPBearer(auto_error=False, description="An API key (`cdk_…`) or an access token")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (`cdk_…`)")
_oauth2 = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(
            tokenUrl=TOKEN_PATH, scopes=dict(SCOPE_DESCRIPTIONS)
        )
    ),
    auto_error=False,
    description="Client credentials: the key id as client id, the key as client secret",
)


def client_address(scope: AsgiScope) -> str:
    """Where a request came from (the socket peer; put the hub behind a trusted proxy)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def presented_credential(headers: list[tuple[bytes, bytes]]) -> str:
    """The credential a request carries, or an empty string."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credential = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return credential.strip()
        elif name == b"x-api-key":
            return value.decode("latin-1").strip()
    return ""


REFUSALS_AUDITED_EVERY = timedelta(minutes=1)
"""Refused credentials from one address are written to the audit log at most this often (with a
count of those not written), so a flood of bad keys cannot flood the log."""


class AuthenticationMiddleware:
    """Resolves the caller of every request under ``prefix`` that presents a credential (see the
    module doc). Other paths (the signed webhooks, AS2, ``/healthz``) authenticate their own way
    and never reach the access store."""

    def __init__(self, app: ASGIApp, *, access: AccessStore, prefix: str = "/api/v1") -> None:
        self.app = app
        self.access = access
        self.prefix = prefix
        self._refusals: dict[str, tuple[datetime, int]] = {}
        """Per address: when a refusal was last audited, and how many since were not."""

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not (
            path == self.prefix or path.startswith(f"{self.prefix}/")
        ):
            await self.app(scope, receive, send)
            return
        credential = presented_credential(scope.get("headers", []))
        if credential:
            state = scope.setdefault("state", {})
            remote = client_address(scope)
            try:
                state[PRINCIPAL] = await anyio.to_thread.run_sync(
                    self._authenticate, credential, remote
                )
            except AuthenticationFailed as failure:
                state[AUTH_FAILURE] = failure
                await anyio.to_thread.run_sync(self._audit_failure, failure, scope, remote)
            except RetryableError as exc:  # the database cannot answer: nobody is authenticated
                log.warning("credentials could not be checked: %s", exc)
                response = problem_response(
                    HTTPStatus.SERVICE_UNAVAILABLE,
                    "the hub cannot check credentials right now; try again shortly",
                    instance=str(scope.get("path", "")),
                    headers={"Retry-After": "1"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _authenticate(self, credential: str, remote: str) -> Principal:
        return self.access.authenticate(credential, remote=remote)

    def _audit_failure(self, failure: AuthenticationFailed, scope: AsgiScope, remote: str) -> None:
        now = self.access.clock.now()
        last, unrecorded = self._refusals.get(remote, (None, 0))
        if last is not None and now - last < REFUSALS_AUDITED_EVERY:
            self._refusals[remote] = (last, unrecorded + 1)
            return
        self._refusals[remote] = (now, 0)
        if len(self._refusals) > 10_000:  # forget the addresses that went quiet
            horizon = now - REFUSALS_AUDITED_EVERY
            self._refusals = {a: v for a, v in self._refusals.items() if v[0] >= horizon}
        try:
            self.access.record(
                "auth.failed",
                outcome="refused",
                partner_id=failure.partner_id,
                key_id=failure.key_id,
                target=f"{scope.get('method', '')} {scope.get('path', '')}",
                remote=remote,
                detail={"reason": failure.reason, "refusals_not_recorded_before": unrecorded},
            )
        except Exception:  # an audit write must not turn a 401 into a 500
            log.exception("could not record a refused credential in the audit log")


def _unauthenticated(request: Request) -> ApiProblem:
    failure = getattr(request.state, AUTH_FAILURE, None)
    detail = (
        "the credential was not accepted (unknown, expired or revoked)"
        if failure is not None
        else "this route needs a credential: Authorization: Bearer <key or token>, or X-API-Key"
    )
    return ApiProblem(
        HTTPStatus.UNAUTHORIZED,
        detail,
        slug="unauthenticated",
        headers={"WWW-Authenticate": 'Bearer realm="crossdock"'},
    )


def current_principal(request: Request) -> Principal | None:
    """The authenticated caller of ``request``, if any."""
    principal = getattr(request.state, PRINCIPAL, None)
    return principal if isinstance(principal, Principal) else None


def require(scope: Scope | None) -> Callable[..., Awaitable[Principal]]:
    """A dependency that answers the authenticated caller, or 401/403 when it may not call.
    ``None``: any authenticated caller, whatever its scopes."""
    scopes = [] if scope is None else [scope.value]

    async def dependency(
        request: Request,
        _bearer_credential: Annotated[Any, Depends(_bearer)] = None,
        _key_credential: Annotated[Any, Depends(_api_key)] = None,
        # A default, not an annotation: annotations are strings here and cannot see `scopes`.
        _oauth2_credential: Any = Security(_oauth2, scopes=scopes),  # noqa: B008
    ) -> Principal:
        principal = current_principal(request)
        if principal is None:
            raise _unauthenticated(request)
        if scope is not None and not principal.allows(scope):
            raise ApiProblem(
                HTTPStatus.FORBIDDEN,
                f"this route needs the {scope.value!r} scope, which the credential does not carry",
                slug="insufficient-scope",
                headers={
                    "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope.value}"'
                },
            )
        return principal

    dependency.__name__ = f"require_{'caller' if scope is None else scope.name.lower()}"
    return dependency


Authenticated = Annotated[Principal, Depends(require(None))]
"""A route parameter annotated ``Authenticated`` receives any authenticated caller."""
OrdersReader = Annotated[Principal, Depends(require(Scope.ORDERS_READ))]
"""A route parameter annotated ``OrdersReader`` receives a caller holding ``orders:read``."""
OrdersWriter = Annotated[Principal, Depends(require(Scope.ORDERS_WRITE))]
"""… a caller holding ``orders:write``."""
InventoryReader = Annotated[Principal, Depends(require(Scope.INVENTORY_READ))]
"""… a caller holding ``inventory:read``."""
CatalogReader = Annotated[Principal, Depends(require(Scope.CATALOG_READ))]
"""… a caller holding ``catalog:read``."""
EventsReader = Annotated[Principal, Depends(require(Scope.EVENTS_READ))]
"""… a caller holding ``events:read``."""
SubscriptionsWriter = Annotated[Principal, Depends(require(Scope.SUBSCRIPTIONS_WRITE))]
"""… a caller holding ``subscriptions:write``."""
Admin = Annotated[Principal, Depends(require(Scope.ADMIN))]
"""… an operator (``admin``)."""


def access_store(request: Request) -> AccessStore:
    """The access store the app was built with."""
    store = getattr(request.app.state, "access", None)
    if not isinstance(store, AccessStore):
        raise TypeError("app.state.access is not an AccessStore; build the app with create_app")
    return store


Access = Annotated[AccessStore, Depends(access_store)]
"""A route parameter annotated ``Access`` receives the access store."""
