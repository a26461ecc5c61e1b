"""The SQL repositories behind :class:`~crossdock.integration.store.sql.SqlUnitOfWork`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Connection, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crossdock.core.catalog import Price, Product
from crossdock.core.inventory import InventoryPosition, ReservationLine
from crossdock.core.order import Order, OrderStatus
from crossdock.core.party import Customer
from crossdock.integration.store import schema as t
from crossdock.integration.store.schema import from_scaled, to_scaled
from crossdock.orchestration.store import (
    ConcurrencyConflict,
    DeliveryRecord,
    InboxRecord,
    OrderQuery,
    OrderRow,
    OutboxRecord,
    TimelineEntry,
)
from crossdock.orchestration.workflow import OrderState


def _json(value: dict[str, Any]) -> str:
    return orjson.dumps(value).decode()


def _load(text: str) -> dict[str, Any]:
    return cast(dict[str, Any], orjson.loads(text))


# Statements built once: SQLAlchemy then reuses their cache keys and compiled forms, which
# measured as the larger part of a step's cost when each call built its statement anew.
_LOCK = (
    select(t.orders)
    .where(
        t.orders.c.order_id.in_(bindparam("ids", expanding=True)),
        t.orders.c.quarantined.is_(False),
    )
    .order_by(t.orders.c.order_id)
    .limit(bindparam("limit"))
)
_LOCK_FOR_UPDATE = _LOCK.with_for_update(skip_locked=True)
_SAVE = update(t.orders).where(
    t.orders.c.order_id == bindparam("b_order_id"), t.orders.c.version == bindparam("b_version")
)
_REARM = update(t.deliveries).where(
    t.deliveries.c.idempotency_key == bindparam("b_key"), t.deliveries.c.status == "failed"
)
_OUTBOX_INSERT = insert(t.outbox)
_CONSUME_STOCK = (
    update(t.inventory)
    .where(
        t.inventory.c.sku == bindparam("b_sku"), t.inventory.c.location == bindparam("b_location")
    )
    .values(
        on_hand=t.inventory.c.on_hand - bindparam("b_on_hand"),
        reserved=t.inventory.c.reserved - bindparam("b_reserved"),
    )
)
_CONSUME_RESERVATION = (
    update(t.reservations)
    .where(
        t.reservations.c.order_id == bindparam("b_order_id"),
        t.reservations.c.line_no == bindparam("b_line_no"),
    )
    .values(quantity=t.reservations.c.quantity - bindparam("b_quantity"))
)
_INSERTS: dict[tuple[str, str], Any] = {}
_INBOX_APPEND: dict[str, Any] = {}
_EXISTS = select(t.orders.c.order_id).where(t.orders.c.order_id == bindparam("b_order_id"))
_DELIVERY_UPDATE = update(t.deliveries).where(
    t.deliveries.c.delivery_id == bindparam("b_delivery_id")
)


class _Repository:
    def __init__(self, connection: Connection) -> None:
        self.c = connection
        self.dialect = connection.dialect.name

    def _insert_ignore(self, table: Any, values: dict[str, Any]) -> bool:
        """INSERT … ON CONFLICT DO NOTHING; whether the row went in.

        Counted by ``RETURNING`` rather than ``rowcount``: on PostgreSQL, SQLAlchemy already adds
        ``RETURNING`` for the primary key, and the cursor then reports no useful row count.
        """
        statement = _INSERTS.get((self.dialect, table.name))
        if statement is None:
            dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
            statement = _INSERTS[(self.dialect, table.name)] = (
                dialect_insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
            )
        return self.c.execute(statement, values).first() is not None

    def _upsert(self, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
        if not rows:
            return
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(table)
        updates = {name: statement.excluded[name] for name in rows[0] if name not in keys}
        self.c.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), rows)


class SqlOrderRepository(_Repository):
    """Orders and their workflow state."""

    def add(self, order: Order) -> bool:
        return self._insert_ignore(
            t.orders,
            {
                "order_id": order.order_id,
                "channel": order.channel,
                "channel_order_number": order.channel_order_number,
                "customer_id": order.customer_id,
                "customer_po": order.customer_po,
                "status": OrderStatus.RECEIVED.value,
                "version": 0,
                "quarantined": False,
                "quarantine_reason": "",
                "order_doc": order.model_dump_json(),
                "state_doc": None,
                "received_at": order.received_at,
                "updated_at": order.received_at,
            },
        )

    def find_by_channel_number(self, channel: str, number: str) -> str | None:
        row = self.c.execute(
            select(t.orders.c.order_id).where(
                t.orders.c.channel == channel, t.orders.c.channel_order_number == number
            )
        ).first()
        return None if row is None else str(row[0])

    def _row(self, row: Any) -> OrderRow:
        # The state carries the order: parse one document, not both.
        state = None if row.state_doc is None else OrderState.model_validate_json(row.state_doc)
        return OrderRow(
            order_id=row.order_id,
            channel=row.channel,
            channel_order_number=row.channel_order_number,
            customer_id=row.customer_id,
            customer_po=row.customer_po,
            status=OrderStatus(row.status),
            version=row.version,
            received_at=row.received_at,
            updated_at=row.updated_at,
            closed_at=row.closed_at,
            order=state.order if state is not None else Order.model_validate_json(row.order_doc),
            state=state,
        )

    def exists(self, order_id: str) -> bool:
        return self.c.execute(_EXISTS, {"b_order_id": order_id}).first() is not None

    def get(self, order_id: str) -> OrderRow | None:
        row = self.c.execute(select(t.orders).where(t.orders.c.order_id == order_id)).first()
        return None if row is None else self._row(row)

    def lock(self, order_ids: Sequence[str], limit: int | None = None) -> list[OrderRow]:
        statement = _LOCK_FOR_UPDATE if self.dialect == "postgresql" else _LOCK
        rows = self.c.execute(
            statement, {"ids": list(order_ids), "limit": limit or max(len(order_ids), 1)}
        )
        return [self._row(row) for row in rows]

    def save(self, state: OrderState, expected_version: int, now: datetime) -> None:
        result = self.c.execute(
            _SAVE,
            {
                "b_order_id": state.order.order_id,
                "b_version": expected_version,
                "status": state.status.value,
                "version": state.version,
                "state_doc": state.model_dump_json(),
                "updated_at": now,
                "closed_at": state.closed_at,
            },
        )
        if result.rowcount != 1:
            raise ConcurrencyConflict(state.order.order_id)

    def search(self, query: OrderQuery) -> list[OrderRow]:
        statement = select(t.orders).order_by(t.orders.c.order_id).limit(query.limit)
        if query.status:
            statement = statement.where(t.orders.c.status == query.status)
        if query.customer_id:
            statement = statement.where(t.orders.c.customer_id == query.customer_id)
        if query.customer_po:
            statement = statement.where(t.orders.c.customer_po == query.customer_po)
        if query.channel_order_number:
            statement = statement.where(
                t.orders.c.channel_order_number == query.channel_order_number
            )
        if query.after:
            statement = statement.where(t.orders.c.order_id > query.after)
        return [self._row(row) for row in self.c.execute(statement)]

    def with_status(self, status: OrderStatus, limit: int = 1000) -> list[str]:
        rows = self.c.execute(
            select(t.orders.c.order_id).where(t.orders.c.status == status.value).limit(limit)
        )
        return [str(row[0]) for row in rows]

    def quarantine(self, order_id: str, reason: str) -> None:
        self.c.execute(
            update(t.orders)
            .where(t.orders.c.order_id == order_id)
            .values(quarantined=True, quarantine_reason=reason)
        )

    def count_by_status(self) -> dict[str, int]:
        rows = self.c.execute(
            select(t.orders.c.status, func.count()).group_by(t.orders.c.status)
        ).all()
        return {str(status): int(count) for status, count in rows}


class SqlInboxRepository(_Repository):
    """Messages for workflows."""

    def append(
        self,
        *,
        order_id: str,
        kind: str,
        body: dict[str, Any],
        source: str,
        dedupe_key: str | None,
        causation_id: str,
        now: datetime,
    ) -> int | None:
        values = {
            "order_id": order_id,
            "kind": kind,
            "body": _json(body),
            "source": source,
            "dedupe_key": dedupe_key,
            "causation_id": causation_id,
            "received_at": now,
        }
        statement = _INBOX_APPEND.get(self.dialect)
        if statement is None:
            dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
            statement = _INBOX_APPEND[self.dialect] = (
                dialect_insert(t.inbox).on_conflict_do_nothing().returning(t.inbox.c.message_id)
            )
        row = self.c.execute(statement, values).first()
        return None if row is None else int(row[0])

    def pending_orders(self, limit: int) -> list[str]:
        first = func.min(t.inbox.c.message_id)
        rows = self.c.execute(
            select(t.inbox.c.order_id, first)
            .join(t.orders, t.orders.c.order_id == t.inbox.c.order_id)
            .where(t.inbox.c.processed_at.is_(None), t.orders.c.quarantined.is_(False))
            .group_by(t.inbox.c.order_id)
            .order_by(first)
            .limit(limit)
        )
        return [str(row[0]) for row in rows]

    def pending_for(self, order_ids: Sequence[str]) -> list[InboxRecord]:
        rows = self.c.execute(
            select(t.inbox)
            .where(t.inbox.c.order_id.in_(list(order_ids)), t.inbox.c.processed_at.is_(None))
            .order_by(t.inbox.c.message_id)
        )
        return [
            InboxRecord(
                message_id=row.message_id,
                order_id=row.order_id,
                kind=row.kind,
                body=_load(row.body),
                source=row.source,
                causation_id=row.causation_id,
                received_at=row.received_at,
                attempts=row.attempts,
            )
            for row in rows
        ]

    def mark_processed(self, message_ids: Sequence[int], now: datetime) -> None:
        if message_ids:
            self.c.execute(
                update(t.inbox)
                .where(t.inbox.c.message_id.in_(list(message_ids)))
                .values(processed_at=now)
            )

    def record_failure(self, message_id: int, error: str) -> int:
        self.c.execute(
            update(t.inbox)
            .where(t.inbox.c.message_id == message_id)
            .values(attempts=t.inbox.c.attempts + 1, last_error=error[:2000])
        )
        attempts = self.c.execute(
            select(t.inbox.c.attempts).where(t.inbox.c.message_id == message_id)
        ).scalar_one()
        return int(attempts)

    def backlog(self) -> int:
        return int(
            self.c.execute(
                select(func.count()).select_from(t.inbox).where(t.inbox.c.processed_at.is_(None))
            ).scalar_one()
        )


def _delivery(row: Any) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_id=row.delivery_id,
        order_id=row.order_id,
        system=row.system,
        operation=row.operation,
        idempotency_key=row.idempotency_key,
        command=_load(row.command),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        causation_id=row.causation_id,
        last_error=row.last_error,
    )


class SqlDeliveryRepository(_Repository):
    """Per-system delivery queues."""

    def enqueue(self, record: DeliveryRecord) -> bool:
        # A repeat of a command already queued or done is dropped (its key says it is the same
        # command); a repeat of one that failed re-arms it: an operator released the order. A
        # re-armed delivery is queued anew: its attempts and its retry deadline start over.
        command = _json(record.command)
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
        opened = ("pending", "in_flight")
        earlier = d.alias("earlier")
        # Only the head of each order's line: a later command for an order waits until the
        # earlier one is done (per-order order). Filtering heads and due-ness in the query, not
        # over a window of the queue, keeps deliveries that back off from starving the rest.
        is_head = ~exists().where(
            earlier.c.system == system,
            earlier.c.order_id == d.c.order_id,
            earlier.c.status.in_(opened),
            earlier.c.seq < d.c.seq,
        )
        open_rows = select(d).where(
            d.c.system == system,
            d.c.status.in_(opened),
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
        claimed = [_delivery(row) for row in due]
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
                d.c.system == system, d.c.status.in_(("pending", "in_flight"))
            )
        ).scalar_one_or_none()
        if value is None:
            return None
        # func.min over a coalesce loses the column type on SQLite: coerce back to aware UTC.
        return cast(datetime, t.UtcDateTime().process_result_value(value, self.c.dialect))

    def systems_with_work(self) -> list[str]:
        d = t.deliveries
        rows = self.c.execute(
            select(d.c.system).where(d.c.status.in_(("pending", "in_flight"))).distinct()
        )
        return [str(row[0]) for row in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        d = t.deliveries
        counts: dict[str, dict[str, int]] = {}
        for system, status, count in self.c.execute(
            select(d.c.system, d.c.status, func.count()).group_by(d.c.system, d.c.status)
        ):
            counts.setdefault(str(system), {})[str(status)] = int(count)
        return counts

    def for_order(self, order_id: str) -> list[DeliveryRecord]:
        rows = self.c.execute(
            select(t.deliveries)
            .where(t.deliveries.c.order_id == order_id)
            .order_by(t.deliveries.c.seq)
        )
        return [_delivery(row) for row in rows]


def _outbox(row: Any) -> OutboxRecord:
    return OutboxRecord(
        seq=row.seq,
        event_id=row.event_id,
        order_id=row.order_id,
        type=row.type,
        data=_load(row.data),
        created_at=row.created_at,
        causation_id=row.causation_id,
    )


def _leased(claimed_until: datetime | None, now: datetime) -> bool:
    return claimed_until is not None and claimed_until > now


class SqlOutboxRepository(_Repository):
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
                "data": _json(data),
                "causation_id": causation_id,
                "created_at": now,
            },
        )
        return event_id

    def _records(self, statement: Any) -> list[OutboxRecord]:
        return [_outbox(row) for row in self.c.execute(statement)]

    def unpublished(self, limit: int) -> list[OutboxRecord]:
        o = t.outbox
        return self._records(
            select(o).where(o.c.published_at.is_(None)).order_by(o.c.seq).limit(limit)
        )

    def claim(self, limit: int, now: datetime, lease_until: datetime) -> list[OutboxRecord]:
        o = t.outbox
        oldest = select(o).where(o.c.published_at.is_(None)).order_by(o.c.seq).limit(limit)
        if self.dialect == "postgresql":
            # A relay claiming at the same moment skips these rows instead of reading them
            # as unclaimed from its snapshot, and then finds the head taken (below).
            oldest = oldest.with_for_update(skip_locked=True)
        rows = self.c.execute(oldest).all()
        if not rows:
            return []
        head = self.c.execute(
            select(func.min(o.c.seq)).where(o.c.published_at.is_(None))
        ).scalar_one()
        # One relay at a time, from the oldest event on: when another relay holds the head
        # (locked right now, or leased), publishing the rest would overtake its events.
        if rows[0].seq != head or _leased(rows[0].claimed_until, now):
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
        return [_outbox(row) for row in free]

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


class SqlTimerRepository(_Repository):
    """Workflow deadlines."""

    def schedule(self, order_id: str, name: str, due_at: datetime) -> None:
        self._upsert(
            t.timers, [{"order_id": order_id, "name": name, "due_at": due_at}], ["order_id", "name"]
        )

    def cancel(self, order_id: str, name: str) -> None:
        self.c.execute(
            delete(t.timers).where(t.timers.c.order_id == order_id, t.timers.c.name == name)
        )

    def take_due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        due_rows = (
            select(t.timers.c.order_id, t.timers.c.name)
            .where(t.timers.c.due_at <= now)
            .order_by(t.timers.c.due_at, t.timers.c.order_id, t.timers.c.name)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            # Pollers in other processes skip the timers this one took (and, once it commits,
            # no longer see them), so each timer fires once.
            due_rows = due_rows.with_for_update(skip_locked=True)
        rows = self.c.execute(due_rows).all()
        due = [(str(order_id), str(name)) for order_id, name in rows]
        for order_id, name in due:
            self.cancel(order_id, name)
        return due

    def next_due(self) -> datetime | None:
        return cast(
            datetime | None, self.c.execute(select(func.min(t.timers.c.due_at))).scalar_one()
        )


class SqlTimelineRepository(_Repository):
    """Order timelines."""

    def append(self, entries: Sequence[TimelineEntry]) -> None:
        if not entries:
            return
        self.c.execute(
            insert(t.timeline),
            [
                {
                    "order_id": entry.order_id,
                    "at": entry.at,
                    "kind": entry.kind,
                    "system": entry.system,
                    "summary": entry.summary,
                    "rule": entry.rule,
                    "correlation_id": entry.correlation_id or entry.order_id,
                    "causation_id": entry.causation_id,
                    "detail": _json(entry.detail),
                }
                for entry in entries
            ],
        )

    def for_order(self, order_id: str) -> list[TimelineEntry]:
        rows = self.c.execute(
            select(t.timeline)
            .where(t.timeline.c.order_id == order_id)
            .order_by(t.timeline.c.entry_id)
        )
        return [
            TimelineEntry(
                entry_id=row.entry_id,
                order_id=row.order_id,
                at=row.at,
                kind=row.kind,
                system=row.system,
                summary=row.summary,
                rule=row.rule,
                correlation_id=row.correlation_id,
                causation_id=row.causation_id,
                detail=_load(row.detail),
            )
            for row in rows
        ]


class SqlInventoryRepository(_Repository):
    """Stock positions and atomic reservations."""

    def upsert_positions(self, positions: Sequence[InventoryPosition], now: datetime) -> list[str]:
        i = t.inventory
        raised: list[str] = []
        # (sku, location) order: the order reservations lock rows in, so a sync and a step batch
        # wait for each other instead of deadlocking.
        for position in sorted(positions, key=lambda p: (p.sku, p.location)):
            on_hand, safety = to_scaled(position.on_hand), to_scaled(position.safety_stock)
            created = self._insert_ignore(
                i,
                {
                    "sku": position.sku,
                    "location": position.location,
                    "on_hand": on_hand,
                    "reserved": 0,
                    "safety_stock": safety,
                    "updated_at": now,
                },
            )
            if created:
                raised.append(f"{position.sku}@{position.location}")
                continue
            current = self.c.execute(
                select(i.c.on_hand, i.c.safety_stock).where(
                    i.c.sku == position.sku, i.c.location == position.location
                )
            ).one()
            if (current.on_hand, current.safety_stock) == (on_hand, safety):
                continue
            if on_hand - safety > current.on_hand - current.safety_stock:
                raised.append(f"{position.sku}@{position.location}")
            self.c.execute(
                update(i)
                .where(i.c.sku == position.sku, i.c.location == position.location)
                .values(on_hand=on_hand, safety_stock=safety, updated_at=now)
            )
        return raised

    def reserve(self, order_id: str, lines: Sequence[ReservationLine]) -> bool:
        if not lines:
            return True
        i = t.inventory
        wanted: dict[tuple[str, str], int] = {}
        for line in lines:
            key = (line.sku, line.location)
            wanted[key] = wanted.get(key, 0) + to_scaled(line.quantity)
        # A savepoint makes the order all-or-nothing: one short SKU undoes the others.
        savepoint = self.c.begin_nested()
        for (sku, location), quantity in sorted(wanted.items()):
            held = self.c.execute(
                update(i)
                .where(
                    i.c.sku == sku,
                    i.c.location == location,
                    i.c.on_hand - i.c.reserved - i.c.safety_stock >= quantity,
                )
                .values(reserved=i.c.reserved + quantity)
            ).rowcount
            if held != 1:
                savepoint.rollback()
                return False
        self.c.execute(
            insert(t.reservations),
            [
                {
                    "order_id": order_id,
                    "line_no": line.line_no,
                    "sku": line.sku,
                    "location": line.location,
                    "quantity": to_scaled(line.quantity),
                }
                for line in lines
            ],
        )
        savepoint.commit()
        return True

    def reserved_for(self, order_id: str) -> list[ReservationLine]:
        r = t.reservations
        rows = self.c.execute(select(r).where(r.c.order_id == order_id).order_by(r.c.line_no))
        return [
            ReservationLine(
                line_no=row.line_no,
                sku=row.sku,
                location=row.location,
                quantity=from_scaled(row.quantity),
            )
            for row in rows
        ]

    def release(self, order_id: str) -> list[ReservationLine]:
        held = self.reserved_for(order_id)
        i = t.inventory
        for line in held:
            quantity = to_scaled(line.quantity)
            self.c.execute(
                update(i)
                .where(i.c.sku == line.sku, i.c.location == line.location)
                .values(reserved=func.max(i.c.reserved - quantity, 0))
                if self.dialect == "sqlite"
                else update(i)
                .where(i.c.sku == line.sku, i.c.location == line.location)
                .values(reserved=func.greatest(i.c.reserved - quantity, 0))
            )
        self.c.execute(delete(t.reservations).where(t.reservations.c.order_id == order_id))
        return [line for line in held if line.quantity > 0]

    def consume(self, order_id: str, lines: Sequence[ReservationLine]) -> None:
        held = {line.line_no: line for line in self.reserved_for(order_id)}
        for line in lines:
            shipped = to_scaled(line.quantity)
            reservation = held.get(line.line_no)
            from_reservation = min(shipped, to_scaled(reservation.quantity)) if reservation else 0
            if reservation is not None:
                # The same line may be shipped twice in one call: the second takes what is left.
                held[line.line_no] = reservation.model_copy(
                    update={"quantity": reservation.quantity - from_scaled(from_reservation)}
                )
            self.c.execute(
                _CONSUME_STOCK,
                {
                    "b_sku": line.sku,
                    "b_location": line.location,
                    "b_on_hand": shipped,
                    "b_reserved": from_reservation,
                },
            )
            if reservation is not None:
                self.c.execute(
                    _CONSUME_RESERVATION,
                    {
                        "b_order_id": order_id,
                        "b_line_no": line.line_no,
                        "b_quantity": from_reservation,
                    },
                )

    def positions(
        self, skus: Sequence[str], location: str | None = None
    ) -> list[InventoryPosition]:
        i = t.inventory
        statement = select(i).where(i.c.sku.in_(list(skus))).order_by(i.c.sku, i.c.location)
        if location is not None:
            statement = statement.where(i.c.location == location)
        return [
            InventoryPosition(
                sku=row.sku,
                location=row.location,
                on_hand=from_scaled(row.on_hand),
                reserved=from_scaled(row.reserved),
                safety_stock=from_scaled(row.safety_stock),
            )
            for row in self.c.execute(statement)
        ]


class SqlMasterDataRepository(_Repository):
    """Customer, product and price read models."""

    def upsert_customers(self, customers: Sequence[Customer]) -> None:
        self._upsert(
            t.customers,
            [
                {"customer_id": c.customer_id, "email": c.email.lower(), "doc": c.model_dump_json()}
                for c in customers
            ],
            ["customer_id"],
        )

    def upsert_products(self, products: Sequence[Product]) -> None:
        self._upsert(
            t.products, [{"sku": p.sku, "doc": p.model_dump_json()} for p in products], ["sku"]
        )

    def upsert_prices(self, prices: Sequence[Price]) -> None:
        self._upsert(
            t.prices,
            [
                {
                    "sku": p.sku,
                    "currency": p.currency,
                    "customer_id": p.customer_id or "",
                    "doc": p.model_dump_json(),
                }
                for p in prices
            ],
            ["sku", "currency", "customer_id"],
        )

    def customer(self, customer_id: str) -> Customer | None:
        doc = self.c.execute(
            select(t.customers.c.doc).where(t.customers.c.customer_id == customer_id)
        ).scalar_one_or_none()
        return None if doc is None else Customer.model_validate_json(doc)

    def customer_by_email(self, email: str) -> Customer | None:
        doc = self.c.execute(
            select(t.customers.c.doc).where(t.customers.c.email == email.lower()).limit(1)
        ).scalar_one_or_none()
        return None if doc is None else Customer.model_validate_json(doc)

    def products(self, skus: Sequence[str]) -> dict[str, Product]:
        rows = self.c.execute(select(t.products.c.doc).where(t.products.c.sku.in_(list(skus))))
        found = (Product.model_validate_json(doc) for (doc,) in rows)
        return {product.sku: product for product in found}

    def prices(self, skus: Sequence[str], currency: str, customer_id: str) -> dict[str, Price]:
        p = t.prices
        rows = self.c.execute(
            select(p.c.doc, p.c.customer_id).where(
                p.c.sku.in_(list(skus)),
                p.c.currency == currency,
                or_(p.c.customer_id == "", p.c.customer_id == customer_id),
            )
        )
        chosen: dict[str, Price] = {}
        for doc, owner in sorted(rows, key=lambda row: row[1] != ""):
            price = Price.model_validate_json(doc)
            if owner or price.sku not in chosen:
                chosen[price.sku] = price
        return chosen

    def counts(self) -> dict[str, int]:
        return {
            name: int(self.c.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in (
                ("customers", t.customers),
                ("products", t.products),
                ("prices", t.prices),
            )
        }
