"""Available-to-promise under real concurrency: threads, two stores, and separate processes.

Every contender waits at a barrier, then reserves one unit in its own unit of work. However the
database interleaves them, exactly as many succeed as there are units, and availability never
goes below zero.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from crossdock.orchestration.store import Store

from .reservations import reserve_from_a_process, reserve_one
from .samples import T0, position

D = Decimal


Connect = Callable[[str], Store]
"""Opens another store on a database by its URL (the adapter's own way)."""


def stock_bolts(connect: Connect, url: str, on_hand: str) -> None:
    store = connect(url)
    with store.unit_of_work() as uow:
        uow.inventory.upsert_positions([position("BOLT", on_hand)], T0)
    store.close()


def holdings(connect: Connect, url: str, order_ids: list[str]) -> tuple[Decimal, Decimal, int]:
    """(on hand, reserved, how many orders hold a reservation)."""
    store = connect(url)
    with store.unit_of_work(write=False) as uow:
        [bolt] = uow.inventory.positions(["BOLT"], location="WH1")
        holders = sum(1 for order_id in order_ids if uow.inventory.reserved_for(order_id))
    store.close()
    return bolt.on_hand, bolt.reserved, holders


def contend(stores: list[Store], contenders: int) -> list[bool]:
    """``contenders`` threads over ``stores``, each reserving one unit at the same moment."""
    barrier = threading.Barrier(contenders)
    with ThreadPoolExecutor(max_workers=contenders) as pool:
        futures = [
            pool.submit(reserve_one, stores[n % len(stores)], f"O-{n}", barrier)
            for n in range(contenders)
        ]
        return [future.result() for future in futures]


def test_forty_threads_racing_for_ten_units_reserve_exactly_ten(
    shared_database_url: str, connect: Connect
) -> None:
    stock_bolts(connect, shared_database_url, "10")
    store = connect(shared_database_url)

    outcomes = contend([store], 40)
    store.close()

    assert outcomes.count(True) == 10
    on_hand, reserved, holders = holdings(
        connect, shared_database_url, [f"O-{n}" for n in range(40)]
    )
    assert (on_hand, reserved, holders) == (D(10), D(10), 10)


def test_two_stores_on_one_database_still_reserve_exactly_what_is_there(
    shared_database_url: str, connect: Connect
) -> None:
    stock_bolts(connect, shared_database_url, "10")
    stores = [connect(shared_database_url), connect(shared_database_url)]

    outcomes = contend(stores, 40)
    for store in stores:
        store.close()

    assert outcomes.count(True) == 10
    on_hand, reserved, holders = holdings(
        connect, shared_database_url, [f"O-{n}" for n in range(40)]
    )
    assert (on_hand, reserved, holders) == (D(10), D(10), 10)


def test_separate_processes_racing_for_fifteen_units_reserve_exactly_fifteen(
    process_shared_database_url: str, connect: Connect
) -> None:
    shared_database_url = process_shared_database_url
    stock_bolts(connect, shared_database_url, "15")
    context = multiprocessing.get_context("spawn")
    workers, attempts = 3, 20
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(
            target=reserve_from_a_process,
            args=(shared_database_url, worker, attempts, barrier, results),
        )
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    held = dict(results.get(timeout=60) for _ in processes)
    for process in processes:
        process.join(timeout=60)

    assert [process.exitcode for process in processes] == [0] * workers
    assert sum(held.values()) == 15
    order_ids = [f"P{w}-{n}" for w in range(workers) for n in range(attempts)]
    on_hand, reserved, holders = holdings(connect, shared_database_url, order_ids)
    assert (on_hand, reserved, holders) == (D(15), D(15), 15)
