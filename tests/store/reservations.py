"""Reservation attempts made from worker threads and processes (spawned processes import this)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from crossdock.core.inventory import ReservationLine
from crossdock.integration.store.sql import SqlStore

BARRIER_TIMEOUT_S = 60


def reserve_one(store: SqlStore, order_id: str, barrier: Any) -> bool:
    """Wait for every other contender, then try to hold 1 × BOLT at WH1 in a unit of work."""
    barrier.wait(BARRIER_TIMEOUT_S)
    with store.unit_of_work() as uow:
        return uow.inventory.reserve(
            order_id,
            [ReservationLine(line_no=1, sku="BOLT", location="WH1", quantity=Decimal(1))],
        )


def reserve_from_a_process(
    url: str, worker: int, attempts: int, barrier: Any, results: Any
) -> None:
    """One process: its own store on the shared database, ``attempts`` threads reserving at once."""
    store = SqlStore(url)
    local = threading.Barrier(attempts)
    held = [False] * attempts

    def attempt(n: int) -> None:
        held[n] = reserve_one(store, f"P{worker}-{n}", local)

    barrier.wait(BARRIER_TIMEOUT_S)
    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    results.put((worker, sum(held)))
