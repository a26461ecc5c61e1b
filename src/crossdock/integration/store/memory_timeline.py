"""Workflow timers and the order timeline of a :class:`~.memory.MemoryStore`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, cast

from crossdock.integration.store.memory_tables import (
    EntryRecord,
    MemoryTables,
    decode,
    encode,
    utc,
)
from crossdock.orchestration.store import TimelineEntry

TimelineKind = Literal[
    "inbound", "decision", "delivery", "event", "exception", "timer", "system", "operator"
]


class MemoryTimerRepository:
    """Deadlines set by workflows."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def schedule(self, order_id: str, name: str, due_at: datetime) -> None:
        self.t.timers.put((order_id, name), utc(due_at))

    def cancel(self, order_id: str, name: str) -> None:
        self.t.timers.delete((order_id, name))

    def take_due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        now = utc(now)
        # Earliest first, then by order and name, as the SQL adapter sorts them.
        due = sorted(
            (due_at, order_id, name)
            for (order_id, name), due_at in self.t.timers.items()
            if due_at <= now
        )
        taken = [(order_id, name) for _, order_id, name in due[: max(limit, 0)]]
        for key in taken:
            self.t.timers.delete(key)
        return taken

    def next_due(self) -> datetime | None:
        return min(self.t.timers.values(), default=None)


class MemoryTimelineRepository:
    """The order timeline: every message, decision, delivery attempt and exception."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def append(self, entries: Sequence[TimelineEntry]) -> None:
        # Encode every entry before storing any: one bad detail stores none of them.
        prepared = [(entry, utc(entry.at), encode(entry.detail)) for entry in entries]
        added: dict[str, list[EntryRecord]] = {}
        for entry, at, detail in prepared:
            added.setdefault(entry.order_id, []).append(
                EntryRecord(
                    entry_id=self.t.allocate("entry_id"),
                    order_id=entry.order_id,
                    at=at,
                    kind=entry.kind,
                    summary=entry.summary,
                    system=entry.system,
                    rule=entry.rule,
                    # Without a correlation id of its own, an entry is correlated by its order.
                    correlation_id=entry.correlation_id or entry.order_id,
                    causation_id=entry.causation_id,
                    detail=detail,
                )
            )
        for order_id, records in added.items():
            self.t.timeline.put(order_id, (*(self.t.timeline.get(order_id) or ()), *records))

    def for_order(self, order_id: str) -> list[TimelineEntry]:
        return [_entry(record) for record in self.t.timeline.get(order_id) or ()]

    def of_kind(self, order_ids: Sequence[str], kind: str) -> list[TimelineEntry]:
        records = (
            record
            for order_id in dict.fromkeys(order_ids)
            for record in self.t.timeline.get(order_id) or ()
            if record.kind == kind
        )
        return [_entry(record) for record in sorted(records, key=lambda r: r.entry_id)]


def _entry(record: EntryRecord) -> TimelineEntry:
    return TimelineEntry(
        entry_id=record.entry_id,
        order_id=record.order_id,
        at=record.at,
        kind=cast(TimelineKind, record.kind),
        system=record.system,
        summary=record.summary,
        rule=record.rule,
        correlation_id=record.correlation_id,
        causation_id=record.causation_id,
        detail=decode(record.detail),
    )
