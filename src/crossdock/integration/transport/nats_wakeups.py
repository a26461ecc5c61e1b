"""``NatsWakeups``: wake-ups that reach every worker process of a tenant, over core NATS.

``notify("delivery:legacy_erp")`` wakes this process's waiters at once and publishes an empty
message on ``crossdock.<tenant>.wake.delivery.legacy_erp``; every other process subscribed to
``crossdock.<tenant>.wake.>`` wakes its own waiters when the message arrives. Core NATS is at most
once: a wake-up lost while a server restarts only delays work until the waiter's timeout.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from crossdock.integration.transport.nats_errors import crossdock_error
from crossdock.integration.transport.subjects import Subjects
from crossdock.orchestration.wakeups import InProcessWakeups

log = logging.getLogger("crossdock.broker.wakeups")

ORIGIN_HEADER = "Crossdock-Origin"
"""Which ``NatsWakeups`` sent a wake-up: it already woke its own waiters, so it skips the echo."""


class NatsWakeups:
    """Wake-ups between worker processes; ``notify`` is safe to call from any thread."""

    def __init__(self, nc: Client, subjects: Subjects, loop: asyncio.AbstractEventLoop) -> None:
        self._nc = nc
        self._subjects = subjects
        self._loop = loop
        self._local = InProcessWakeups()
        self._origin = secrets.token_hex(8)
        self._subscription: Subscription | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._closed = False

    @classmethod
    async def listen(cls, nc: Client, subjects: Subjects) -> NatsWakeups:
        """Subscribe to the tenant's wake-ups; once this returns, the server routes them here."""
        wakeups = cls(nc, subjects, asyncio.get_running_loop())
        try:
            wakeups._subscription = await nc.subscribe(subjects.wakeups, cb=wakeups._received)
            await nc.flush()
        except (nats.errors.Error, OSError) as exc:
            raise crossdock_error(exc, f"subscribing to {subjects.wakeups}") from exc
        return wakeups

    def notify(self, topic: str) -> None:
        """Wake this process's waiters on ``topic`` now, and every other process's soon."""
        subject = self._subjects.wake(topic)  # a bad topic fails in the caller, not on the loop
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._notify_on_loop(topic, subject)
            return
        try:
            self._loop.call_soon_threadsafe(self._notify_on_loop, topic, subject)
        except RuntimeError:  # the loop is closed: the process is stopping, nobody waits
            log.debug("wake-up %s after the event loop closed", topic)

    async def wait(self, topic: str, seconds: float) -> bool:
        """Wait until ``topic`` is notified (here or in another process) or ``seconds`` pass."""
        return await self._local.wait(topic, seconds)

    async def aclose(self) -> None:
        """Stop listening; wake-ups already handed to the connection are still sent."""
        self._closed = True
        if self._sending:
            await asyncio.gather(*self._sending)
        subscription, self._subscription = self._subscription, None
        if subscription is not None and not self._nc.is_closed:
            try:
                await subscription.unsubscribe()
            except (nats.errors.Error, OSError) as exc:
                raise crossdock_error(exc, f"unsubscribing from {self._subjects.wakeups}") from exc

    def _notify_on_loop(self, topic: str, subject: str) -> None:
        self._local.notify(topic)
        if self._closed:
            return
        task = self._loop.create_task(self._send(subject), name=f"wake:{topic}")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, subject: str) -> None:
        try:
            await self._nc.publish(subject, b"", headers={ORIGIN_HEADER: self._origin})
        except (nats.errors.Error, OSError) as exc:
            # Other processes fall back to their idle timeout: the work is delayed, not lost.
            log.warning("wake-up on %s not sent: %s", subject, exc)

    async def _received(self, msg: Msg) -> None:
        if (msg.headers or {}).get(ORIGIN_HEADER) == self._origin:
            return
        try:
            topic = self._subjects.topic_of(msg.subject)
        except ValueError as exc:
            log.warning("ignoring a wake-up on %s: %s", msg.subject, exc)
            return
        self._local.notify(topic)
