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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crossdock.integration.access.principal import Principal
from crossdock.integration.access.store import AccessStore
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
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            principal = scope.get("state", {}).get(PRINCIPAL)
            if isinstance(principal, Principal) and (
                principal.is_admin or scope["method"] in _CHANGES
            ):
                await self._record(scope, principal, status)

    async def _record(self, scope: Scope, principal: Principal, status: int) -> None:
        path = str(scope.get("path", ""))
        template = _route_template(scope, path)
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


def _route_template(scope: Scope, path: str) -> str:
    """The template of the route that answered (``/api/v1/partners/{partner_id}/keys``), or the
    path itself when no route matched.

    The matched route knows its template relative to the router it was declared on, without the
    prefix it was included under; the prefix is what the concrete path has before the part the
    route matched (the route's template with the path parameters put back in).
    """
    route_template = getattr(scope.get("route"), "path_format", None)
    if not isinstance(route_template, str):
        return path
    try:
        matched = route_template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return route_template
    if not path.endswith(matched):
        return route_template
    return path[: len(path) - len(matched)] + route_template
