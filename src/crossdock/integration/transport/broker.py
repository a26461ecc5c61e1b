"""``Broker``: one NATS connection carrying a tenant's events (JetStream) and wake-ups (core NATS).

The composition root picks the broker by the configured URL: ``EmbeddedBroker()`` for
``embedded``, ``await connect_broker(url, tenant=…)`` for ``nats://…``. Both give ``.transport``
(the outbox relay's ``EventTransport``), ``.wakeups`` (the workers' ``Wakeups``) and ``aclose()``.
Importing this module touches no network.

::

    broker = await connect_broker("nats://nats-1:4222,nats://nats-2:4222", tenant="acme")
    relay = OutboxRelay(store, broker.transport, clock)
    runtime = Runtime(..., wakeups=broker.wakeups)
    ...
    await broker.aclose()

Once connected, the client reconnects by itself for as long as the process runs: publishes fail
with :class:`RetryableError` while the server is away, and the relay and workers back off.
"""

from __future__ import annotations

import asyncio
import logging

import nats.errors
from nats.aio.client import Client

from crossdock.core.errors import ConfigurationError, RetryableError
from crossdock.integration.transport.embedded import EmbeddedBroker
from crossdock.integration.transport.jetstream import JetStreamTransport, StreamSettings
from crossdock.integration.transport.nats_errors import URL_KEY, crossdock_error, redacted
from crossdock.integration.transport.nats_wakeups import NatsWakeups
from crossdock.integration.transport.subjects import Subjects

__all__ = ["Broker", "EmbeddedBroker", "StreamSettings", "connect_broker"]

log = logging.getLogger("crossdock.broker")

RECONNECT_WAIT_S = 1
"""Seconds between attempts to reach a server again after the connection was lost."""


class Broker:
    """A tenant's connection to NATS: its event transport and its cross-process wake-ups."""

    def __init__(self, nc: Client, transport: JetStreamTransport, wakeups: NatsWakeups) -> None:
        self._nc = nc
        self.transport = transport
        self.wakeups = wakeups

    async def aclose(self) -> None:
        """Stop listening and publishing, send what is buffered, and close the connection."""
        try:
            await self.wakeups.aclose()
            await self.transport.aclose()
        finally:
            await self._nc.close()


async def connect_broker(
    url: str,
    *,
    tenant: str = "default",
    stream: StreamSettings | None = None,
    connect_timeout_s: float = 5.0,
) -> Broker:
    """Connect to NATS (``url`` may list several servers, comma-separated), make sure the
    tenant's stream exists with ``stream``'s settings, and subscribe to its wake-ups.

    Raises :class:`RetryableError` when no server answers within ``connect_timeout_s``, and
    :class:`ConfigurationError` for a malformed URL, refused credentials or a stream the server
    will not create as asked.
    """
    subjects = Subjects(tenant)
    settings = stream or StreamSettings()
    nc = await _connected(url, tenant, connect_timeout_s)
    try:
        transport = JetStreamTransport(nc.jetstream(), subjects, settings)
        await transport.ensure_stream()
        wakeups = await NatsWakeups.listen(nc, subjects)
    except BaseException:
        await nc.close()
        raise
    return Broker(nc, transport, wakeups)


async def _connected(url: str, tenant: str, timeout_s: float) -> Client:
    servers = [server.strip() for server in url.split(",") if server.strip()]
    if not servers or not all(server.startswith(("nats://", "tls://")) for server in servers):
        raise ConfigurationError(URL_KEY, f"{redacted(url)!r}: expected nats://host:port")
    nc = Client()

    async def _log_disconnected() -> None:
        if not nc.is_closed:  # closing on purpose also disconnects
            log.warning("NATS connection lost; reconnecting")

    try:
        # The client retries forever (it must survive a server restart), so the first connection
        # is bounded here: a server that is down at start fails the start, saying so.
        await asyncio.wait_for(
            nc.connect(
                servers=servers,
                name=f"crossdock:{tenant}",
                reconnect_time_wait=RECONNECT_WAIT_S,
                max_reconnect_attempts=-1,
                error_cb=_log_error,
                disconnected_cb=_log_disconnected,
                reconnected_cb=_log_reconnected,
            ),
            timeout_s,
        )
    except TimeoutError as exc:
        await nc.close()
        raise RetryableError(
            f"no NATS server answered at {redacted(url)} within {timeout_s}s"
        ) from exc
    except (nats.errors.Error, OSError) as exc:
        await nc.close()
        raise crossdock_error(exc, f"connecting to {redacted(url)}") from exc
    return nc


async def _log_error(exc: Exception) -> None:
    log.warning("NATS: %s", exc or type(exc).__name__)


async def _log_reconnected() -> None:
    log.info("NATS connection re-established")
