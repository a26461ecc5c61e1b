"""Outbox: events the WMS owes the hub, stored with the rows they describe, sent at least once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from crossdock.sandbox.database import SandboxDatabase
from crossdock.sandbox.retry import RetryPolicy

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    body BLOB NOT NULL,
    next_attempt_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at REAL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (stream, seq) WHERE sent_at IS NULL;
"""


def sign(secret: str, body: bytes) -> str:
    """`X-Crossdock-Signature` value: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, kw_only=True)
class PendingEvent:
    seq: int
    event_id: str
    body: bytes
    attempts: int


class Outbox:
    """The outbox table. Events of one stream (a fulfilment) leave strictly in order."""

    def __init__(self, db: SandboxDatabase) -> None:
        self._db = db
        db.executescript(SCHEMA)

    @staticmethod
    def append(
        conn: sqlite3.Connection, *, event_id: str, stream: str, body: bytes, at: float
    ) -> None:
        """Queue an event inside the caller's transaction."""
        conn.execute(
            "INSERT INTO outbox (event_id, stream, body, next_attempt_at) VALUES (?,?,?,?)",
            (event_id, stream, body, at),
        )

    _HEADS = """
        SELECT o.seq, o.event_id, o.body, o.attempts, o.next_attempt_at FROM outbox o
        JOIN (SELECT stream, MIN(seq) AS seq FROM outbox WHERE sent_at IS NULL GROUP BY stream) h
          ON o.seq = h.seq
    """

    def due(self, now: float, limit: int) -> list[PendingEvent]:
        """The first unsent event of each stream, if it is due."""
        rows = self._db.query(
            self._HEADS + " WHERE o.next_attempt_at <= ? ORDER BY o.seq LIMIT ?", (now, limit)
        )
        return [
            PendingEvent(
                seq=r["seq"], event_id=r["event_id"], body=bytes(r["body"]), attempts=r["attempts"]
            )
            for r in rows
        ]

    def next_attempt_at(self) -> float | None:
        rows = self._db.query(f"SELECT MIN(next_attempt_at) AS t FROM ({self._HEADS})")
        value = rows[0]["t"]
        return None if value is None else float(value)

    def mark_sent(self, seq: int, at: float) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE seq = ?", (at, seq)
            )

    def mark_failed(self, seq: int, *, retry_at: float, error: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
                "WHERE seq = ?",
                (retry_at, error, seq),
            )

    def backlog(self) -> int:
        """Events not yet acknowledged by the hub."""
        return int(self._db.query("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL")[0]["n"])

    def delivered(self) -> int:
        return int(
            self._db.query("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NOT NULL")[0]["n"]
        )


class WebhookSender:
    """Posts one signed event to the hub; True when the hub answered 2xx."""

    def __init__(self, client: httpx.AsyncClient, url: str, secret: str) -> None:
        self._client = client
        self._url = url
        self._secret = secret

    async def send(self, event: PendingEvent) -> str | None:
        """None on success, otherwise why it failed (kept on the outbox row)."""
        headers = {
            "Content-Type": "application/json",
            "X-Crossdock-Signature": sign(self._secret, event.body),
            "X-Event-Id": event.event_id,
        }
        try:
            response = await self._client.post(self._url, content=event.body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if response.is_success:
            return None
        return f"HTTP {response.status_code}"


async def dispatch_due(
    outbox: Outbox,
    sender: WebhookSender,
    policy: RetryPolicy,
    *,
    now: Callable[[], float],
    limit: int,
) -> int:
    """Send the due head of every stream concurrently; return how many were attempted."""
    events = outbox.due(now(), limit)
    if not events:
        return 0
    failures = await asyncio.gather(*(sender.send(e) for e in events))
    finished = now()
    for event, failure in zip(events, failures, strict=True):
        if failure is None:
            outbox.mark_sent(event.seq, finished)
        else:
            attempts = event.attempts + 1
            log.info("hub refused event %s (attempt %d): %s", event.event_id, attempts, failure)
            outbox.mark_failed(
                event.seq, retry_at=finished + policy.delay_after(attempts), error=failure
            )
    return len(events)
