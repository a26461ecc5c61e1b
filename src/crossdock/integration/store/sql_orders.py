"""Orders and their inbox of workflow messages, in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crossdock.core.order import Order, OrderStatus
from crossdock.integration.store import schema as t
from crossdock.integration.store.records import inbox_record
from crossdock.integration.store.sql_repository import SqlRepository, dump_json
from crossdock.orchestration.store import (
    ConcurrencyConflict,
    InboxRecord,
    OrderQuery,
    OrderRow,
)
from crossdock.orchestration.workflow import OrderState

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


_EXISTS = select(t.orders.c.order_id).where(t.orders.c.order_id == bindparam("b_order_id"))


_INBOX_APPEND: dict[str, Any] = {}


class SqlOrderRepository(SqlRepository):
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
        if query.channel:
            statement = statement.where(t.orders.c.channel == query.channel)
        if query.customer_id:
            statement = statement.where(t.orders.c.customer_id == query.customer_id)
        if query.customer_po:
            statement = statement.where(t.orders.c.customer_po == query.customer_po)
        if query.channel_order_number:
            statement = statement.where(
                t.orders.c.channel_order_number == query.channel_order_number
            )
        if query.received_from is not None:
            statement = statement.where(t.orders.c.received_at >= query.received_from)
        if query.received_until is not None:
            statement = statement.where(t.orders.c.received_at < query.received_until)
        if query.customer_ids is not None:
            statement = statement.where(t.orders.c.customer_id.in_(sorted(query.customer_ids)))
        if query.after:
            statement = statement.where(t.orders.c.order_id > query.after)
        return [self._row(row) for row in self.c.execute(statement)]

    def with_status(self, status: OrderStatus, limit: int = 1000) -> list[str]:
        rows = self.c.execute(
            select(t.orders.c.order_id).where(t.orders.c.status == status.value).limit(limit)
        )
        return [str(row[0]) for row in rows]

    def release_quarantine(self, order_id: str) -> bool:
        released = self.c.execute(
            update(t.orders)
            .where(t.orders.c.order_id == order_id, t.orders.c.quarantined.is_(True))
            .values(quarantined=False, quarantine_reason="")
        ).rowcount
        return bool(released)

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


class SqlInboxRepository(SqlRepository):
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
            "body": dump_json(body),
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
        return [inbox_record(row) for row in rows]

    def mark_processed(self, message_ids: Sequence[int], now: datetime) -> None:
        if message_ids:
            self.c.execute(
                update(t.inbox)
                .where(t.inbox.c.message_id.in_(list(message_ids)))
                .values(processed_at=now)
            )

    def reset_failures(self, order_id: str) -> int:
        i = t.inbox
        return int(
            self.c.execute(
                update(i)
                .where(i.c.order_id == order_id, i.c.processed_at.is_(None), i.c.attempts > 0)
                .values(attempts=0, last_error="")
            ).rowcount
        )

    def failed(self, order_id: str) -> list[InboxRecord]:
        i = t.inbox
        rows = self.c.execute(
            select(i)
            .where(i.c.order_id == order_id, i.c.processed_at.is_(None), i.c.attempts > 0)
            .order_by(i.c.message_id)
        )
        return [inbox_record(row) for row in rows]

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
