"""Every API request gets an id, bound for its logs and echoed to the caller as ``X-Request-Id``.

A caller (or a proxy in front of the hub) that sends a sensible ``X-Request-Id`` — up to 128
letters, digits and ``-_.:`` — has it kept, so one id follows the request across services;
anything else is replaced by a fresh one, so a caller cannot smuggle text into our logs.
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crossdock.orchestration.log_context import bound

HEADER = "X-Request-Id"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def request_id(scope: Scope) -> str:
    """The caller's request id when it is acceptable, else a new one."""
    for key, value in scope.get("headers", []):
        if key == b"x-request-id":
            given = str(value.decode("latin-1"))
            if _ACCEPTED.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Binds ``request_id`` for the request's logs and answers with ``X-Request-Id``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)

        async def echo(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        with bound(request_id=rid):
            await self.app(scope, receive, echo)
