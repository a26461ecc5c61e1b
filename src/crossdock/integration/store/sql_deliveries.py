"""Per-system delivery queues and the outbox, in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, bindparam, exists, func, insert, or_, select, update

from crossdock.integration.store import schema as t
from crossdock.integration.store.records import delivery_record, outbox_record
from crossdock.integration.store.sql_repository import SqlRepository, dump_json
from crossdock.orchestration.store import (
    DeliveryRecord,
    OutboxRecord,
)

_OPEN = bindparam(
    "b_open", ["pending", "in_flight"], expanding=True, literal_execute=True, type_=String()
)
"""The open statuses, written into the SQL literally: SQLite uses the partial index of open
deliveries only when a query repeats its condition word for word, not with bound parameters."""


def _open(column: Any) -> Any:
    return column.in_(_OPEN)


_REARM = update(t.deliveries).where(
    t.deliveries.c.idempotency_key == bindparam("b_key"), t.deliveries.c.status == "failed"
)


_DELIVERY_UPDATE = update(t.deliveries).where(
    t.deliveries.c.delivery_id == bindparam("b_delivery_id")
)


_OUTBOX_INSERT = insert(t.outbox)


class SqlDeliveryRepository(SqlRepository):
    """Per-system delivery queues."""

    def enqueue(self, record: DeliveryRecord) -> bool:
        # A repeat of a command already queued or done is dropped (its key says it is the same
        # command); a repeat of one that failed re-arms it: an operator released the order. A
        # re-armed delivery is queued anew: its attempts and its retry deadline start over.
        command = dump_json(record.command)
        inserted = self._insert_ignore(
            t.deliveries,
            {
                "delivery_id": record.delivery_id,
                "order_id": record.order_id,
                "system": record.system,
                "operation": record.operation,
                "idempotency_key": record.idempotency_key,
                "command": command,
                "status": record.status,
                "attempts": record.attempts,
                "next_attempt_at": record.next_attempt_at,
                "causation_id": record.causation_id,
                "created_at": record.created_at,
            },
        )
        if inserted:
            return True
        rearmed = self.c.execute(
            _REARM,
            {
                "b_key": record.idempotency_key,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": record.next_attempt_at,
                "created_at": record.created_at,
                "command": command,
                "causation_id": record.causation_id,
                "completed_at": None,
            },
        ).rowcount
        return bool(rearmed)

    def claim(
        self, system: str, limit: int, now: datetime, lease_until: datetime
    ) -> list[DeliveryRecord]:
        d = t.deliveries
        earlier = d.alias("earlier")
        # Only the head of each order's line: a later command for an order waits until the
        # earlier one is done (per-order order). Filtering heads and due-ness in the query, not
        # over a window of the queue, keeps deliveries that back off from starving the rest.
        is_head = ~exists().where(
            earlier.c.system == system,
            earlier.c.order_id == d.c.order_id,
            _open(earlier.c.status),
            earlier.c.seq < d.c.seq,
        )
        open_rows = select(d).where(
            d.c.system == system,
            _open(d.c.status),
            is_head,
            d.c.next_attempt_at <= now,
            or_(d.c.status == "pending", d.c.lease_until <= now),
        )
        if self.dialect == "postgresql":
            open_rows = open_rows.with_for_update(skip_locked=True)
        due = self.c.execute(open_rows.order_by(d.c.seq).limit(limit)).all()
        if not due:
            return []
        self.c.execute(
            update(d)
            .where(d.c.delivery_id.in_([row.delivery_id for row in due]))
            .values(status="in_flight", attempts=d.c.attempts + 1, lease_until=lease_until)
        )
        claimed = [delivery_record(row) for row in due]
        return [
            replace(record, status="in_flight", attempts=record.attempts + 1) for record in claimed
        ]

    def complete(self, delivery_id: str, now: datetime) -> None:
        self.c.execute(
            _DELIVERY_UPDATE,
            {
                "b_delivery_id": delivery_id,
                "status": "done",
                "completed_at": now,
                "lease_until": None,
                "last_error": "",
            },
        )

    def retry_later(self, delivery_id: str, next_attempt_at: datetime, error: str) -> None:
        self.c.execute(
            update(t.deliveries)
            .where(t.deliveries.c.delivery_id == delivery_id)
            .values(
                status="pending",
                next_attempt_at=next_attempt_at,
                lease_until=None,
                last_error=error[:2000],
            )
        )

    def fail(self, delivery_id: str, error: str, now: datetime) -> None:
        self.c.execute(
            update(t.deliveries)
            .where(t.deliveries.c.delivery_id == delivery_id)
            .values(status="failed", completed_at=now, lease_until=None, last_error=error[:2000])
        )

    def next_due(self, system: str) -> datetime | None:
        d = t.deliveries
        value = self.c.execute(
            select(func.min(func.coalesce(d.c.lease_until, d.c.next_attempt_at))).where(
                d.c.system == system, _open(d.c.status)
            )
        ).scalar_one_or_none()
        if value is None:
            return None
        # func.min over a coalesce loses the column type on SQLite: coerce back to aware UTC.
        return cast(datetime, t.UtcDateTime().process_result_value(value, self.c.dialect))

    def systems_with_work(self) -> list[str]:
        d = t.deliveries
        rows = self.c.execute(select(d.c.system).where(_open(d.c.status)).distinct())
        return [str(row[0]) for row in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        d = t.deliveries
        counts: dict[str, dict[str, int]] = {}
        for system, status, count in self.c.execute(
            select(d.c.system, d.c.status, func.count()).group_by(d.c.system, d.c.status)
        ):
            counts.setdefault(str(system), {})[str(status)] = int(count)
        return counts

    def get(self, delivery_id: str) -> DeliveryRecord | None:
        row = self.c.execute(
            select(t.deliveries).where(t.deliveries.c.delivery_id == delivery_id)
        ).first()
        return None if row is None else delivery_record(row)

    def in_flight(self, system: str, now: datetime) -> int:
        d = t.deliveries
        return int(
            self.c.execute(
                select(func.count()).where(
                    d.c.system == system,
                    _open(d.c.status),
                    d.c.status == "in_flight",
                    d.c.lease_until > now,
                )
            ).scalar_one()
        )

    def rearm(
        self, delivery_id: str, command: dict[str, Any], causation_id: str, now: datetime
    ) -> bool:
        d = t.deliveries
        rearmed = self.c.execute(
            update(d)
            .where(d.c.delivery_id == delivery_id, d.c.status == "failed")
            .values(
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                command=dump_json(command),
                causation_id=causation_id,
                completed_at=None,
                lease_until=None,
            )
        ).rowcount
        return bool(rearmed)

    def expedite(self, system: str, now: datetime) -> int:
        d = t.deliveries
        return int(
            self.c.execute(
                update(d)
                .where(d.c.system == system, d.c.status == "pending", d.c.next_attempt_at > now)
                .values(next_attempt_at=now)
            ).rowcount
        )

    def for_order(self, order_id: str) -> list[DeliveryRecord]:
        rows = self.c.execute(
            select(t.deliveries)
            .where(t.deliveries.c.order_id == order_id)
            .order_by(t.deliveries.c.seq)
        )
        return [delivery_record(row) for row in rows]

    def for_orders(
        self, order_ids: Sequence[str], operation: str | None = None
    ) -> list[DeliveryRecord]:
        if not order_ids:
            return []
        d = t.deliveries
        statement = select(d).where(d.c.order_id.in_(order_ids)).order_by(d.c.seq)
        if operation is not None:
            statement = statement.where(d.c.operation == operation)
        return [delivery_record(row) for row in self.c.execute(statement)]


OUTBOX_CLAIM_LOCK = 0x63726F73_646F636B  # 'crosdock'
"""The PostgreSQL advisory lock key that serialises outbox claims."""


def _leased(claimed_until: datetime | None, now: datetime) -> bool:
    return claimed_until is not None and claimed_until > now


class SqlOutboxRepository(SqlRepository):
    """Events waiting to be published."""

    def append(
        self, *, order_id: str, type: str, data: dict[str, Any], causation_id: str, now: datetime
    ) -> str:
        event_id = str(uuid.uuid4())
        self.c.execute(
            _OUTBOX_INSERT,
            {
                "event_id": event_id,
                "order_id": order_id,
                "type": type,
                "data": dump_json(data),
                "causation_id": causation_id,
                "created_at": now,
            },
        )
        return event_id

    def _records(self, statement: Any) -> list[OutboxRecord]:
        return [outbox_record(row) for row in self.c.execute(statement)]

    def unpublished(self, limit: int) -> list[OutboxRecord]:
        o = t.outbox
        return self._records(
            select(o).where(o.c.published_at.is_(None)).order_by(o.c.seq).limit(limit)
        )

    def claim(self, limit: int, now: datetime, lease_until: datetime) -> list[OutboxRecord]:
        o = t.outbox
        if self.dialect == "postgresql":
            # Claims are serialised by a transaction-scoped advisory lock: with row locks and
            # SKIP LOCKED alone, a claimer could read past rows another relay was claiming or
            # marking at that instant and overtake its events (seen once in ~10 loaded runs).
            self.c.execute(select(func.pg_advisory_xact_lock(OUTBOX_CLAIM_LOCK)))
        rows = self.c.execute(
            select(o).where(o.c.published_at.is_(None)).order_by(o.c.seq).limit(limit)
        ).all()
        # One relay at a time, from the oldest event on: when another relay holds the head
        # (leased), publishing the rest would overtake its events.
        if not rows or _leased(rows[0].claimed_until, now):
            return []
        free = []
        for row in rows:
            if _leased(row.claimed_until, now):
                break
            free.append(row)
        self.c.execute(
            update(o)
            .where(o.c.seq.in_([row.seq for row in free]))
            .values(claimed_until=lease_until)
        )
        return [outbox_record(row) for row in free]

    def release(self, seqs: Sequence[int]) -> None:
        if seqs:
            self.c.execute(
                update(t.outbox).where(t.outbox.c.seq.in_(list(seqs))).values(claimed_until=None)
            )

    def mark_published(self, seqs: Sequence[int], now: datetime) -> None:
        if seqs:
            self.c.execute(
                update(t.outbox).where(t.outbox.c.seq.in_(list(seqs))).values(published_at=now)
            )

    def after(self, seq: int, limit: int) -> list[OutboxRecord]:
        o = t.outbox
        return self._records(select(o).where(o.c.seq > seq).order_by(o.c.seq).limit(limit))
