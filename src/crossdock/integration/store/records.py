"""Stored rows → the port's records, for every store adapter.

Both adapters keep the same columns (documents as JSON text or bytes), so one builder per record
serves the SQL result rows and the in-memory rows alike.
"""

from __future__ import annotations

from typing import Any, cast

import orjson

from crossdock.orchestration.store import DeliveryRecord, InboxRecord, OutboxRecord


def document(stored: str | bytes) -> dict[str, Any]:
    """A stored JSON document, as a fresh dict (callers cannot change what is stored)."""
    return cast(dict[str, Any], orjson.loads(stored))


def inbox_record(row: Any) -> InboxRecord:
    """An inbox row as the port's record."""
    return InboxRecord(
        message_id=row.message_id,
        order_id=row.order_id,
        kind=row.kind,
        body=document(row.body),
        source=row.source,
        causation_id=row.causation_id,
        received_at=row.received_at,
        attempts=row.attempts,
    )


def delivery_record(row: Any) -> DeliveryRecord:
    """A delivery row as the port's record."""
    return DeliveryRecord(
        delivery_id=row.delivery_id,
        order_id=row.order_id,
        system=row.system,
        operation=row.operation,
        idempotency_key=row.idempotency_key,
        command=document(row.command),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        causation_id=row.causation_id,
        last_error=row.last_error,
    )


def outbox_record(row: Any) -> OutboxRecord:
    """An outbox row as the port's record."""
    return OutboxRecord(
        seq=row.seq,
        event_id=row.event_id,
        order_id=row.order_id,
        type=row.type,
        data=document(row.data),
        created_at=row.created_at,
        causation_id=row.causation_id,
    )
