"""Delivery queues and the outbox of a :class:`~.memory.MemoryStore`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from itertools import islice
from typing import Any

from crossdock.integration.store.memory_tables import (
    ERROR_LIMIT,
    DeliveryRow,
    EventRecord,
    MemoryTables,
    encode,
    utc,
)
from crossdock.integration.store.records import delivery_record, outbox_record
from crossdock.orchestration.store import DeliveryRecord, OutboxRecord

_OPEN = ("pending", "in_flight")


class MemoryDeliveryRepository:
    """Per-system queues of commands to external systems."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def _put(self, row: DeliveryRow) -> None:
        """Store a row and keep the index of open deliveries in step with its status."""
        self.t.deliveries.put(row.delivery_id, row)
        if row.status in _OPEN:
            if row.seq not in self.t.open_deliveries:
                self.t.open_deliveries.put(row.seq, row.delivery_id)
        else:
            self.t.open_deliveries.delete(row.seq)

    def enqueue(self, record: DeliveryRecord) -> bool:
        # A repeat of a command already queued or done is dropped (its key says it is the same
        # command); a repeat of one that failed re-arms it: an operator released the order. A
        # re-armed delivery keeps its place in its order's line, and starts its attempts over.
        command = encode(record.command)
        next_attempt_at, created_at = utc(record.next_attempt_at), utc(record.created_at)
        known = self.t.deliveries_by_key.get(record.idempotency_key)
        if known is None and record.delivery_id not in self.t.deliveries:
            seq = self.t.allocate("delivery_seq")
            self._put(
                DeliveryRow(
                    seq=seq,
                    delivery_id=record.delivery_id,
                    order_id=record.order_id,
                    system=record.system,
                    operation=record.operation,
                    idempotency_key=record.idempotency_key,
                    command=command,
                    status=record.status,
                    attempts=record.attempts,
                    next_attempt_at=next_attempt_at,
                    created_at=created_at,
                    causation_id=record.causation_id,
                )
            )
            self.t.deliveries_by_key.put(record.idempotency_key, record.delivery_id)
            by_order = self.t.deliveries_by_order.get(record.order_id) or ()
            self.t.deliveries_by_order.put(record.order_id, (*by_order, record.delivery_id))
            return True
        failed = None if known is None else self.t.deliveries[known]
        if failed is None or failed.status != "failed":
            return False
        self._put(
            replace(
                failed,
                status="pending",
                attempts=0,
                next_attempt_at=next_attempt_at,
                created_at=created_at,
                command=command,
                causation_id=record.causation_id,
                completed_at=None,
            )
        )
        return True

    def claim(
        self, system: str, limit: int, now: datetime, lease_until: datetime
    ) -> list[DeliveryRecord]:
        now, lease_until = utc(now), utc(lease_until)
        heads_seen: set[str] = set()
        due: list[DeliveryRow] = []
        # In sequence order, the first open delivery of an order is the head of its line; only
        # heads may go, and only once due, so a later command waits for the one before it.
        for seq in sorted(self.t.open_deliveries):
            if len(due) >= limit:
                break
            row = self.t.deliveries[self.t.open_deliveries[seq]]
            if row.system != system or row.order_id in heads_seen:
                continue
            heads_seen.add(row.order_id)
            leased = row.status == "in_flight" and (
                row.lease_until is None or row.lease_until > now
            )
            if row.next_attempt_at <= now and not leased:
                due.append(row)
        claimed = [
            replace(row, status="in_flight", attempts=row.attempts + 1, lease_until=lease_until)
            for row in due
        ]
        for row in claimed:
            self._put(row)
        return [delivery_record(row) for row in claimed]

    def _update(self, delivery_id: str, **values: Any) -> None:
        row = self.t.deliveries.get(delivery_id)
        if row is not None:
            self._put(replace(row, **values))

    def complete(self, delivery_id: str, now: datetime) -> None:
        self._update(
            delivery_id, status="done", completed_at=utc(now), lease_until=None, last_error=""
        )

    def retry_later(self, delivery_id: str, next_attempt_at: datetime, error: str) -> None:
        self._update(
            delivery_id,
            status="pending",
            next_attempt_at=utc(next_attempt_at),
            lease_until=None,
            last_error=error[:ERROR_LIMIT],
        )

    def fail(self, delivery_id: str, error: str, now: datetime) -> None:
        self._update(
            delivery_id,
            status="failed",
            completed_at=utc(now),
            lease_until=None,
            last_error=error[:ERROR_LIMIT],
        )

    def get(self, delivery_id: str) -> DeliveryRecord | None:
        row = self.t.deliveries.get(delivery_id)
        return None if row is None else delivery_record(row)

    def in_flight(self, system: str, now: datetime) -> int:
        now = utc(now)
        return sum(
            1
            for row in self._open_rows()
            if row.system == system
            and row.status == "in_flight"
            and row.lease_until is not None
            and row.lease_until > now
        )

    def rearm(
        self, delivery_id: str, command: dict[str, Any], causation_id: str, now: datetime
    ) -> bool:
        row = self.t.deliveries.get(delivery_id)
        if row is None or row.status != "failed":
            return False
        now = utc(now)
        self._put(
            replace(
                row,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                command=encode(command),
                causation_id=causation_id,
                completed_at=None,
                lease_until=None,
            )
        )
        return True

    def expedite(self, system: str, now: datetime) -> int:
        now = utc(now)
        waiting = [
            row
            for row in self._open_rows()
            if row.system == system and row.status == "pending" and row.next_attempt_at > now
        ]
        for row in waiting:
            self._put(replace(row, next_attempt_at=now))
        return len(waiting)

    def _open_rows(self) -> list[DeliveryRow]:
        return [self.t.deliveries[delivery_id] for delivery_id in self.t.open_deliveries.values()]

    def next_due(self, system: str) -> datetime | None:
        # An in-flight delivery is due again when its lease runs out.
        times = [
            row.lease_until or row.next_attempt_at
            for row in self._open_rows()
            if row.system == system
        ]
        return min(times, default=None)

    def systems_with_work(self) -> list[str]:
        return sorted({row.system for row in self._open_rows()})

    def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for row in self.t.deliveries.values():
            per_status = counts.setdefault(row.system, {})
            per_status[row.status] = per_status.get(row.status, 0) + 1
        return counts

    def for_order(self, order_id: str) -> list[DeliveryRecord]:
        rows = (self.t.deliveries[d] for d in self.t.deliveries_by_order.get(order_id) or ())
        return [delivery_record(row) for row in sorted(rows, key=lambda row: row.seq)]

    def for_orders(
        self, order_ids: Sequence[str], operation: str | None = None
    ) -> list[DeliveryRecord]:
        rows = (
            self.t.deliveries[d]
            for order_id in dict.fromkeys(order_ids)
            for d in self.t.deliveries_by_order.get(order_id) or ()
            if operation is None or self.t.deliveries[d].operation == operation
        )
        return [delivery_record(row) for row in sorted(rows, key=lambda row: row.seq)]


class MemoryOutboxRepository:
    """Events waiting to be published, in commit order."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def append(
        self, *, order_id: str, type: str, data: dict[str, Any], causation_id: str, now: datetime
    ) -> str:
        document, created_at = encode(data), utc(now)
        event_id = str(uuid.uuid4())
        # Writers are serialised, so sequence numbers are handed out in commit order: a reader
        # of the feed never sees a later number before an earlier one commits.
        seq = self.t.allocate("event_seq")
        self.t.events.put(
            seq,
            EventRecord(
                seq=seq,
                event_id=event_id,
                order_id=order_id,
                type=type,
                data=document,
                causation_id=causation_id,
                created_at=created_at,
            ),
        )
        self.t.unpublished.put(seq, None)
        return event_id

    def unpublished(self, limit: int) -> list[OutboxRecord]:
        # The index holds sequence numbers in ascending order: they are only ever appended.
        waiting = list(islice(self.t.unpublished, max(limit, 0)))
        return [outbox_record(self.t.events[seq]) for seq in waiting]

    def claim(self, limit: int, now: datetime, lease_until: datetime) -> list[OutboxRecord]:
        now, lease_until = utc(now), utc(lease_until)
        # From the oldest unpublished event on, up to the first one another relay still holds:
        # when that is the oldest, nothing, so no relay overtakes another's events.
        free: list[EventRecord] = []
        for seq in islice(self.t.unpublished, max(limit, 0)):
            event = self.t.events[seq]
            if event.claimed_until is not None and event.claimed_until > now:
                break
            free.append(event)
        for event in free:
            self.t.events.put(event.seq, replace(event, claimed_until=lease_until))
        return [outbox_record(event) for event in free]

    def release(self, seqs: Sequence[int]) -> None:
        for seq in seqs:
            event = self.t.events.get(seq)
            if event is not None:
                self.t.events.put(seq, replace(event, claimed_until=None))

    def mark_published(self, seqs: Sequence[int], now: datetime) -> None:
        published_at = utc(now)
        for seq in seqs:
            event = self.t.events.get(seq)
            if event is not None:
                self.t.events.put(seq, replace(event, published_at=published_at))
                self.t.unpublished.delete(seq)

    def after(self, seq: int, limit: int) -> list[OutboxRecord]:
        # Sequence numbers have no gaps here (a rolled-back transaction takes its numbers with
        # it), so the page is a range of keys, not a scan.
        first, last = max(seq, 0) + 1, self.t.last("event_seq")
        stop = min(last, first + max(limit, 0) - 1)
        return [outbox_record(self.t.events[n]) for n in range(first, stop + 1)]
