"""Stock syncs from several workers at once neither deadlock nor trip over new positions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from crossdock.core.inventory import InventoryPosition, ReservationLine
from crossdock.orchestration.store import Store

from .samples import T0

Connect = Callable[[str], Store]
SKUS = [f"SKU-{n:03d}" for n in range(40)]


def positions(on_hand: int) -> list[InventoryPosition]:
    return [
        InventoryPosition(sku=sku, location=location, on_hand=Decimal(on_hand))
        for sku in SKUS
        for location in ("WH1", "WH2")
    ]


def test_workers_syncing_new_and_changed_positions_at_once_all_succeed(
    connect: Connect, shared_database_url: str
) -> None:
    stores = [connect(shared_database_url) for _ in range(4)]
    start = threading.Barrier(len(stores))

    def sync(index: int) -> None:
        # Half the workers see the positions in reverse order: row locks must still be taken in
        # one order (no deadlock), and a position two workers create at once is created once.
        batch = positions(100 + index)
        if index % 2:
            batch.reverse()
        start.wait()
        for _ in range(5):
            with stores[index].unit_of_work() as uow:
                uow.inventory.upsert_positions(batch, T0)

    with ThreadPoolExecutor(len(stores)) as pool:
        for future in [pool.submit(sync, i) for i in range(len(stores))]:
            future.result()

    with stores[0].unit_of_work(write=False) as uow:
        stored = uow.inventory.positions(SKUS)
    assert len(stored) == len(SKUS) * 2
    assert {p.on_hand for p in stored} <= {Decimal(100 + i) for i in range(len(stores))}
    for store in stores:
        store.close()


def test_a_sync_and_reservations_on_the_same_rows_both_complete(
    connect: Connect, shared_database_url: str
) -> None:
    syncer, reserver = connect(shared_database_url), connect(shared_database_url)
    with syncer.unit_of_work() as uow:
        uow.inventory.upsert_positions(positions(1000), T0)
    start = threading.Barrier(2)

    def keep_syncing() -> None:
        start.wait()
        for round_ in range(10):
            with syncer.unit_of_work() as uow:
                uow.inventory.upsert_positions(list(reversed(positions(1000 + round_))), T0)

    def keep_reserving() -> int:
        start.wait()
        held = 0
        for n in range(30):
            lines = [
                ReservationLine(line_no=i + 1, sku=sku, location="WH1", quantity=Decimal(1))
                for i, sku in enumerate(SKUS[n % 10 :: 7])
            ]
            with reserver.unit_of_work() as uow:
                held += uow.inventory.reserve(f"O-{n}", lines)
        return held

    with ThreadPoolExecutor(2) as pool:
        syncing, reserving = pool.submit(keep_syncing), pool.submit(keep_reserving)
        syncing.result()
        assert reserving.result() == 30
    syncer.close()
    reserver.close()
