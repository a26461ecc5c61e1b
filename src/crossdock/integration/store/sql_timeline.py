"""Workflow timers and order timelines, in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, delete, func, insert, select

from crossdock.integration.store import schema as t
from crossdock.integration.store.sql_repository import SqlRepository, dump_json, load_json
from crossdock.orchestration.store import (
    TimelineEntry,
)


class SqlTimerRepository(SqlRepository):
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


class SqlTimelineRepository(SqlRepository):
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
                    "detail": dump_json(entry.detail),
                }
                for entry in entries
            ],
        )

    def for_order(self, order_id: str) -> list[TimelineEntry]:
        return self._entries(
            select(t.timeline)
            .where(t.timeline.c.order_id == order_id)
            .order_by(t.timeline.c.entry_id)
        )

    def of_kind(self, order_ids: Sequence[str], kind: str) -> list[TimelineEntry]:
        if not order_ids:
            return []
        return self._entries(
            select(t.timeline)
            .where(t.timeline.c.order_id.in_(order_ids), t.timeline.c.kind == kind)
            .order_by(t.timeline.c.entry_id)
        )

    def _entries(self, statement: Select[Any]) -> list[TimelineEntry]:
        rows = self.c.execute(statement)
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
                detail=load_json(row.detail),
            )
            for row in rows
        ]
