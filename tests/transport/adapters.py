"""Every adapter of the event backbone, as a way to stand one up for one test.

The ``EventTransport`` contract runs once per entry of :data:`TRANSPORTS`, the ``Wakeups``
contract once per entry of :data:`WAKEUPS`. Each is built through its broker
(:class:`EmbeddedBroker`, or :func:`connect_broker` with a tenant of its own whose stream is deleted
afterwards), so the composition root's two paths are the ones under test.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from crossdock.integration.transport.broker import Broker, EmbeddedBroker, connect_broker
from crossdock.orchestration.outbox import EventTransport
from crossdock.orchestration.wakeups import Wakeups
from servers import require_nats

from .another_team import delete_stream, durable_consumer

T = TypeVar("T")


class Subscriber(Protocol):
    """Someone receiving the published events."""

    async def received(self, count: int) -> list[dict[str, Any]]:
        """The first ``count`` events received, as CloudEvent dicts, waiting (with a deadline)
        for ones still on their way."""
        ...


@dataclass(frozen=True, slots=True)
class TransportRig:
    """A transport under test and a subscriber that was listening before anything was sent."""

    transport: EventTransport
    subscriber: Subscriber


def unique_tenant() -> str:
    """A tenant no other test (or earlier run) uses, so streams and subjects never collide."""
    return f"t{secrets.token_hex(6)}"


@contextlib.asynccontextmanager
async def nats_broker(tenant: str | None = None) -> AsyncIterator[Broker]:
    """A broker on the test server for a fresh tenant; its stream is deleted afterwards."""
    url = require_nats()  # skips (or fails when servers are required) without a server
    broker = await connect_broker(url, tenant=tenant or unique_tenant())
    try:
        yield broker
    finally:
        await broker.aclose()
        await delete_stream(url, broker.transport.stream_name)


class _InProcessSubscriber:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def receive(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    async def received(self, count: int) -> list[dict[str, Any]]:
        return self.events[:count]  # delivered before publish returned


@contextlib.asynccontextmanager
async def _embedded_transport() -> AsyncIterator[TransportRig]:
    broker = EmbeddedBroker()
    subscriber = _InProcessSubscriber()
    broker.transport.subscribe(subscriber.receive)
    try:
        yield TransportRig(broker.transport, subscriber)
    finally:
        await broker.aclose()


@contextlib.asynccontextmanager
async def _jetstream_transport() -> AsyncIterator[TransportRig]:
    tenant = unique_tenant()
    async with (
        nats_broker(tenant) as broker,
        durable_consumer(require_nats(), tenant, broker.transport.stream_name) as consumer,
    ):
        yield TransportRig(broker.transport, consumer)


@contextlib.asynccontextmanager
async def _in_process_wakeups() -> AsyncIterator[Wakeups]:
    broker = EmbeddedBroker()
    try:
        yield broker.wakeups
    finally:
        await broker.aclose()


@contextlib.asynccontextmanager
async def _nats_wakeups() -> AsyncIterator[Wakeups]:
    async with nats_broker() as broker:
        yield broker.wakeups


@dataclass(frozen=True, slots=True)
class Adapter(Generic[T]):
    """One way of building an adapter for one test."""

    name: str
    build: Callable[[], AbstractAsyncContextManager[T]]


TRANSPORTS: tuple[Adapter[TransportRig], ...] = (
    Adapter("embedded", _embedded_transport),
    Adapter("jetstream", _jetstream_transport),
)

WAKEUPS: tuple[Adapter[Wakeups], ...] = (
    Adapter("in-process", _in_process_wakeups),
    Adapter("nats", _nats_wakeups),
)
