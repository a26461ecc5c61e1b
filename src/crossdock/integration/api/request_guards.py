"""Guards on what one request may cost: how large its body may be, and how long it may run.

:class:`BodySizeLimitMiddleware` answers 413 before the route runs when ``Content-Length``
announces too much, and counts the bytes of every body as the route reads them, so a chunked
body with no length is cut off at the limit too — nothing is buffered here. Routes that take
whole EDI files (``POST /api/v1/edi/inbound``, ``POST /as2``) get a larger limit by path.

:class:`RequestTimeoutMiddleware` gives a route a deadline to *start* its response: past it,
the route is cancelled and the caller gets a 503 problem with ``Retry-After``. Once a response
has started (a streamed download, an event feed) the deadline no longer applies. Cancellation
reaches the route at its next ``await``: work a sync route runs in a worker thread cannot be
interrupted, so that route's answer is only replaced when the thread returns.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from http import HTTPStatus

import anyio
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from crossdock.integration.api.problems import problem_response

log = logging.getLogger("crossdock.api.guards")

MIB = 1024 * 1024
DEFAULT_MAX_BODY_BYTES = 1 * MIB
"""The largest request body a route takes unless its path says otherwise."""
LARGE_BODY_PATHS: Mapping[str, int] = {"/api/v1/edi/inbound": 64 * MIB, "/as2": 64 * MIB}
"""Routes that take whole EDI files, and how large a file they take."""
DEFAULT_TIMEOUT_S = 30.0
"""How long a route may take to start its response."""


class BodySizeLimitMiddleware:
    """Refuses request bodies over the limit for their path with 413 (see the module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int = DEFAULT_MAX_BODY_BYTES,
        by_path: Mapping[str, int] = LARGE_BODY_PATHS,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.by_path = dict(by_path)

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.by_path.get(scope["path"], self.max_bytes)
        if _content_length(scope) > limit:
            await _too_large(scope, receive, send, limit)
            return

        received = 0
        started = False
        refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _too_large(scope, receive, send, limit)
                    # The route sees the client leave, and whatever it answers is dropped.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The route failed because we cut its body off; the caller already has its 413.
            log.debug("route ended by an error after its body was cut off", exc_info=True)


def _content_length(scope: AsgiScope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # the server refuses a malformed length before we see the request
    return 0


async def _too_large(scope: AsgiScope, receive: Receive, send: Send, limit: int) -> None:
    response = problem_response(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        f"the request body is larger than {limit} bytes, the most {scope['path']} takes",
        instance=scope["path"],
        slug="body-too-large",
    )
    await response(scope, receive, send)


class RequestTimeoutMiddleware:
    """Answers 503 for a route that has not started its response in time (see the module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry_after_s: int = 5,
    ) -> None:
        self.app = app
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        with anyio.CancelScope(deadline=anyio.current_time() + self.timeout_s) as deadline:

            async def send_started(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                    deadline.deadline = math.inf  # a started response may take its time
                await send(message)

            await self.app(scope, receive, send_started)

        if deadline.cancelled_caught and not started:
            log.warning(
                "%s %s did not answer within %s s: cancelled",
                scope.get("method", ""),
                scope["path"],
                self.timeout_s,
            )
            response = problem_response(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"the request took longer than {self.timeout_s:g} s and was stopped; "
                "retry later, with the same Idempotency-Key for a write",
                instance=scope["path"],
                slug="timed-out",
                headers={"Retry-After": str(self.retry_after_s)},
            )
            await response(scope, receive, send)
