"""The webhook fan-out: each committed event becomes one delivery per matching subscription.

A worker step reads the outbox after its cursor (``event_cursors`` row ``webhooks``), finds the
active subscriptions that want each event (by type) and may see it (the partner owns the order's
customer, or is an admin partner), and queues a :class:`DeliverEvent` per match to the system
``webhooks``, through the engine's store in **one transaction with the cursor's move**. The
delivery runner then sends them with retries, the circuit breaker and the exception queue, like
any other delivery. The idempotency key ``webhook:<subscription>:<event id>`` makes a repeat a
no-op.

Several workers may run it: the cursor row is locked (``SELECT … FOR UPDATE`` on PostgreSQL;
SQLite's ``BEGIN IMMEDIATE`` already serialises writers), so they take turns.

**Gaps.** The fan-out reads committed rows; it does not wait for the relay to publish them (the
outbox is the system of record, and the relay's NATS copy is beside the point here). On PostgreSQL
a position is handed out when a row is inserted, not when it commits, so position 6 can be visible
while 5 is still in an open transaction (or 5 was rolled back and will never appear). The cursor
therefore moves over contiguous positions only. At a gap it notes the next transaction id not yet
handed out (``pg_snapshot_xmax``), and skips the gap on a later run once every transaction older
than that has ended (``pg_snapshot_xmin`` ≥ it): by then the missing position has either become
visible or was rolled back for good. Transactions here last milliseconds, so a gap costs one
period. On SQLite no other writer runs while this one holds the lock: a gap is final at once.
The feed shows events up to this cursor only (:func:`.store.settled_horizon`), for the same reason.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, text, update

from crossdock.integration.store import schema as t
from crossdock.integration.store.sql import SqlStore, SqlUnitOfWork
from crossdock.integration.store.sql_repository import SqlRepository
from crossdock.integration.subscriptions.store import FAN_OUT_CURSOR
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.messages import DeliverEvent
from crossdock.orchestration.store import pending_delivery
from crossdock.orchestration.wakeups import Wakeups

log = logging.getLogger("crossdock.webhooks")

SYSTEM = "webhooks"
"""The delivery system every webhook delivery goes through."""

_SNAPSHOT = text(
    "SELECT pg_snapshot_xmin(s)::text::bigint AS xmin, pg_snapshot_xmax(s)::text::bigint AS xmax"
    " FROM pg_current_snapshot() AS s"
)


@dataclass(frozen=True, slots=True)
class Audience:
    """An active subscription, with what its partner may see."""

    subscription_id: str
    event_types: frozenset[str]
    customer_ids: frozenset[str] | None
    """None: an admin partner, who sees every order."""

    def wants(self, event_type: str, customer_id: str | None) -> bool:
        """The subscription asked for this type and its partner may see the order."""
        if event_type not in self.event_types:
            return False
        return self.customer_ids is None or (
            customer_id is not None and customer_id in self.customer_ids
        )


@dataclass(frozen=True, slots=True)
class FanOutRound:
    """What one run did."""

    events: int
    """Events the cursor moved over."""
    queued: int
    """Deliveries queued (a repeat of one already queued counts nothing)."""
    cursor: int
    """The cursor after the run."""
    waiting_on_gap: bool = False
    """A missing position may still appear: the cursor waits before it."""


class WebhookFanOut:
    """Queues webhook deliveries for committed events (see the module docstring)."""

    def __init__(self, store: SqlStore, clock: Clock, *, batch: int = 500) -> None:
        self.store = store
        self.clock = clock
        self.batch = batch
        self._gap: tuple[int, int] | None = None
        """(the position after a gap, the next transaction id when the gap was seen)."""

    async def run_once(self) -> FanOutRound:
        """Move the cursor over the next batch of events, queueing their deliveries."""
        return await self.store.run(self._fan_out)

    async def run(self, wakeups: Wakeups, *, period: float = 1.0) -> None:
        """Fan out until cancelled: at once while there is more, else every ``period`` seconds
        (or when the ``webhooks`` topic is notified)."""
        while True:
            full = False
            try:
                round_ = await self.run_once()
                if round_.queued:
                    wakeups.notify(f"delivery:{SYSTEM}")
                full = round_.events >= self.batch
            except Exception:  # a bad round must not stop the loop; it is retried next period
                log.exception("webhook fan-out failed")
            if not full:
                await wakeups.wait(SYSTEM, period)

    def _fan_out(self) -> FanOutRound:
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            c = uow.connection
            postgres = c.dialect.name == "postgresql"
            cursor = _lock_cursor(c, now)
            o = t.outbox
            rows = c.execute(
                select(o.c.seq, o.c.event_id, o.c.order_id, o.c.type, t.orders.c.customer_id)
                .select_from(o.outerjoin(t.orders, t.orders.c.order_id == o.c.order_id))
                .where(o.c.seq > cursor)
                .order_by(o.c.seq)
                .limit(self.batch)
            ).all()
            # After the read, not before: a transaction holding a missing position got its id
            # before the later position we saw was even handed out, so it is below this xmax.
            # A snapshot taken earlier (before waiting for the cursor's lock) could miss it.
            snapshot = c.execute(_SNAPSHOT).one() if postgres else None
            audiences = _audiences(c) if rows else []
            position, events, queued, waiting = cursor, 0, 0, False
            for row in rows:
                if row.seq != position + 1 and not self._gap_settled(row.seq, snapshot):
                    waiting = True
                    break
                for audience in audiences:
                    if audience.wants(row.type, row.customer_id):
                        queued += _enqueue(uow, audience, row.event_id, row.order_id, now)
                position = row.seq
                events += 1
            if position != cursor:
                c.execute(
                    update(t.event_cursors)
                    .where(t.event_cursors.c.name == FAN_OUT_CURSOR)
                    .values(last_seq=position, updated_at=now)
                )
        return FanOutRound(events=events, queued=queued, cursor=position, waiting_on_gap=waiting)

    def _gap_settled(self, seq: int, snapshot: object) -> bool:
        if snapshot is None:  # SQLite: no other writer is running, the gap is final
            return True
        xmin, xmax = int(getattr(snapshot, "xmin")), int(getattr(snapshot, "xmax"))  # noqa: B009
        if self._gap is not None and self._gap[0] == seq and xmin >= self._gap[1]:
            self._gap = None
            return True
        if self._gap is None or self._gap[0] != seq:
            self._gap = (seq, xmax)
        return False


def _lock_cursor(c: Connection, now: datetime) -> int:
    cursors = t.event_cursors
    SqlRepository(c)._insert_ignore(
        cursors, {"name": FAN_OUT_CURSOR, "last_seq": 0, "updated_at": now}
    )
    return int(
        c.execute(
            select(cursors.c.last_seq).where(cursors.c.name == FAN_OUT_CURSOR).with_for_update()
        ).scalar_one()
    )


def _audiences(c: Connection) -> list[Audience]:
    s, p = t.webhook_subscriptions, t.api_partners
    rows = c.execute(
        select(s.c.subscription_id, s.c.event_types, p.c.customer_ids, p.c.admin)
        .select_from(s.join(p, p.c.partner_id == s.c.partner_id))
        .where(s.c.active.is_(True), p.c.disabled_at.is_(None))
    )
    return [
        Audience(
            subscription_id=row.subscription_id,
            event_types=frozenset(json.loads(row.event_types)),
            customer_ids=None if row.admin else frozenset(json.loads(row.customer_ids)),
        )
        for row in rows
    ]


def _enqueue(
    uow: SqlUnitOfWork, audience: Audience, event_id: str, order_id: str, now: datetime
) -> int:
    command = DeliverEvent(
        system=SYSTEM,
        order_id=order_id,
        subscription_id=audience.subscription_id,
        event_id=event_id,
    )
    queued = uow.deliveries.enqueue(pending_delivery(command, now=now, cause=event_id))
    return int(queued)
