"""Business events as CloudEvents 1.0 (structured JSON), with correlation and causation ids."""

from __future__ import annotations

from typing import Any

from crossdock.orchestration.store import OutboxRecord

SOURCE = "urn:crossdock:hub"


def to_cloudevent(record: OutboxRecord, *, source: str = SOURCE) -> dict[str, Any]:
    """The structured-mode CloudEvent of one outbox record."""
    name = record.type.removeprefix("crossdock.").removesuffix(".v1").replace(".", "/")
    return {
        "specversion": "1.0",
        "id": record.event_id,
        "source": source,
        "type": record.type,
        "subject": record.order_id,
        "time": record.created_at.isoformat(),
        "datacontenttype": "application/json",
        "dataschema": f"urn:crossdock:schema:{name}:v1",
        "correlationid": record.order_id,
        "causationid": record.causation_id,
        "sequence": str(record.seq),
        "data": record.data,
    }


def attribute_headers(event: dict[str, Any]) -> dict[str, str]:
    """The event's attributes as ``ce-<name>`` message headers (every attribute but ``data``;
    empty ones are left out), so a consumer can route and filter without parsing the body."""
    return {
        f"ce-{name}": str(value)
        for name, value in event.items()
        if name != "data" and value not in (None, "")
    }
