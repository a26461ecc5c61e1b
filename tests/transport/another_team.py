"""What another team does to read crossdock's events: its own connection, a durable pull consumer.

Written against nats-py alone, as a subscriber outside crossdock would write it, so the tests
check what such a subscriber sees rather than what our adapter believes it sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import nats
import nats.errors
import nats.js.errors
import orjson
from nats.aio.msg import Msg
from nats.js import JetStreamContext

DEADLINE_S = 5.0
"""How long a reader waits for events that should arrive (they normally take milliseconds)."""


class DurableConsumer:
    """A durable pull consumer on a tenant's events, created before anything is published."""

    def __init__(self, subscription: JetStreamContext.PullSubscription) -> None:
        self._subscription = subscription
        self.messages: list[Msg] = []

    async def received(self, count: int) -> list[dict[str, Any]]:
        """The first ``count`` events (as CloudEvent dicts), fetching and acking until they are
        all here or the deadline passes (then fewer come back, and the test says so)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE_S
        while len(self.messages) < count and loop.time() < deadline:
            with contextlib.suppress(nats.errors.TimeoutError):
                batch = await self._subscription.fetch(
                    count - len(self.messages), timeout=max(deadline - loop.time(), 0.05)
                )
                for msg in batch:
                    await msg.ack()
                    self.messages.append(msg)
        return [orjson.loads(msg.data) for msg in self.messages[:count]]


@contextlib.asynccontextmanager
async def durable_consumer(
    url: str, tenant: str, stream: str, durable: str = "billing"
) -> AsyncIterator[DurableConsumer]:
    """Attach a durable pull consumer to every order event of ``tenant``."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        subscription = await js.pull_subscribe(
            f"crossdock.{tenant}.order.>", durable=durable, stream=stream
        )
        yield DurableConsumer(subscription)
    finally:
        await nc.close()


@contextlib.asynccontextmanager
async def jetstream(url: str) -> AsyncIterator[JetStreamContext]:
    """A JetStream context on a connection of its own."""
    nc = await nats.connect(url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


async def delete_stream(url: str, name: str) -> None:
    """Remove a test's stream (and with it its consumers), if it is there."""
    async with jetstream(url) as js:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(name)
