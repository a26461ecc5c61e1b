"""The exception queue, bindings and system states of a :class:`~.memory.MemoryStore`."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from crossdock.integration.store.memory_tables import ExceptionRow, MemoryTables, utc
from crossdock.integration.store.records import exception_columns, exception_record
from crossdock.orchestration.store_ops import (
    ERROR_LIMIT,
    Binding,
    ExceptionChange,
    ExceptionQuery,
    ExceptionRecord,
    SystemState,
    changed,
    exception_matches,
    reopened,
    same_failure,
)


def _row(record: ExceptionRecord) -> ExceptionRow:
    return ExceptionRow(tuple(exception_columns(record).items()))


class MemoryExceptionRepository:
    """The exception queue."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def _records(self) -> list[ExceptionRecord]:
        return [exception_record(row) for row in self.t.exceptions.values()]

    def raise_exception(self, record: ExceptionRecord) -> ExceptionRecord:
        record = replace(record, first_seen=utc(record.first_seen), last_seen=utc(record.last_seen))
        for current in self._records():
            if same_failure(current, record):
                updated = reopened(current, record)
                self.t.exceptions.put(current.exception_id, _row(updated))
                return updated
        stored = replace(
            record,
            exception_id=record.exception_id or str(uuid.uuid4()),
            error=record.error[:ERROR_LIMIT],
            updated_at=record.last_seen,
        )
        self.t.exceptions.put(stored.exception_id, _row(stored))
        return stored

    def get(self, exception_id: str) -> ExceptionRecord | None:
        row = self.t.exceptions.get(exception_id)
        return None if row is None else exception_record(row)

    def search(self, query: ExceptionQuery) -> list[ExceptionRecord]:
        query = replace(
            query,
            since=None if query.since is None else utc(query.since),
            until=None if query.until is None else utc(query.until),
        )
        found = [record for record in self._records() if exception_matches(record, query)]
        found.sort(key=lambda record: record.exception_id)
        found.sort(key=lambda record: record.last_seen, reverse=True)
        return found[query.offset : query.offset + query.limit]

    def change(
        self, exception_id: str, change: ExceptionChange, now: datetime
    ) -> ExceptionRecord | None:
        current = self.get(exception_id)
        if current is None:
            return None
        updated = changed(current, change, utc(now))
        self.t.exceptions.put(exception_id, _row(updated))
        return updated

    def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for record in self._records():
            by_status = counts.setdefault(record.system, {})
            by_status[record.status] = by_status.get(record.status, 0) + 1
        return counts


class MemoryBindingRepository:
    """Our ids and every system's ids for the same thing."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def bind(self, binding: Binding) -> bool:
        key = (binding.order_id, binding.system, binding.kind)
        if key in self.t.bindings:
            return False
        self.t.bindings.put(key, replace(binding, bound_at=utc(binding.bound_at)))
        return True

    def for_order(self, order_id: str) -> list[Binding]:
        found = [b for (order, _, _), b in self.t.bindings.items() if order == order_id]
        return sorted(found, key=lambda b: (b.bound_at, b.system, b.kind))

    def lookup(self, system: str, kind: str, external_id: str) -> str | None:
        for binding in self.t.bindings.values():
            if (binding.system, binding.kind, binding.external_id) == (system, kind, external_id):
                return binding.order_id
        return None

    def get(self, order_id: str, system: str, kind: str) -> Binding | None:
        return self.t.bindings.get((order_id, system, kind))

    def find(self, external_id: str, limit: int = 20) -> list[Binding]:
        found = [b for b in self.t.bindings.values() if b.external_id == external_id]
        return sorted(found, key=lambda b: (b.bound_at, b.order_id, b.system, b.kind))[:limit]


class MemorySystemStateRepository:
    """The shared state of each external system (one writer at a time, so no row lock)."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def get(self, system: str, *, for_update: bool = False) -> SystemState:
        return self.t.system_states.get(system) or SystemState(system=system)

    def save(self, state: SystemState) -> None:
        self.t.system_states.put(state.system, state)

    def all(self) -> list[SystemState]:
        return sorted(self.t.system_states.values(), key=lambda state: state.system)
