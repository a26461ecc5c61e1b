"""``SqlLeaseStore``: named leases in the ``leases`` table, on SQLite and PostgreSQL alike.

Taking a lease is one conditional write, so two hubs asking at once cannot both win:

1. ``UPDATE leases SET holder = me … WHERE name = :name AND (holder = me OR expires_at <= now)``
   — renews our own lease or takes over an expired one. On PostgreSQL a concurrent taker waits
   for the row and re-checks the condition against the winner's row (which no longer matches);
   SQLite's ``BEGIN IMMEDIATE`` serialises the two writers outright.
2. When no row changed: ``INSERT … ON CONFLICT DO NOTHING`` — the first holder ever of the name.
   Two first takers insert the same key; one row goes in, the other insert does nothing.

Each call is its own short transaction on the store's engine (like the access and subscription
stores beside it), never part of a unit of work: the lease outlives them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crossdock.integration.store import schema as t
from crossdock.integration.store.engine import transaction
from crossdock.orchestration.leases import LeaseRecord


class SqlLeaseStore:
    """The lease port over the store's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        leases = t.leases
        with transaction(self.engine, "leases") as connection:
            renewed_or_taken = connection.execute(
                update(leases)
                .where(
                    leases.c.name == name,
                    or_(leases.c.holder == holder, leases.c.expires_at <= now),
                )
                .values(
                    holder=holder,
                    # Bound through the column's own type (UTC on every database): a bare
                    # ``now`` would be a plain DateTime, kept on SQLite in its own zone.
                    acquired_at=case(
                        (leases.c.holder == holder, leases.c.acquired_at),
                        else_=literal(now, leases.c.acquired_at.type),
                    ),
                    expires_at=until,
                )
            )
            if renewed_or_taken.rowcount:
                return True
            dialect_insert = (
                postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
            )
            inserted = connection.execute(
                dialect_insert(leases)
                .values(name=name, holder=holder, acquired_at=now, expires_at=until)
                .on_conflict_do_nothing()
                .returning(leases.c.name)
            ).first()
            return inserted is not None

    def release(self, name: str, holder: str) -> bool:
        leases = t.leases
        with transaction(self.engine, "leases") as connection:
            released = connection.execute(
                delete(leases).where(leases.c.name == name, leases.c.holder == holder)
            )
            return bool(released.rowcount)

    def get(self, name: str) -> LeaseRecord | None:
        leases = t.leases
        with transaction(self.engine, "leases") as connection:
            row = connection.execute(select(leases).where(leases.c.name == name)).first()
        if row is None:
            return None
        return LeaseRecord(
            name=row.name,
            holder=row.holder,
            acquired_at=row.acquired_at,
            expires_at=row.expires_at,
        )
