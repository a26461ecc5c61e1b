"""Outbox: events the WMS owes the hub, stored with the rows they describe, sent at least once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
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
CREATE TABLE IF NOT EXISTS held_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS held_events_stream ON held_events (stream, seq);
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
    """The outbox table. Events of one stream (a fulfilment) leave strictly in order.

    To deliver a stream out of order on purpose, its events are held back (`hold`) and then
    released together (`release`) in a shuffled order.
    """

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

    @staticmethod
    def hold(conn: sqlite3.Connection, *, event_id: str, stream: str, body: bytes) -> None:
        """Keep an event back, inside the caller's transaction, until its stream is released."""
        conn.execute(
            "INSERT INTO held_events (event_id, stream, body) VALUES (?,?,?)",
            (event_id, stream, body),
        )

    @staticmethod
    def holds(conn: sqlite3.Connection, stream: str) -> bool:
        row = conn.execute("SELECT 1 FROM held_events WHERE stream = ? LIMIT 1", (stream,))
        return row.fetchone() is not None

    @staticmethod
    def release(conn: sqlite3.Connection, stream: str, *, at: float, rng: random.Random) -> int:
        """Queue a stream's held events in an order drawn from `rng`, never the order they
        were held in (unless all are the same event); return how many were released."""
        rows = conn.execute(
            "SELECT seq, event_id, body FROM held_events WHERE stream = ? ORDER BY seq", (stream,)
        ).fetchall()
        order = list(range(len(rows)))
        rng.shuffle(order)
        if [rows[i]["event_id"] for i in order] == [r["event_id"] for r in rows]:
            order.reverse()
        for i in order:
            Outbox.append(
                conn, event_id=rows[i]["event_id"], stream=stream, body=rows[i]["body"], at=at
            )
        conn.execute("DELETE FROM held_events WHERE stream = ?", (stream,))
        return len(rows)

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
        """Events not yet acknowledged by the hub, held ones included."""
        rows = self._db.query(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL)"
            " + (SELECT COUNT(*) FROM held_events) AS n"
        )
        return int(rows[0]["n"])

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
