"""The outbox relay: publishes committed business events, in commit order, at least once."""

from __future__ import annotations

from collections.abc import Sequence
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
        self, store: Store, transport: EventTransport, clock: Clock, *, batch_size: int = 256
    ) -> None:
        self.store = store
        self.transport = transport
        self.clock = clock
        self.batch_size = batch_size

    async def run_once(self) -> int:
        """Publish one batch; returns how many events were published."""
        events = await self.store.run(self._unpublished)
        if not events:
            return 0
        await self.transport.publish(events)
        await self.store.run(self._mark, [event.seq for event in events])
        return len(events)

    def _unpublished(self) -> list[OutboxRecord]:
        with self.store.unit_of_work(write=False) as uow:
            return uow.outbox.unpublished(self.batch_size)

    def _mark(self, seqs: list[int]) -> None:
        with self.store.unit_of_work() as uow:
            uow.outbox.mark_published(seqs, self.clock.now())
