"""Outbox records as the relay hands them to a transport."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from crossdock.orchestration.store import OutboxRecord

T0 = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
_seq = itertools.count(1)


def outbox_record(
    name: str, *, order_id: str = "O-1001", causation_id: str = "msg-7"
) -> OutboxRecord:
    """A committed ``crossdock.order.<name>.v1`` event of one order."""
    seq = next(_seq)
    return OutboxRecord(
        seq=seq,
        event_id=f"evt-{order_id}-{seq}-{name}",
        order_id=order_id,
        type=f"crossdock.order.{name}.v1",
        data={"order_id": order_id, "event": name},
        created_at=T0,
        causation_id=causation_id,
    )
