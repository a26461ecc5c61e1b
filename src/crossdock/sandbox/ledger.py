"""Ledger: every business document a sandbox service received or created."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import orjson

from crossdock.sandbox.database import SandboxDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    external_ref TEXT,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_kind_ref ON ledger (kind, external_ref);
"""


class Ledger:
    """The append-only record behind `GET /_sandbox/ledger`, so anyone can count duplicates."""

    def __init__(self, db: SandboxDatabase) -> None:
        self._db = db
        db.executescript(SCHEMA)

    @staticmethod
    def record(
        conn: sqlite3.Connection,
        *,
        kind: str,
        doc_id: str,
        external_ref: str | None,
        at: datetime,
        body: dict[str, Any],
    ) -> None:
        """Append a document inside the caller's transaction."""
        conn.execute(
            "INSERT INTO ledger (kind, id, external_ref, received_at, body) VALUES (?,?,?,?,?)",
            (kind, doc_id, external_ref, at.isoformat(), orjson.dumps(body).decode()),
        )

    @staticmethod
    def amend(conn: sqlite3.Connection, *, kind: str, doc_id: str, body: dict[str, Any]) -> None:
        """Replace the body of a document already recorded (e.g. the hub's answer arrived)."""
        conn.execute(
            "UPDATE ledger SET body = ? WHERE kind = ? AND id = ?",
            (orjson.dumps(body).decode(), kind, doc_id),
        )

    def documents(self, kind: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT kind, id, external_ref, received_at, body FROM ledger"
        params: tuple[str, ...] = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            params = (kind,)
        return [
            {
                "kind": row["kind"],
                "id": row["id"],
                "external_ref": row["external_ref"],
                "received_at": row["received_at"],
                "body": orjson.loads(row["body"]),
            }
            for row in self._db.query(sql + " ORDER BY seq", params)
        ]
