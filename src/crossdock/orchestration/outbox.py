"""The outbox relay: publishes committed business events, in commit order, at least once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from crossdock.orchestration.clock import Clock
from crossdock.orchestration.store import OutboxRecord, Store


class EventTransport(Protocol):
    """Carries published events to their subscribers (in-process, or a broker)."""

    async def publish(self, events: Sequence[OutboxRecord]) -> None:
        """Publish in order. Raising means none of them may be taken as published."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class OutboxRelay:
    """Moves events from the outbox to the transport."""

    def __init__(
        self,
        store: Store,
        transport: EventTransport,
        clock: Clock,
        *,
        batch_size: int = 256,
        lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self.store = store
        self.transport = transport
        self.clock = clock
        self.batch_size = batch_size
        self.lease = lease
        """How long a claimed batch is this relay's before another relay may publish it."""

    async def run_once(self) -> int:
        """Publish one batch; returns how many events were published.

        The batch is claimed (leased) first, so relays in other workers do not publish the same
        events meanwhile; a failed publish gives the claim back for the next attempt.
        """
        events = await self.store.run(self._claim)
        if not events:
            return 0
        seqs = [event.seq for event in events]
        try:
            await self.transport.publish(events)
        except Exception:
            await self.store.run(self._release, seqs)
            raise
        await self.store.run(self._mark, seqs)
        return len(events)

    def _claim(self) -> list[OutboxRecord]:
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            return uow.outbox.claim(self.batch_size, now, now + self.lease)

    def _release(self, seqs: list[int]) -> None:
        with self.store.unit_of_work() as uow:
            uow.outbox.release(seqs)

    def _mark(self, seqs: list[int]) -> None:
        with self.store.unit_of_work() as uow:
            uow.outbox.mark_published(seqs, self.clock.now())
