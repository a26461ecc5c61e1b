"""Webhook subscriptions and the event feed, in the hub's database.

Subscriptions live in ``webhook_subscriptions``, one row per partner callback. The signing secret
is generated here, shown to the partner once, and kept (not hashed: every delivery is signed with
it). Deleting a subscription disables it; the row stays for the audit trail.

The feed reads the outbox itself (the system of record for events) joined to ``orders`` for
tenancy: a partner sees events of its own customers' orders only. It shows events up to the
**settled horizon**, the position the fan-out has passed (see :mod:`.fan_out`): below it no event
can still appear, so a feed reader that saw position *n* never misses an event numbered below *n*
that commits late (PostgreSQL hands out sequence numbers before commit).

Every method is one short transaction: call them from a worker thread in async code.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from crossdock.integration.store import schema as t
from crossdock.integration.store.engine import transaction
from crossdock.integration.store.records import outbox_record
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.store import OutboxRecord

FAN_OUT_CURSOR = "webhooks"
"""The ``event_cursors`` row of the webhook fan-out; also the feed's settled horizon."""
SECRET_PREFIX = "whsec_"
"""Secrets are ``whsec_<base64 of 32 random bytes>`` (the Standard Webhooks form)."""


class UnknownSubscription(LookupError):
    """No subscription of this caller has this id."""

    def __init__(self, subscription_id: str) -> None:
        super().__init__(f"no subscription {subscription_id!r}")
        self.subscription_id = subscription_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """A partner's request to receive some event types at a URL."""

    subscription_id: str
    partner_id: str
    url: str
    event_types: tuple[str, ...]
    active: bool
    created_at: datetime
    disabled_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedSubscription:
    """A new subscription and its signing secret, shown this once."""

    subscription: Subscription
    secret: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionTarget:
    """What a delivery needs: where to send, and the secret to sign with."""

    subscription_id: str
    partner_id: str
    url: str
    secret: str
    active: bool


def new_secret() -> str:
    """A fresh signing secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a secret stands for (its base64 part, decoded)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def _subscription(row: Any) -> Subscription:
    return Subscription(
        subscription_id=row.subscription_id,
        partner_id=row.partner_id,
        url=row.url,
        event_types=tuple(json.loads(row.event_types)),
        active=bool(row.active),
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def settled_horizon(c: Connection) -> int:
    """The position below which no event can still appear (the fan-out's cursor)."""
    cursors = t.event_cursors
    found = c.execute(
        select(cursors.c.last_seq).where(cursors.c.name == FAN_OUT_CURSOR)
    ).scalar_one_or_none()
    return int(found or 0)


class SubscriptionStore:
    """Subscriptions per partner, and the feed (see the module docstring)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def _tx(self) -> AbstractContextManager[Connection]:
        return transaction(self.engine, "subscription store")

    def create(self, partner_id: str, url: str, event_types: Collection[str]) -> IssuedSubscription:
        """A new active subscription (URL and types checked by the caller) and its secret."""
        subscription_id = f"whs_{uuid.uuid4().hex}"
        secret = new_secret()
        with self._tx() as c:
            c.execute(
                insert(t.webhook_subscriptions).values(
                    subscription_id=subscription_id,
                    partner_id=partner_id,
                    url=url,
                    event_types=json.dumps(sorted(set(event_types))),
                    secret=secret,
                    active=True,
                    created_at=self.clock.now(),
                )
            )
        return IssuedSubscription(
            subscription=self.subscription(subscription_id, partner_id), secret=secret
        )

    def subscriptions(self, partner_id: str | None) -> list[Subscription]:
        """Active subscriptions of a partner (None: of every partner), oldest first."""
        s = t.webhook_subscriptions
        statement = (
            select(s).where(s.c.active.is_(True)).order_by(s.c.created_at, s.c.subscription_id)
        )
        if partner_id is not None:
            statement = statement.where(s.c.partner_id == partner_id)
        with self._tx() as c:
            return [_subscription(row) for row in c.execute(statement)]

    def subscription(self, subscription_id: str, partner_id: str | None) -> Subscription:
        """One active subscription of a partner (None: of any); UnknownSubscription otherwise.

        Another partner's subscription is unknown too: its existence is none of the caller's
        business."""
        s = t.webhook_subscriptions
        statement = select(s).where(s.c.subscription_id == subscription_id, s.c.active.is_(True))
        if partner_id is not None:
            statement = statement.where(s.c.partner_id == partner_id)
        with self._tx() as c:
            row = c.execute(statement).one_or_none()
        if row is None:
            raise UnknownSubscription(subscription_id)
        return _subscription(row)

    def disable(self, subscription_id: str, partner_id: str | None) -> Subscription:
        """Stop a subscription now (deliveries still queued for it are dropped when due)."""
        s = t.webhook_subscriptions
        statement = (
            update(s)
            .where(s.c.subscription_id == subscription_id, s.c.active.is_(True))
            .values(active=False, disabled_at=self.clock.now())
        )
        if partner_id is not None:
            statement = statement.where(s.c.partner_id == partner_id)
        with self._tx() as c:
            if not c.execute(statement).rowcount:
                raise UnknownSubscription(subscription_id)
            row = c.execute(select(s).where(s.c.subscription_id == subscription_id)).one()
        return _subscription(row)

    def target(self, subscription_id: str) -> SubscriptionTarget | None:
        """Where a delivery for ``subscription_id`` goes, and its secret (None: no such row)."""
        s = t.webhook_subscriptions
        with self._tx() as c:
            row = c.execute(select(s).where(s.c.subscription_id == subscription_id)).one_or_none()
        if row is None:
            return None
        return SubscriptionTarget(
            subscription_id=row.subscription_id,
            partner_id=row.partner_id,
            url=row.url,
            secret=row.secret,
            active=bool(row.active),
        )

    def event(self, event_id: str) -> OutboxRecord | None:
        """One event of the outbox."""
        with self._tx() as c:
            row = c.execute(select(t.outbox).where(t.outbox.c.event_id == event_id)).one_or_none()
        return None if row is None else outbox_record(row)

    def events_after(
        self,
        seq: int,
        limit: int,
        types: Collection[str] = (),
        customer_ids: Collection[str] | None = None,
    ) -> tuple[list[OutboxRecord], int]:
        """Up to ``limit`` events after position ``seq`` and up to the settled horizon, of
        ``types`` (none: all) and of orders of ``customer_ids`` (None: every order), in order;
        and the horizon."""
        o = t.outbox
        with self._tx() as c:
            horizon = settled_horizon(c)
            statement = (
                select(o).where(o.c.seq > seq, o.c.seq <= horizon).order_by(o.c.seq).limit(limit)
            )
            if types:
                statement = statement.where(o.c.type.in_(sorted(types)))
            if customer_ids is not None:
                statement = statement.join(t.orders, t.orders.c.order_id == o.c.order_id).where(
                    t.orders.c.customer_id.in_(sorted(customer_ids))
                )
            records = [outbox_record(row) for row in c.execute(statement)]
        return records, horizon
