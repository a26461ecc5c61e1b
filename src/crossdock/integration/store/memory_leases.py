"""``MemoryLeaseStore``: named leases in memory, the reference of the lease port's semantics.

Several hubs of one test share a database by sharing one :class:`MemoryDatabase`; they share
leases by sharing one ``MemoryLeaseStore`` beside it. Nothing survives the process.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from crossdock.integration.store.memory_tables import utc
from crossdock.orchestration.leases import LeaseRecord


class MemoryLeaseStore:
    """The lease port over a dictionary, each call atomic under one lock."""

    def __init__(self) -> None:
        self._leases: dict[str, LeaseRecord] = {}
        self._lock = threading.Lock()

    def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        # Kept in UTC, as the SQL adapter keeps them (and naive times refused alike).
        now, until = utc(now), utc(until)
        with self._lock:
            current = self._leases.get(name)
            if current is not None and current.holder == holder:
                self._leases[name] = replace(current, expires_at=until)
                return True
            if current is not None and current.expires_at > now:
                return False
            self._leases[name] = LeaseRecord(
                name=name, holder=holder, acquired_at=now, expires_at=until
            )
            return True

    def release(self, name: str, holder: str) -> bool:
        with self._lock:
            current = self._leases.get(name)
            if current is None or current.holder != holder:
                return False
            del self._leases[name]
            return True

    def get(self, name: str) -> LeaseRecord | None:
        with self._lock:
            return self._leases.get(name)
