"""``EmbeddedTransport``: events delivered to subscribers inside this process.

The embedded default has no broker: the outbox table itself is the durable record of every
event, and in-process subscribers get each event once it is committed. ``EmbeddedBroker`` pairs
it with in-process wake-ups, in the shape of the NATS ``Broker``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from crossdock.integration.transport.cloudevents import to_cloudevent
from crossdock.orchestration.store import OutboxRecord
from crossdock.orchestration.wakeups import InProcessWakeups

Subscriber = Callable[[dict[str, Any]], Awaitable[None]]


class EmbeddedTransport:
    """Fans committed events out to in-process subscribers, in commit order."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self.published = 0

    def subscribe(self, subscriber: Subscriber) -> None:
        """Receive every event published from now on, as a CloudEvent dict."""
        self._subscribers.append(subscriber)

    async def publish(self, events: Sequence[OutboxRecord]) -> None:
        """Hand each event to every subscriber, in order."""
        for record in events:
            envelope = to_cloudevent(record)
            for subscriber in self._subscribers:
                await subscriber(envelope)
        self.published += len(events)

    async def aclose(self) -> None:
        """Forget the subscribers."""
        self._subscribers.clear()


class EmbeddedBroker:
    """In-process events and wake-ups, shaped like the NATS :class:`~.broker.Broker`."""

    def __init__(self) -> None:
        self.transport = EmbeddedTransport()
        self.wakeups = InProcessWakeups()

    async def aclose(self) -> None:
        """Forget the event subscribers."""
        await self.transport.aclose()
