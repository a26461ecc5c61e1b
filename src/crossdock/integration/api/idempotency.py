"""The ``Idempotency-Key`` header on creates (draft-ietf-httpapi-idempotency-key-header).

A partner that sends ``POST`` (or ``PATCH``) under the API prefix with an ``Idempotency-Key``
may send the same request again — after a timeout, a dropped connection, a crash on its side —
and be sure it takes effect once. The key is the partner's own (two partners may use the same
string), and is remembered for 24 hours from the first request::

    first request with the key             runs; its response is kept
    the same request again                 the kept response, with Idempotent-Replayed: true
    the same key, another body or path     422 idempotency-key-reused
    the same request while the first runs  409 idempotency-key-in-flight, Retry-After: 1
    a malformed key (empty, > 255 chars)   400, field Idempotency-Key

A request is the same when its method, path, query, body bytes and the caller's scopes are: the
fingerprint is their SHA-256. Responses a retry should be allowed to change are not kept (5xx,
401, 403, 408, 409, 429); the key is free again once they are answered. A response marked
``Cache-Control: no-store`` carries a secret shown once (a new key, a subscription's signing
secret): it is kept without its ``secret``, so a retry learns what was created — and creates
nothing twice — while the secret never goes to the database.

The header is optional: a create without it behaves as before (orders still deduplicate on their
channel order number). It is recommended for every create. The records are in the database
(:mod:`.idempotency_store`), so every API process honours them; a process that dies mid-request
holds its key for the lease (two minutes by default), after which a retry takes it over.

The middleware runs inside :class:`~crossdock.integration.api.auth.AuthenticationMiddleware`
(it needs the caller) and outside the routes; a request without an authenticated caller passes
through untouched, for the route to answer 401.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crossdock.core.errors import RetryableError
from crossdock.integration.access.principal import Principal
from crossdock.integration.api.auth import PRINCIPAL
from crossdock.integration.api.idempotency_store import (
    IDEMPOTENCY_LEASE,
    IDEMPOTENCY_TTL,
    Begun,
    Claim,
    IdempotencyStore,
    InFlight,
    Mismatch,
    Replay,
    Started,
    StoredResponse,
)
from crossdock.integration.api.problems import problem_response
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.intake import FieldProblem

log = logging.getLogger("crossdock.api.idempotency")

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
"""Set to ``true`` on a response replayed from an earlier request with the same key."""
MAX_KEY_LENGTH = 255
IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})
NOT_KEPT = frozenset({401, 403, 408, 409, 429})
"""Statuses (besides every 5xx) whose responses are not kept: a retry may well succeed."""
IN_FLIGHT_RETRY_AFTER = 1
"""Seconds a client is asked to wait when its key is in flight: creates take milliseconds."""

_KEY_HEADER = IDEMPOTENCY_KEY.lower().encode("latin-1")
_PATH_LENGTH = 512  # the column's width; the fingerprint covers the whole path anyway


def fingerprint(method: str, path: str, query: bytes, body: bytes, scopes: str = "") -> str:
    """What makes two requests with one key the same request: SHA-256, hex. ``scopes`` (the
    caller's, sorted) is part of it, so a key holding fewer scopes never receives the answer a
    stronger one got: it is a different request (422), not a replay past the scope check."""
    digest = hashlib.sha256()
    for part in (method.encode("latin-1"), path.encode("utf-8"), query, body, scopes.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def key_problem(value: str) -> str:
    """Why ``value`` cannot be an idempotency key, or an empty string when it can."""
    if not 1 <= len(value) <= MAX_KEY_LENGTH:
        return f"must be 1 to {MAX_KEY_LENGTH} characters long"
    if not all(" " <= char <= "~" for char in value):
        return "must be printable ASCII"
    return ""


def _keeps(status: int) -> bool:
    return status < 500 and status not in NOT_KEPT


def _confidential(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"cache-control" and b"no-store" in value.lower() for name, value in headers
    )


def _withheld(
    headers: Sequence[tuple[bytes, bytes]], body: bytes
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """What is kept of an answer marked ``no-store`` (it carries a secret shown once: a new key,
    a subscription's signing secret): its JSON body without ``secret``, so a replay says what was
    created and the secret never reaches the database. Anything else keeps no body at all."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    kept = b""
    if isinstance(document, dict):
        document.pop("secret", None)
        kept = json.dumps(document, separators=(",", ":")).encode()
    kept_headers = [(n, v) for n, v in headers if n.lower() != b"content-length"]
    kept_headers.append((b"content-length", str(len(kept)).encode()))
    return kept_headers, kept


class IdempotencyMiddleware:
    """Honours ``Idempotency-Key`` on creates (see the module docstring).

    ``ttl`` is how long a key is remembered; ``lease`` how long a request may run before its
    key counts as abandoned (keep it well above the slowest create); ``prefix`` where the API is.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: IdempotencyStore,
        clock: Clock,
        ttl: timedelta = IDEMPOTENCY_TTL,
        lease: timedelta = IDEMPOTENCY_LEASE,
        prefix: str = "/api/v1",
    ) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self.ttl = ttl
        self.lease = lease
        self.prefix = prefix.rstrip("/")

    def _covers(self, scope: Scope) -> bool:
        path = str(scope.get("path", ""))
        return (
            scope["type"] == "http"
            and scope.get("method") in IDEMPOTENT_METHODS
            and (path == self.prefix or path.startswith(f"{self.prefix}/"))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._covers(scope):
            await self.app(scope, receive, send)
            return
        keys = [value for name, value in scope.get("headers", []) if name == _KEY_HEADER]
        principal = scope.get("state", {}).get(PRINCIPAL)
        if not keys or not isinstance(principal, Principal):
            await self.app(scope, receive, send)
            return
        key = keys[0].decode("latin-1")
        problem = "must be sent once" if len(keys) > 1 else key_problem(key)
        if problem:
            await self._answer_problem(
                scope, receive, send, 400, f"the {IDEMPOTENCY_KEY} header {problem}", problem
            )
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client left before sending its request
        try:
            begun = await anyio.to_thread.run_sync(
                functools.partial(self._begin, principal, key, scope, body)
            )
        except RetryableError as exc:
            log.warning("idempotency record for %s not read: %s", principal.partner_id, exc)
            await _busy(scope, receive, send)
            return
        match begun:
            case Started(claim=claim):
                await self._serve(claim, scope, _replaying(body, receive), send)
            case Replay(response=response):
                await _replay(response, send)
            case Mismatch(reason=reason):
                await self._answer_problem(
                    scope,
                    receive,
                    send,
                    422,
                    f"this {IDEMPOTENCY_KEY} was already used for a different request: {reason}",
                    "was already used for a different request",
                    slug="idempotency-key-reused",
                )
            case InFlight():
                await self._answer_problem(
                    scope,
                    receive,
                    send,
                    409,
                    f"a request with this {IDEMPOTENCY_KEY} is still being processed; "
                    "retry it shortly",
                    "a request with this key is in flight",
                    slug="idempotency-key-in-flight",
                    headers={"Retry-After": str(IN_FLIGHT_RETRY_AFTER)},
                )

    def _begin(self, principal: Principal, key: str, scope: Scope, body: bytes) -> Begun:
        method, path = str(scope["method"]), str(scope["path"])
        partner_id = principal.partner_id
        scopes = " ".join(sorted(scope_.value for scope_ in principal.scopes))
        return self.store.begin(
            partner_id,
            key,
            method=method,
            path=path[:_PATH_LENGTH],
            fingerprint=fingerprint(
                method, path, bytes(scope.get("query_string", b"")), body, scopes
            ),
            now=self.clock.now(),
            lease=self.lease,
            ttl=self.ttl,
        )

    async def _serve(self, claim: Claim, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; keep (or release) its response before its last byte goes out."""
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        settled = False

        async def capture(message: Message) -> None:
            nonlocal status, headers, settled
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body" and not settled:
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    settled = True
                    await self._settle(claim, status, headers, b"".join(chunks))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not settled:
                # The app failed or the client left: the key must not stay taken.
                with anyio.CancelScope(shield=True):
                    await self._settle(claim, 0, [], b"")

    async def _settle(
        self, claim: Claim, status: int, headers: Sequence[tuple[bytes, bytes]], body: bytes
    ) -> None:
        keep = status > 0 and _keeps(status)
        if keep and _confidential(headers):
            headers, body = _withheld(headers, body)
        text_headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers]
        try:
            if keep:
                held = await anyio.to_thread.run_sync(
                    functools.partial(
                        self.store.finish, claim, status=status, headers=text_headers, body=body
                    )
                )
            else:
                held = await anyio.to_thread.run_sync(self.store.release, claim)
        except RetryableError:
            # The response still goes out; the key stays in flight until its lease ends, and a
            # retry then runs again (creates deduplicate on their own keys underneath).
            log.exception("idempotency record %s/%s not settled", claim.partner_id, claim.key)
            return
        if not held:
            log.warning(
                "idempotency key %s/%s was taken over before its request ended (lease %s)",
                claim.partner_id,
                claim.key,
                self.lease,
            )

    async def _answer_problem(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        detail: str,
        message: str,
        *,
        slug: str = "invalid-idempotency-key",
        headers: dict[str, str] | None = None,
    ) -> None:
        response = problem_response(
            status,
            detail,
            instance=str(scope.get("path", "")),
            slug=slug,
            errors=[FieldProblem(IDEMPOTENCY_KEY, message)],
            headers=headers,
        )
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client disconnected first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then listens for a disconnect."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _replay(response: StoredResponse, send: Send) -> None:
    headers: list[tuple[bytes, bytes]] = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
    ]
    headers.append((REPLAYED.lower().encode("latin-1"), b"true"))
    start: dict[str, Any] = {"type": "http.response.start", "status": response.status}
    start["headers"] = headers
    await send(start)
    await send({"type": "http.response.body", "body": response.body, "more_body": False})


async def _busy(scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(
        503,
        "crossdock is busy; try again shortly",
        instance=str(scope.get("path", "")),
        slug="retry-later",
        headers={"Retry-After": "1"},
    )
    await response(scope, receive, send)
