"""The base of the SQL repositories: a connection, its dialect, idempotent inserts."""

from __future__ import annotations

from typing import Any, cast

import orjson
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite


def dump_json(value: dict[str, Any]) -> str:
    """A document as stored (JSON text)."""
    return orjson.dumps(value).decode()


def load_json(text: str) -> dict[str, Any]:
    """A stored document."""
    return cast(dict[str, Any], orjson.loads(text))


_INSERTS: dict[tuple[str, str], Any] = {}
"""``INSERT … ON CONFLICT DO NOTHING RETURNING <key>`` per (dialect, table), built once."""


class SqlRepository:
    """A repository over one connection (the unit of work's transaction)."""

    def __init__(self, connection: Connection) -> None:
        self.c = connection
        self.dialect = connection.dialect.name

    def _insert_ignore(self, table: Any, values: dict[str, Any]) -> bool:
        """INSERT … ON CONFLICT DO NOTHING; whether the row went in.

        Counted by ``RETURNING`` rather than ``rowcount``: on PostgreSQL, SQLAlchemy already adds
        ``RETURNING`` for the primary key, and the cursor then reports no useful row count.
        """
        statement = _INSERTS.get((self.dialect, table.name))
        if statement is None:
            dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
            statement = _INSERTS[(self.dialect, table.name)] = (
                dialect_insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
            )
        return self.c.execute(statement, values).first() is not None

    def _upsert(self, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
        if not rows:
            return
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(table)
        updates = {name: statement.excluded[name] for name in rows[0] if name not in keys}
        self.c.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), rows)
