"""Leases: a loop that must run in one place at a time, however many hubs share the database.

Most worker loops scale out by claiming rows (``FOR UPDATE SKIP LOCKED``). A periodic sweep over
the whole store — the SLA monitor — has no rows to claim until it has looked, and two hubs
sweeping together would raise and alert the same breach twice. Such a loop holds a named lease
first::

    lease = Lease(store, name="sla-sweep", holder="worker-2:4711:ab12", ttl=timedelta(minutes=3))
    if lease.hold(clock.now()):  # taken, or renewed by its holder: sweep
        ...

:class:`LeaseStore` is the port: one row per name with its holder and when it expires, changed
only by a conditional write (take the lease when it is free, expired, or already ours), so that
of two hubs asking at once exactly one gets it. The holder renews it every period; a holder that
dies stops renewing, its lease runs out after ``ttl``, and the next hub to ask takes it over.
Adapters: ``SqlLeaseStore`` (SQLite, PostgreSQL) and ``MemoryLeaseStore``.

Expiry is judged by the time the asking hub passes in (its clock): hubs sharing a database must
keep their clocks in step (NTP) to well within ``ttl``.

A :class:`Lease` given up (:meth:`Lease.release`, a stopping hub) is given up for good. A loop
cancelled while its ``hold`` was still running on a store thread cannot stop that call, and the
release that follows may reach the database first; the late ``hold`` then finds the lease released
and gives back what it just took, so a stopped hub never keeps the lease until it runs out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseRecord:
    """Who holds a named lease, since when, and until when."""

    name: str
    holder: str
    acquired_at: datetime
    """When this holder took the lease (renewals keep it)."""
    expires_at: datetime
    """Free for anyone to take from this moment, unless the holder renews it first."""


class LeaseStore(Protocol):
    """Named leases, each held by at most one holder at a time."""

    def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take the lease ``name`` for ``holder`` until ``until``, or renew it when ``holder``
        holds it already; True when ``holder`` now holds it. False, changing nothing, while
        another holder's lease has not expired at ``now``."""
        ...

    def release(self, name: str, holder: str) -> bool:
        """Give the lease up so another holder may take it at once; False when ``holder`` did
        not hold it (it expired and was taken over, or was never taken)."""
        ...

    def get(self, name: str) -> LeaseRecord | None:
        """The lease as stored (perhaps expired), or None when nobody ever took it."""
        ...


class Lease:
    """One holder's claim on a named lease: :meth:`hold` before each round of singleton work,
    :meth:`release` once, when the holder stops. Safe to call from several threads."""

    def __init__(self, store: LeaseStore, *, name: str, holder: str, ttl: timedelta) -> None:
        if ttl <= timedelta(0):
            raise ValueError(f"lease {name}: ttl must be positive, not {ttl}")
        self.store = store
        self.name = name
        self.holder = holder
        """Unique per process (host, pid and a random part): two processes never share it."""
        self.ttl = ttl
        """How long a holder that stops renewing keeps others out."""
        self._released = threading.Event()

    @property
    def released(self) -> bool:
        """True once :meth:`release` was called: this holder takes the lease no more."""
        return self._released.is_set()

    def hold(self, now: datetime) -> bool:
        """Take or renew the lease until ``now + ttl``; False while another holder has it, and
        always False once this holder released it."""
        if self._released.is_set():
            return False
        held = self.store.acquire(self.name, self.holder, now, now + self.ttl)
        if held and self._released.is_set():
            # Released while this call was on its way (a cancelled loop's last renewal): the
            # release may have run before our write, so give back what we just took.
            self.store.release(self.name, self.holder)
            return False
        return held

    def release(self) -> bool:
        """Give the lease up for good (at shutdown), so another holder need not wait for it to
        expire. False when this holder did not hold it. A holder that wants the lease again
        builds a new :class:`Lease`."""
        self._released.set()
        return self.store.release(self.name, self.holder)
