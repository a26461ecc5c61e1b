"""Stored rows → the port's records, for every store adapter.

Both adapters keep the same columns (documents as JSON text or bytes), so one builder per record
serves the SQL result rows and the in-memory rows alike.
"""

from __future__ import annotations

from typing import Any, cast

import orjson

from crossdock.orchestration.store import DeliveryRecord, InboxRecord, OutboxRecord
from crossdock.orchestration.store_ops import ERROR_LIMIT, Binding, ExceptionRecord, SystemState


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


def exception_record(row: Any) -> ExceptionRecord:
    """An exception row as the port's record."""
    return ExceptionRecord(
        exception_id=row.exception_id,
        order_id=row.order_id,
        system=row.system,
        operation=row.operation,
        source=row.source,
        delivery_id=row.delivery_id,
        message_id=row.message_id,
        request=document(row.request),
        error=row.error,
        error_type=row.error_type,
        classification=row.classification,
        attempts=row.attempts,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        status=row.status,
        assignee=row.assignee,
        tags=tuple(cast(list[str], orjson.loads(row.tags))),
        channel=row.channel,
        customer_id=row.customer_id,
        note=row.note,
        replays=row.replays,
        updated_at=row.updated_at,
    )


def exception_columns(record: ExceptionRecord) -> dict[str, Any]:
    """An exception record as stored column values (documents as JSON text)."""
    return {
        "exception_id": record.exception_id,
        "order_id": record.order_id,
        "system": record.system,
        "operation": record.operation,
        "source": record.source,
        "delivery_id": record.delivery_id,
        "message_id": record.message_id,
        "request": orjson.dumps(record.request).decode(),
        "error": record.error[:ERROR_LIMIT],
        "error_type": record.error_type,
        "classification": record.classification,
        "attempts": record.attempts,
        "first_seen": record.first_seen,
        "last_seen": record.last_seen,
        "status": record.status,
        "assignee": record.assignee,
        "tags": orjson.dumps(list(record.tags)).decode(),
        "channel": record.channel,
        "customer_id": record.customer_id,
        "note": record.note,
        "replays": record.replays,
        "updated_at": record.updated_at or record.last_seen,
    }


def binding_record(row: Any) -> Binding:
    """A binding row as the port's record."""
    return Binding(
        order_id=row.order_id,
        system=row.system,
        kind=row.kind,
        external_id=row.external_id,
        bound_at=row.bound_at,
    )


SYSTEM_STATE_COLUMNS = tuple(SystemState.__dataclass_fields__)
"""The stored columns of a system state: its fields, one for one."""


def system_state(row: Any) -> SystemState:
    """A system-state row as the port's record."""
    values = {name: getattr(row, name) for name in SYSTEM_STATE_COLUMNS}
    values["paused"] = bool(values["paused"])
    values["tokens"] = float(values["tokens"])
    return SystemState(**values)
