"""The exception queue, bindings and shared system states, in SQL."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from sqlalchemy import cast, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import JSONB

from crossdock.integration.store import schema as t
from crossdock.integration.store.records import (
    SYSTEM_STATE_COLUMNS,
    binding_record,
    exception_columns,
    exception_record,
    system_state,
)
from crossdock.integration.store.sql_repository import SqlRepository
from crossdock.orchestration.store_ops import (
    ERROR_LIMIT,
    REOPENABLE,
    Binding,
    ExceptionChange,
    ExceptionQuery,
    ExceptionRecord,
    SystemState,
    changed,
    reopened,
)


class SqlExceptionRepository(SqlRepository):
    """The exception queue."""

    def raise_exception(self, record: ExceptionRecord) -> ExceptionRecord:
        e = t.exceptions
        # A failure that comes back after a replay reopens the same exception: one per delivery
        # (or per failing message), however often it is replayed, until someone resolves it.
        same = select(e).where(e.c.status.in_(REOPENABLE), e.c.order_id == record.order_id)
        if record.source == "delivery":
            same = same.where(e.c.source == "delivery", e.c.delivery_id == record.delivery_id)
        else:
            same = same.where(e.c.source == "step", e.c.operation == record.operation)
        known = self.c.execute(same.limit(1)).first()
        if known is not None:
            current = exception_record(known)
            updated = reopened(current, record)
            columns = exception_columns(updated)
            self.c.execute(
                update(e).where(e.c.exception_id == current.exception_id).values(**columns)
            )
            return updated
        stored = replace(
            record,
            exception_id=record.exception_id or str(uuid.uuid4()),
            error=record.error[:ERROR_LIMIT],
            updated_at=record.last_seen,
        )
        self.c.execute(insert(e).values(**exception_columns(stored)))
        return stored

    def get(self, exception_id: str) -> ExceptionRecord | None:
        row = self.c.execute(
            select(t.exceptions).where(t.exceptions.c.exception_id == exception_id)
        ).first()
        return None if row is None else exception_record(row)

    def search(self, query: ExceptionQuery) -> list[ExceptionRecord]:
        e = t.exceptions
        statement = select(e)
        if query.statuses:
            statement = statement.where(e.c.status.in_(query.statuses))
        equal = {
            "system": query.system,
            "operation": query.operation,
            "order_id": query.order_id,
            "error_type": query.error_type,
            "classification": query.classification,
            "assignee": query.assignee,
        }
        for name, value in equal.items():
            if value is not None:
                statement = statement.where(e.c[name] == value)
        if query.partner is not None:
            statement = statement.where(
                (e.c.channel == query.partner) | (e.c.customer_id == query.partner)
            )
        if query.tag is not None:
            # Tags are a JSON list of strings: membership, exactly (no pattern, case kept).
            if self.dialect == "postgresql":
                statement = statement.where(cast(e.c.tags, JSONB).contains([query.tag]))
            else:
                statement = statement.where(
                    text(
                        "EXISTS (SELECT 1 FROM json_each(exceptions.tags) "
                        "WHERE json_each.value = :tag)"
                    ).bindparams(tag=query.tag)
                )
        if query.since is not None:
            statement = statement.where(e.c.last_seen >= query.since)
        if query.until is not None:
            statement = statement.where(e.c.last_seen < query.until)
        statement = (
            statement.order_by(e.c.last_seen.desc(), e.c.exception_id)
            .limit(query.limit)
            .offset(query.offset)
        )
        return [exception_record(row) for row in self.c.execute(statement)]

    def change(
        self, exception_id: str, change: ExceptionChange, now: datetime
    ) -> ExceptionRecord | None:
        statement = select(t.exceptions).where(t.exceptions.c.exception_id == exception_id)
        if self.dialect == "postgresql":
            # Lock the row before reading what the change applies to: under READ COMMITTED a
            # concurrent change (an operator's resolve, the SLA sweep's alert bookkeeping) that
            # committed after our read would otherwise be overwritten by our whole-row write.
            statement = statement.with_for_update()
        row = self.c.execute(statement).first()
        if row is None:
            return None
        updated = changed(exception_record(row), change, now)
        self.c.execute(
            update(t.exceptions)
            .where(t.exceptions.c.exception_id == exception_id)
            .values(**exception_columns(updated))
        )
        return updated

    def counts(self) -> dict[str, dict[str, int]]:
        e = t.exceptions
        counts: dict[str, dict[str, int]] = {}
        for system, status, count in self.c.execute(
            select(e.c.system, e.c.status, func.count()).group_by(e.c.system, e.c.status)
        ):
            counts.setdefault(str(system), {})[str(status)] = int(count)
        return counts


class SqlBindingRepository(SqlRepository):
    """Our ids and every system's ids for the same thing."""

    def bind(self, binding: Binding) -> bool:
        return self._insert_ignore(
            t.bindings,
            {
                "order_id": binding.order_id,
                "system": binding.system,
                "kind": binding.kind,
                "external_id": binding.external_id,
                "bound_at": binding.bound_at,
            },
        )

    def for_order(self, order_id: str) -> list[Binding]:
        b = t.bindings
        rows = self.c.execute(
            select(b).where(b.c.order_id == order_id).order_by(b.c.bound_at, b.c.system, b.c.kind)
        )
        return [binding_record(row) for row in rows]

    def lookup(self, system: str, kind: str, external_id: str) -> str | None:
        b = t.bindings
        value = self.c.execute(
            select(b.c.order_id)
            .where(b.c.system == system, b.c.kind == kind, b.c.external_id == external_id)
            .limit(1)
        ).scalar_one_or_none()
        return None if value is None else str(value)

    def get(self, order_id: str, system: str, kind: str) -> Binding | None:
        b = t.bindings
        row = self.c.execute(
            select(b).where(b.c.order_id == order_id, b.c.system == system, b.c.kind == kind)
        ).first()
        return None if row is None else binding_record(row)

    def find(self, external_id: str, limit: int = 20) -> list[Binding]:
        b = t.bindings
        rows = self.c.execute(
            select(b)
            .where(b.c.external_id == external_id)
            .order_by(b.c.bound_at, b.c.order_id, b.c.system, b.c.kind)
            .limit(limit)
        )
        return [binding_record(row) for row in rows]


class SqlSystemStateRepository(SqlRepository):
    """The shared state of each external system."""

    def get(self, system: str, *, for_update: bool = False) -> SystemState:
        s = t.system_states
        statement = select(s).where(s.c.system == system)
        if for_update and self.dialect == "postgresql":
            # The row must exist to be locked: insert the default first (a no-op when it does).
            self._insert_ignore(s, {"system": system})
            statement = statement.with_for_update()
        row = self.c.execute(statement).first()
        return SystemState(system=system) if row is None else system_state(row)

    def save(self, state: SystemState) -> None:
        values = {name: getattr(state, name) for name in SYSTEM_STATE_COLUMNS}
        self._upsert(t.system_states, [values], ["system"])

    def all(self) -> list[SystemState]:
        s = t.system_states
        return [system_state(row) for row in self.c.execute(select(s).order_by(s.c.system))]
