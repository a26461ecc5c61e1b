"""The worker runtime: the loops that move work, woken by new work rather than tight polling.

One ``Runtime`` runs the step loop, one delivery loop per system, the outbox relay and the timer
poller as asyncio tasks. ``crossdock up`` runs one in the API's process. Every claim is a
transaction (and a lease for deliveries), so several runtimes may share one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from crossdock.orchestration.deliveries import DeliveryRunner
from crossdock.orchestration.outbox import OutboxRelay
from crossdock.orchestration.steps import StepProcessor
from crossdock.orchestration.timers import TimerPoller
from crossdock.orchestration.wakeups import Wakeups

log = logging.getLogger("crossdock.runtime")


@dataclass(frozen=True, slots=True)
class RuntimeSettings:
    """How eagerly the loops look for work when nobody wakes them."""

    idle_wait_s: float = 1.0
    """Longest a loop sleeps without a wake-up (bounds the delay of a lost wake-up)."""
    error_wait_s: float = 0.5
    """Pause after an unexpected error in a loop before it tries again."""


class Runtime:
    """Runs every loop of a worker until stopped."""

    def __init__(
        self,
        *,
        steps: StepProcessor,
        deliveries: DeliveryRunner,
        relay: OutboxRelay,
        timers: TimerPoller,
        wakeups: Wakeups,
        systems: Mapping[str, object],
        settings: RuntimeSettings | None = None,
    ) -> None:
        self.steps = steps
        self.deliveries = deliveries
        self.relay = relay
        self.timers = timers
        self.wakeups = wakeups
        self.systems = list(systems)
        self.settings = settings or RuntimeSettings()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Start every loop."""
        self._stopping.clear()
        loops = [
            ("steps", self._step_loop()),
            ("outbox", self._outbox_loop()),
            ("timers", self._timer_loop()),
            *((f"delivery:{s}", self._delivery_loop(s)) for s in self.systems),
        ]
        self._tasks = [asyncio.create_task(coro, name=name) for name, coro in loops]

    async def stop(self) -> None:
        """Stop every loop; work in flight is left to its lease (nothing is lost)."""
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _step_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                report = await self.steps.store.run(self.steps.run_batch)
            except Exception:
                log.exception("step batch failed")
                await asyncio.sleep(self.settings.error_wait_s)
                continue
            for system in report.systems:
                self.wakeups.notify(f"delivery:{system}")
            if report.events:
                self.wakeups.notify("outbox")
            if report.messages == 0:
                await self.wakeups.wait("inbox", self.settings.idle_wait_s)

    async def _delivery_loop(self, system: str) -> None:
        topic = f"delivery:{system}"
        while not self._stopping.is_set():
            try:
                round_ = await self.deliveries.run_once(system)
            except Exception:
                log.exception("delivery round for %s failed", system)
                await asyncio.sleep(self.settings.error_wait_s)
                continue
            if round_.messages:
                self.wakeups.notify("inbox")
            if round_.blocked:
                # The gate let nothing through: wait until it may (a token, the end of a
                # Retry-After, the next probe), or for a wake-up (resume, a probe's result).
                limit = self.settings.idle_wait_s
                wait = limit if round_.blocked_for is None else max(round_.blocked_for, 0.005)
                await self.wakeups.wait(topic, min(wait, limit))
            elif round_.attempted == 0:
                wait = await self.deliveries.store.run(self._seconds_until_due, system)
                await self.wakeups.wait(topic, min(wait, self.settings.idle_wait_s))

    def _seconds_until_due(self, system: str) -> float:
        with self.deliveries.store.unit_of_work(write=False) as uow:
            due = uow.deliveries.next_due(system)
        if due is None:
            return self.settings.idle_wait_s
        return max((due - self.deliveries.clock.now()).total_seconds(), 0.01)

    async def _outbox_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                published = await self.relay.run_once()
            except Exception:
                log.exception("outbox relay failed")
                await asyncio.sleep(self.settings.error_wait_s)
                continue
            if published == 0:
                await self.wakeups.wait("outbox", self.settings.idle_wait_s)

    async def _timer_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                fired = await self.timers.store.run(self.timers.fire_due)
                wait = await self.timers.store.run(self.timers.seconds_until_next)
            except Exception:
                log.exception("timer poller failed")
                await asyncio.sleep(self.settings.error_wait_s)
                continue
            if fired:
                self.wakeups.notify("inbox")
                continue
            limit = self.settings.idle_wait_s
            await self.wakeups.wait("timers", limit if wait is None else min(wait, limit))
