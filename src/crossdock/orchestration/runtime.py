"""The worker runtime: the loops that move work, woken by new work rather than tight polling.

One ``Runtime`` runs the step loop, one delivery loop per system, the outbox relay and the timer
poller as asyncio tasks. ``crossdock up`` runs one in the API's process. Every claim is a
transaction (and a lease for deliveries), so several runtimes may share one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crossdock.orchestration.deliveries import DeliveryRunner
from crossdock.orchestration.outbox import OutboxRelay
from crossdock.orchestration.steps import StepProcessor
from crossdock.orchestration.store import DeliveryRecord
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
        self._in_flight: set[asyncio.Task[None]] = set()
        self._sending: dict[str, int] = {}
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
        tasks = [*self._tasks, *self._in_flight]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._in_flight.clear()

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
        # Pipelined: a claim's requests are sent and recorded in a task of their own while the
        # loop goes on to the next claim, so a rate-limited system gets its next request when its
        # next token is there, not after the previous request's round trip and two transactions.
        # The gate bounds what is in flight (the system's concurrency, across every worker).
        topic = f"delivery:{system}"
        while not self._stopping.is_set():
            try:
                claimed, round_ = await self.deliveries.claim(system)
            except Exception:
                log.exception("delivery claim for %s failed", system)
                await asyncio.sleep(self.settings.error_wait_s)
                continue
            if claimed:
                self._spawn(
                    self._send(system, topic, claimed, round_.send_at), name=f"{topic}:send"
                )
                if round_.ready_at is not None:  # rate-limited: the next token
                    await self._wait_until(topic, round_.ready_at)
                continue
            if round_.blocked:
                # The gate let nothing through: wait until it may (a token, the end of a
                # Retry-After, the next probe), or for a wake-up (a resume, a send that ended).
                await self._wait_until(topic, round_.ready_at)
            elif self._sending.get(system):
                # What is due waits behind requests on the wire; their end wakes this loop.
                await self.wakeups.wait(topic, self.settings.idle_wait_s)
            else:
                wait = await self.deliveries.store.run(self._seconds_until_due, system)
                await self.wakeups.wait(topic, min(wait, self.settings.idle_wait_s))

    async def _send(
        self,
        system: str,
        topic: str,
        claimed: list[DeliveryRecord],
        send_at: tuple[datetime, ...],
    ) -> None:
        self._sending[system] = self._sending.get(system, 0) + 1
        try:
            messages = await self.deliveries.send(system, claimed, send_at)
        except Exception:  # the deliveries stay leased and are claimed again when it runs out
            log.exception("delivery round for %s failed", system)
            return
        finally:
            self._sending[system] -= 1
        if messages:
            self.wakeups.notify("inbox")
        self.wakeups.notify(topic)

    def _spawn(self, coro: Coroutine[Any, Any, None], *, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _wait_until(self, topic: str, ready_at: datetime | None) -> None:
        limit = self.settings.idle_wait_s
        if ready_at is None:
            await self.wakeups.wait(topic, limit)
            return
        seconds = (ready_at - self.deliveries.clock.now()).total_seconds()
        if seconds > 0:
            await self.wakeups.wait(topic, min(seconds, limit))

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
