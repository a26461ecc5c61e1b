"""Orders and the inbox of a :class:`~.memory.MemoryStore`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from itertools import islice
from typing import Any

from crossdock.core.order import Order, OrderStatus
from crossdock.integration.store.memory_tables import (
    ERROR_LIMIT,
    MemoryTables,
    MessageRecord,
    OrderRecord,
    encode,
    utc,
)
from crossdock.integration.store.records import inbox_record
from crossdock.orchestration.store import ConcurrencyConflict, InboxRecord, OrderQuery, OrderRow
from crossdock.orchestration.workflow import OrderState


def _row(record: OrderRecord) -> OrderRow:
    # Parsed from the stored documents on every read: the caller gets its own objects.
    state = None if record.state_doc is None else OrderState.model_validate_json(record.state_doc)
    return OrderRow(
        order_id=record.order_id,
        channel=record.channel,
        channel_order_number=record.channel_order_number,
        customer_id=record.customer_id,
        customer_po=record.customer_po,
        status=OrderStatus(record.status),
        version=record.version,
        received_at=record.received_at,
        updated_at=record.updated_at,
        closed_at=record.closed_at,
        order=state.order if state is not None else Order.model_validate_json(record.order_doc),
        state=state,
    )


class MemoryOrderRepository:
    """Orders and their workflow state."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def add(self, order: Order) -> bool:
        number = (order.channel, order.channel_order_number)
        if order.order_id in self.t.orders or number in self.t.channel_numbers:
            return False
        received_at = utc(order.received_at)
        self.t.orders.put(
            order.order_id,
            OrderRecord(
                order_id=order.order_id,
                channel=order.channel,
                channel_order_number=order.channel_order_number,
                customer_id=order.customer_id,
                customer_po=order.customer_po,
                status=OrderStatus.RECEIVED.value,
                version=0,
                quarantined=False,
                quarantine_reason="",
                order_doc=order.model_dump_json(),
                state_doc=None,
                received_at=received_at,
                updated_at=received_at,
                closed_at=None,
            ),
        )
        self.t.channel_numbers.put(number, order.order_id)
        return True

    def find_by_channel_number(self, channel: str, number: str) -> str | None:
        return self.t.channel_numbers.get((channel, number))

    def exists(self, order_id: str) -> bool:
        return order_id in self.t.orders

    def get(self, order_id: str) -> OrderRow | None:
        record = self.t.orders.get(order_id)
        return None if record is None else _row(record)

    def lock(self, order_ids: Sequence[str], limit: int | None = None) -> list[OrderRow]:
        # Writers are serialised, so no order is ever held by another worker: nothing to skip
        # but quarantined orders. Rows come back in order id order, as SQLite returns them.
        found = (self.t.orders.get(order_id) for order_id in sorted(set(order_ids)))
        rows = [_row(record) for record in found if record is not None and not record.quarantined]
        return rows if limit is None else rows[:limit]

    def save(self, state: OrderState, expected_version: int, now: datetime) -> None:
        order_id = state.order.order_id
        record = self.t.orders.get(order_id)
        if record is None or record.version != expected_version:
            raise ConcurrencyConflict(order_id)
        self.t.orders.put(
            order_id,
            replace(
                record,
                status=state.status.value,
                version=state.version,
                state_doc=state.model_dump_json(),
                updated_at=utc(now),
                closed_at=None if state.closed_at is None else utc(state.closed_at),
            ),
        )

    def search(self, query: OrderQuery) -> list[OrderRow]:
        wanted = {
            "status": query.status,
            "channel": query.channel,
            "customer_id": query.customer_id,
            "customer_po": query.customer_po,
            "channel_order_number": query.channel_order_number,
        }
        filters = {name: value for name, value in wanted.items() if value}
        matching = (
            record
            for order_id, record in sorted(self.t.orders.items())
            if (not query.after or order_id > query.after)
            and (query.received_from is None or record.received_at >= query.received_from)
            and (query.received_until is None or record.received_at < query.received_until)
            and (query.customer_ids is None or record.customer_id in query.customer_ids)
            and all(getattr(record, name) == value for name, value in filters.items())
        )
        return [_row(record) for record in islice(matching, max(query.limit, 0))]

    def with_status(self, status: OrderStatus, limit: int = 1000) -> list[str]:
        # Arrival order, as SQLite's status index returns them (the port promises no order).
        matching = (r.order_id for r in self.t.orders.values() if r.status == status.value)
        return list(islice(matching, max(limit, 0)))

    def release_quarantine(self, order_id: str) -> bool:
        record = self.t.orders.get(order_id)
        if record is None or not record.quarantined:
            return False
        self.t.orders.put(order_id, replace(record, quarantined=False, quarantine_reason=""))
        return True

    def quarantine(self, order_id: str, reason: str) -> None:
        record = self.t.orders.get(order_id)
        if record is not None:
            self.t.orders.put(order_id, replace(record, quarantined=True, quarantine_reason=reason))

    def count_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.t.orders.values():
            counts[record.status] = counts.get(record.status, 0) + 1
        return counts


class MemoryInboxRepository:
    """Messages for workflows, deduplicated, processed in order per order."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

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
        document, received_at = encode(body), utc(now)
        if dedupe_key is not None and dedupe_key in self.t.dedupe_keys:
            return None
        message_id = self.t.allocate("message_id")
        self.t.inbox.put(
            message_id,
            MessageRecord(
                message_id=message_id,
                order_id=order_id,
                kind=kind,
                body=document,
                source=source,
                dedupe_key=dedupe_key,
                causation_id=causation_id,
                received_at=received_at,
            ),
        )
        if dedupe_key is not None:
            self.t.dedupe_keys.put(dedupe_key, message_id)
        waiting = self.t.open_inbox.get(order_id) or ()
        self.t.open_inbox.put(order_id, (*waiting, message_id))
        return message_id

    def pending_orders(self, limit: int) -> list[str]:
        # Messages of orders that were never stored wait, as in SQL (an inner join), unlisted.
        ready = [
            (message_ids[0], order_id)
            for order_id, message_ids in self.t.open_inbox.items()
            if (order := self.t.orders.get(order_id)) is not None and not order.quarantined
        ]
        return [order_id for _, order_id in sorted(ready)[: max(limit, 0)]]

    def pending_for(self, order_ids: Sequence[str]) -> list[InboxRecord]:
        message_ids = sorted(
            message_id
            for order_id in set(order_ids)
            for message_id in self.t.open_inbox.get(order_id) or ()
        )
        records = (self.t.inbox[message_id] for message_id in message_ids)
        return [inbox_record(record) for record in records]

    def mark_processed(self, message_ids: Sequence[int], now: datetime) -> None:
        processed_at = utc(now)
        for message_id in message_ids:
            record = self.t.inbox.get(message_id)
            if record is None:
                continue
            self.t.inbox.put(message_id, replace(record, processed_at=processed_at))
            still_open = tuple(
                n for n in self.t.open_inbox.get(record.order_id) or () if n != message_id
            )
            if still_open:
                self.t.open_inbox.put(record.order_id, still_open)
            else:
                self.t.open_inbox.delete(record.order_id)

    def _failed_records(self, order_id: str) -> list[MessageRecord]:
        waiting = (self.t.inbox[n] for n in self.t.open_inbox.get(order_id) or ())
        return [record for record in waiting if record.attempts > 0]

    def reset_failures(self, order_id: str) -> int:
        failed = self._failed_records(order_id)
        for record in failed:
            self.t.inbox.put(record.message_id, replace(record, attempts=0, last_error=""))
        return len(failed)

    def failed(self, order_id: str) -> list[InboxRecord]:
        return [inbox_record(record) for record in self._failed_records(order_id)]

    def record_failure(self, message_id: int, error: str) -> int:
        record = self.t.inbox.get(message_id)
        if record is None:
            raise KeyError(f"no inbox message {message_id}")
        attempts = record.attempts + 1
        self.t.inbox.put(
            message_id, replace(record, attempts=attempts, last_error=error[:ERROR_LIMIT])
        )
        return attempts

    def backlog(self) -> int:
        return sum(len(message_ids) for message_ids in self.t.open_inbox.values())
