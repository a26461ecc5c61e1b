"""Waking workers when there is new work, instead of polling tightly.

Topics: ``inbox`` (workflow messages), ``delivery:<system>`` (a system's queue), ``outbox``.
The embedded adapter is in-process; the scale-out adapter carries wake-ups between processes.
A worker always also wakes on a timeout, so a lost wake-up delays work but never strands it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol


class Wakeups(Protocol):
    """Signals that work is waiting."""

    def notify(self, topic: str) -> None:
        """Wake whoever waits on ``topic``."""
        ...

    async def wait(self, topic: str, seconds: float) -> bool:
        """Wait until ``topic`` is notified or ``seconds`` pass; True when notified."""
        ...


class InProcessWakeups:
    """Wake-ups between tasks of one event loop (safe to notify from other threads)."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def _event(self, topic: str) -> asyncio.Event:
        event = self._events.get(topic)
        if event is None:
            event = self._events[topic] = asyncio.Event()
        return event

    def notify(self, topic: str) -> None:
        """Set the topic's event, from the loop's thread or any other."""
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop:
            loop.call_soon_threadsafe(self._event(topic).set)
        else:
            self._event(topic).set()

    async def wait(self, topic: str, seconds: float) -> bool:
        """Wait for a notification, then clear it for the next round."""
        self._loop = asyncio.get_running_loop()
        event = self._event(topic)
        notified = event.is_set()
        if not notified:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
                notified = True
        event.clear()
        return notified
