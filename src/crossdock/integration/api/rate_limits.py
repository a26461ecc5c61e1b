"""Rate limits: how many requests each API key, or each anonymous address, may make.

:class:`RateLimitMiddleware` runs inside :class:`~.auth.AuthenticationMiddleware`, so it knows
the caller. A request with an accepted credential counts against its key, under the partner's own
limit (``Principal.rate_limit``) or the hub's default; any other request (no credential, or one
refused) counts against its client address under a lower anonymous limit, which also slows anyone
guessing keys. Only the partner API (``/api/v1``) is limited: ``/healthz`` answers probes, and
the signed webhooks and AS2 sit outside it, where their senders retry on their own schedules.

The counters live in a ``limits`` storage named by URI: ``memory://`` in one process (the
embedded default), ``redis://host:6379/0`` when several API processes must share one budget per
key. The strategy is the *moving window*: it remembers the time of each request in the window,
so a key never makes more than its limit in any period of that length — a fixed window lets a
client spend two windows' worth around a boundary. It costs one entry per request in the window,
a few thousand for a few keys at the default, which memory and Redis both hold easily.

Every limited answer carries the draft-ietf-httpapi-ratelimit-headers fields::

    RateLimit-Limit: 600          requests allowed in the window
    RateLimit-Remaining: 597      left in it
    RateLimit-Reset: 41           seconds until the oldest request in it leaves, freeing a slot
    RateLimit-Policy: 600;w=60    every limit applied (quota;w=window seconds)

and a refused one is a 429 problem (``urn:crossdock:problem:rate-limited``) with ``Retry-After``.

When the storage cannot be reached (Redis down, slow beyond ``storage_timeout_s``) requests go
through unlimited, without the headers, and a warning is logged (once a minute while it lasts):
the limiter protects the API and must not be the reason it is down.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

import anyio
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from crossdock.core.errors import ConfigurationError
from crossdock.integration.access.principal import Principal
from crossdock.integration.api.auth import PRINCIPAL, client_address
from crossdock.integration.api.problems import problem_response

log = logging.getLogger("crossdock.api.rate_limits")

OUTAGE_LOG_EVERY_S = 60.0
"""While the storage stays unreachable, the warning is repeated at most this often."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitPolicy:
    """How requests are limited (see the module docstring)."""

    default: str = "600/minute"
    """A key's limit when its partner has none of its own, in ``limits`` notation; ``;``
    separates several (``600/minute;20000/hour``), all of which apply."""
    anonymous: str = "60/minute"
    """The limit per client address for requests without an accepted credential."""
    storage: str = "memory://"
    """``memory://`` (this process only) or ``redis://host:6379/0`` (``rediss://`` with TLS),
    shared by every API process pointed at it."""
    key_prefix: str = "crossdock"
    """Prefix of every counter in shared storage, so several hubs can share one Redis."""
    paths: tuple[str, ...] = ("/api/v1",)
    """Path prefixes that are limited; everything else passes untouched."""
    storage_timeout_s: float = 0.5
    """How long one storage call may take before the request goes through unlimited."""

    def limits_for(self, principal: Principal | None) -> list[RateLimitItem]:
        """The limits a caller is held to (ConfigurationError for bad notation)."""
        if principal is None:
            return parsed_limits(self.anonymous, "api.rate_limit_anonymous")
        if principal.rate_limit:
            try:
                return parsed_limits(principal.rate_limit, "rate_limit")
            except ConfigurationError:
                # The access store validates it on the way in; this only guards older rows.
                log.warning(
                    "partner %s has an unreadable rate limit %r: the default applies",
                    principal.partner_id,
                    principal.rate_limit,
                )
        return parsed_limits(self.default, "api.rate_limit_default")


_parsed: dict[str, list[RateLimitItem]] = {}


def parsed_limits(text: str, key: str) -> list[RateLimitItem]:
    """``text`` in ``limits`` notation, parsed once; ConfigurationError names ``key``."""
    items = _parsed.get(text)
    if items is None:
        try:
            items = parse_many(text)
        except ValueError as exc:
            raise ConfigurationError(key, f"{text!r} is not a rate limit: {exc}") from None
        if not items:
            raise ConfigurationError(key, f"{text!r} names no rate limit")
        _parsed[text] = items
    return items


Closer = Callable[[], Awaitable[None]]
"""Closes a storage's connections."""


async def _nothing_to_close() -> None:
    return None


def limit_storage(uri: str, *, key_prefix: str, timeout_s: float) -> tuple[Storage, Closer]:
    """The async ``limits`` storage a URI names, and how to close its connections.

    Nothing is connected until the first request.
    """
    scheme = urlsplit(uri).scheme
    if scheme == "memory":
        return MemoryStorage(wrap_exceptions=True), _nothing_to_close
    if scheme in ("redis", "rediss"):
        # Imported here: redis is in the `scale` extra, and an embedded hub never needs it.
        try:
            import redis.asyncio
        except ImportError:
            raise ConfigurationError(
                "api.rate_limit_storage",
                "a redis:// storage needs the redis client: pip install 'crossdock[scale]'",
            ) from None
        # Our own pool, so the connections can be closed at shutdown (``limits`` has no close).
        pool = redis.asyncio.ConnectionPool.from_url(
            uri, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        storage = RedisStorage(
            f"async+{uri}",
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=key_prefix,
            connection_pool=pool,  # type: ignore[arg-type]  # limits types options narrowly
        )
        return storage, pool.aclose
    raise ConfigurationError(
        "api.rate_limit_storage", f"a {scheme!r} URI: use memory:// or redis://host:port/db"
    )


@dataclass(frozen=True, slots=True)
class Quota:
    """Where a caller stands against the tightest of its limits, after this request."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int
    """Seconds until a slot frees (the ``RateLimit-Reset`` and, refused, ``Retry-After``)."""
    policy: str

    def headers(self) -> dict[str, str]:
        """The ``RateLimit-*`` fields (and ``Retry-After`` when refused)."""
        fields = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
            "RateLimit-Policy": self.policy,
        }
        if not self.allowed:
            fields["Retry-After"] = str(max(1, self.reset_s))
        return fields


class StorageUnavailable(Exception):
    """The counters could not be read or written in time."""


class RateLimitMiddleware:
    """Counts and refuses requests per key or address (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, policy: RateLimitPolicy | None = None) -> None:
        self.app = app
        self.policy = policy or RateLimitPolicy()
        # Fail at start, naming the setting, rather than on the first request.
        parsed_limits(self.policy.default, "api.rate_limit_default")
        parsed_limits(self.policy.anonymous, "api.rate_limit_anonymous")
        self.storage, self._close_storage = limit_storage(
            self.policy.storage,
            key_prefix=self.policy.key_prefix,
            timeout_s=self.policy.storage_timeout_s,
        )
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._outage_logged_at: float | None = None

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing_at_shutdown(send))
            return
        if scope["type"] != "http" or not self._limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        principal = scope.get("state", {}).get(PRINCIPAL)
        if not isinstance(principal, Principal):
            principal = None
        try:
            quota = await self._count(principal, scope)
        except StorageUnavailable as exc:
            self._log_outage(exc)
            await self.app(scope, receive, send)
            return
        self._log_recovery()
        if not quota.allowed:
            whose = "this API key" if principal is not None else "this address without a key"
            response = problem_response(
                HTTPStatus.TOO_MANY_REQUESTS,
                f"too many requests from {whose} (limit {quota.policy}); "
                f"retry after {quota.headers()['Retry-After']} s",
                instance=scope["path"],
                slug="rate-limited",
                headers=quota.headers(),
            )
            await response(scope, receive, send)
            return

        async def send_with_quota(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(quota.headers())
            await send(message)

        await self.app(scope, receive, send_with_quota)

    def _closing_at_shutdown(self, send: Send) -> Send:
        async def send_closing(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await self._close_storage()
            await send(message)

        return send_closing

    def _limited(self, path: str) -> bool:
        return any(path == p or path.startswith(f"{p}/") for p in self.policy.paths)

    async def _count(self, principal: Principal | None, scope: AsgiScope) -> Quota:
        items = self.policy.limits_for(principal)
        identity = (
            ("key", principal.key_id) if principal is not None else ("addr", client_address(scope))
        )
        try:
            with anyio.fail_after(self.policy.storage_timeout_s):
                return await self._hit(items, identity)
        except (StorageError, TimeoutError) as exc:
            raise StorageUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def _hit(self, items: Sequence[RateLimitItem], identity: tuple[str, str]) -> Quota:
        policy = ", ".join(f"{item.amount};w={item.get_expiry()}" for item in items)

        async def quota(item: RateLimitItem, allowed: bool) -> Quota:
            stats = await self.limiter.get_window_stats(item, *identity)
            return Quota(
                allowed=allowed,
                limit=item.amount,
                remaining=max(0, stats.remaining),
                # The window still holds a request at exactly its reset time: the first whole
                # second strictly after it is when a client that waits is served again.
                reset_s=max(0, math.floor(stats.reset_time - time.time()) + 1),
                policy=policy,
            )

        # Every limit is tested before any is charged: a request one limit refuses must not
        # use up the others (600/minute would otherwise drain while 20000/hour refuses).
        for item in items:
            if not await self.limiter.test(item, *identity):
                return await quota(item, False)
        tightest: Quota | None = None
        for item in items:
            counted = await quota(item, await self.limiter.hit(item, *identity))
            if not counted.allowed:  # another process took the last slot meanwhile
                return counted
            if tightest is None or counted.remaining < tightest.remaining:
                tightest = counted
        assert tightest is not None  # limits_for never answers an empty list
        return tightest

    def _log_outage(self, exc: StorageUnavailable) -> None:
        now = time.monotonic()
        if self._outage_logged_at is None or now - self._outage_logged_at >= OUTAGE_LOG_EVERY_S:
            log.warning(
                "rate limit storage %s is unavailable (%s): requests go through unlimited",
                _redacted(self.policy.storage),
                exc,
            )
            self._outage_logged_at = now

    def _log_recovery(self) -> None:
        if self._outage_logged_at is not None:
            log.info("rate limit storage %s is back", _redacted(self.policy.storage))
            self._outage_logged_at = None


def _redacted(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"***@{host}").geturl()
