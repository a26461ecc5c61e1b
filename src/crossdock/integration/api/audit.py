"""The audit trail of API use: who did what, when, from where, and how it ended.

:class:`AuditMiddleware` writes one audit entry for every request that changes something
(``POST``, ``PUT``, ``PATCH``, ``DELETE``) by an authenticated caller, and for every request an
admin makes, reads included (an operator reading a partner's data is worth knowing). Plain reads
by partners are not written one by one: a key's ``last_used_at`` and ``last_used_from`` record
its use instead (at most once a minute). Refused credentials are written by the authentication
middleware, and token grants by the token endpoint.

The action is the route's template (``POST /api/v1/partners/{partner_id}/keys``), the target the
concrete path, and the outcome the response's status code.
"""

from __future__ import annotations

import functools
import logging

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from crossdock.integration.access.principal import Principal
from crossdock.integration.access.store import AccessStore
from crossdock.integration.api.asgi_scope import StatusWatch, route_template
from crossdock.integration.api.auth import PRINCIPAL, client_address

log = logging.getLogger("crossdock.api.audit")

_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuditMiddleware:
    """Writes the audit entries described in the module docstring."""

    def __init__(self, app: ASGIApp, *, access: AccessStore) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watch = StatusWatch(send)
        try:
            await self.app(scope, receive, watch)
        finally:
            principal = scope.get("state", {}).get(PRINCIPAL)
            if isinstance(principal, Principal) and (
                principal.is_admin or scope["method"] in _CHANGES
            ):
                await self._record(scope, principal, watch.status)

    async def _record(self, scope: Scope, principal: Principal, status: int) -> None:
        path = str(scope.get("path", ""))
        template = route_template(scope) or path
        try:
            await anyio.to_thread.run_sync(
                functools.partial(
                    self.access.record,
                    f"{scope['method']} {template}",
                    outcome=str(status),
                    partner_id=principal.partner_id,
                    key_id=principal.key_id,
                    target=path,
                    remote=client_address(scope),
                    detail={"via": principal.via},
                )
            )
        except Exception:  # the answer is already on its way; an audit failure is logged loudly
            log.exception("could not write the audit entry of %s %s", scope["method"], path)
