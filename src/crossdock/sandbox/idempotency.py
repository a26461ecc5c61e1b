"""IdempotencyStore: Stripe-style `Idempotency-Key` handling for the systems that have it."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from crossdock.sandbox.database import SandboxDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
"""


@dataclass(frozen=True, kw_only=True)
class StoredResponse:
    """The first answer given for a key, replayed verbatim on a retry."""

    fingerprint: str
    status: int
    body: dict[str, Any]


class IdempotencyStore:
    """Remembers, per scope (an endpoint) and key, the request fingerprint and the response."""

    def __init__(self, db: SandboxDatabase) -> None:
        db.executescript(SCHEMA)

    @staticmethod
    def fingerprint(payload: Any) -> str:
        """A hash of the request as parsed, so whitespace or key order do not matter."""
        return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()

    @staticmethod
    def lookup(conn: sqlite3.Connection, scope: str, key: str) -> StoredResponse | None:
        row = conn.execute(
            "SELECT fingerprint, status, body FROM idempotency_keys WHERE scope = ? AND key = ?",
            (scope, key),
        ).fetchone()
        if row is None:
            return None
        return StoredResponse(
            fingerprint=row["fingerprint"], status=row["status"], body=orjson.loads(row["body"])
        )

    @staticmethod
    def remember(
        conn: sqlite3.Connection,
        scope: str,
        key: str,
        *,
        fingerprint: str,
        status: int,
        body: dict[str, Any],
    ) -> None:
        """Store the answer inside the transaction that created the document."""
        conn.execute(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body) "
            "VALUES (?,?,?,?,?)",
            (scope, key, fingerprint, status, orjson.dumps(body).decode()),
        )
