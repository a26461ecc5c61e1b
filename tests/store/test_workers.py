"""Several workers on one database: steps, delivery claims, timers and relays never double up.

In scale-out mode every worker process runs every loop against the same PostgreSQL. Each test
starts contenders at a barrier, on more than one store (so more than one connection pool), and
checks the outcome a user cares about: each message applied once and in order, each delivery
handed to one worker, each timer fired once, each event published once and in commit order.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta
from typing import TypeVar

from crossdock.core.order import OrderStatus
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.messages import DeadlineReached, Message
from crossdock.orchestration.outbox import OutboxRelay
from crossdock.orchestration.steps import StepProcessor
from crossdock.orchestration.store import DeliveryRecord, OutboxRecord, Store
from crossdock.orchestration.workflow import Decision, Facts, OrderState

from .samples import T0, make_delivery, make_order

T = TypeVar("T")
DEADLINE_S = 60
LEASE = timedelta(seconds=60)


def race(stores: Sequence[Store], workers: int, work: Callable[[Store], T]) -> list[T]:
    """``workers`` threads spread over ``stores``, all starting ``work`` at the same moment."""
    barrier = threading.Barrier(workers)

    def run(n: int) -> T:
        barrier.wait(DEADLINE_S)
        return work(stores[n % len(stores)])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [f.result() for f in [pool.submit(run, n) for n in range(workers)]]


Connect = Callable[[str], Store]


def open_stores(connect: Connect, url: str, count: int = 2) -> list[Store]:
    return [connect(url) for _ in range(count)]


def close(stores: Sequence[Store]) -> None:
    for store in stores:
        store.close()


# ------------------------------------------------------------------ steps


class TimerLog:
    """A workflow that remembers, in its state, every timer message it was given, in order."""

    def decide(self, state: OrderState | None, message: Message, facts: Facts) -> Decision:
        assert isinstance(message, DeadlineReached)
        if state is None:
            raise AssertionError("the test seeds every order's state")
        seen = (*state.hold_reasons, message.timer)
        return Decision(state=state.model_copy(update={"hold_reasons": seen}), summary="logged")


def seed_orders(store: Store, orders: int, messages: int) -> list[str]:
    order_ids = [f"O-{n:03}" for n in range(orders)]
    with store.unit_of_work() as uow:
        for order_id in order_ids:
            assert uow.orders.add(make_order(order_id))
            state = OrderState(order=make_order(order_id), status=OrderStatus.RECEIVED, version=1)
            uow.orders.save(state, expected_version=0, now=T0)
    for m in range(messages):
        with store.unit_of_work() as uow:
            for order_id in order_ids:
                body = DeadlineReached(timer=f"t{m}").model_dump(mode="json")
                uow.inbox.append(
                    order_id=order_id,
                    kind="deadline_reached",
                    body=body,
                    source="test",
                    dedupe_key=None,
                    causation_id="",
                    now=T0,
                )
    return order_ids


def test_workers_stepping_the_same_orders_apply_every_message_once_and_in_order(
    shared_database_url: str, connect: Connect
) -> None:
    stores = open_stores(connect, shared_database_url)
    order_ids = seed_orders(stores[0], orders=24, messages=6)

    def step_until_drained(store: Store) -> int:
        # One failed attempt quarantines an order: any error a race caused would show.
        steps = StepProcessor(store, TimerLog(), FakeClock(), batch_size=4, max_attempts=1)
        applied, deadline = 0, time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            applied += steps.run_batch().messages
            with store.unit_of_work(write=False) as uow:
                if uow.inbox.backlog() == 0:
                    return applied
        raise AssertionError("the inbox did not drain")

    applied = race(stores, 6, step_until_drained)

    with stores[0].unit_of_work() as uow:
        # lock() skips quarantined orders: every order is still flowing.
        rows = uow.orders.lock(order_ids)
    close(stores)
    assert sum(applied) == 24 * 6
    assert len(rows) == 24
    expected = tuple(f"t{m}" for m in range(6))
    assert {row.order_id: row.state.hold_reasons for row in rows if row.state} == dict.fromkeys(
        order_ids, expected
    )


def test_an_order_one_worker_holds_is_skipped_by_another_never_read_stale(
    shared_database_url: str, connect: Connect
) -> None:
    stores = open_stores(connect, shared_database_url)
    [order_id] = seed_orders(stores[0], orders=1, messages=0)

    def lock_elsewhere() -> list[int]:
        with stores[1].unit_of_work() as uow:
            return [row.version for row in uow.orders.lock([order_id])]

    with ThreadPoolExecutor(max_workers=1) as pool, stores[0].unit_of_work() as uow:
        [held] = uow.orders.lock([order_id])
        other = pool.submit(lock_elsewhere)
        # PostgreSQL answers at once (skipped); SQLite's second writer waits for this one.
        wait([other], timeout=2)
        assert held.state is not None
        uow.orders.save(held.state.model_copy(update={"version": 2}), held.version, T0)
    seen = other.result(timeout=DEADLINE_S)
    close(stores)

    assert seen in ([], [2]), "another worker loaded the order while it was held"


# ------------------------------------------------------------------ deliveries


def test_workers_claiming_at_once_get_disjoint_deliveries_one_per_order(
    shared_database_url: str, connect: Connect
) -> None:
    stores = open_stores(connect, shared_database_url)
    heads = [make_delivery(f"O-{n:03}", "create_sales_order") for n in range(40)]
    followers = [make_delivery(f"O-{n:03}", "notify_status") for n in range(40)]
    with stores[0].unit_of_work() as uow:
        for record in [*heads, *followers]:
            uow.deliveries.enqueue(record)

    def claim(store: Store) -> list[DeliveryRecord]:
        with store.unit_of_work() as uow:
            return uow.deliveries.claim("erp", 10, T0, T0 + LEASE)

    rounds = race(stores, 8, claim)
    leftover = claim(stores[0])
    close(stores)

    claimed = [d.delivery_id for batch in [*rounds, leftover] for d in batch]
    assert len(claimed) == len(set(claimed)), "a delivery was handed to two workers"
    # Per-order order: while a head is in flight, nobody gets the command behind it.
    assert sorted(claimed) == sorted(d.delivery_id for d in heads)


# ------------------------------------------------------------------ timers


def test_pollers_taking_due_timers_at_once_fire_each_timer_once(
    shared_database_url: str, connect: Connect
) -> None:
    stores = open_stores(connect, shared_database_url)
    with stores[0].unit_of_work() as uow:
        for n in range(60):
            uow.timers.schedule(f"O-{n:03}", "booking", T0 + timedelta(seconds=n))

    def take_all(store: Store) -> list[tuple[str, str]]:
        taken: list[tuple[str, str]] = []
        while True:
            with store.unit_of_work() as uow:
                batch = uow.timers.take_due(T0 + timedelta(hours=1), 7)
            if not batch:
                return taken
            taken += batch

    rounds = race(stores, 6, take_all)
    close(stores)

    fired = [timer for batch in rounds for timer in batch]
    assert sorted(fired) == [(f"O-{n:03}", "booking") for n in range(60)]


# ------------------------------------------------------------------ outbox


class RecordingTransport:
    """Remembers every event handed to it, across relays, in the order they were published."""

    def __init__(self, log: list[int], lock: threading.Lock, *, fail: bool = False) -> None:
        self.log, self.lock, self.fail = log, lock, fail

    async def publish(self, events: Sequence[OutboxRecord]) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        with self.lock:
            self.log.extend(event.seq for event in events)

    async def aclose(self) -> None:
        return None


def append_events(store: Store, count: int) -> list[int]:
    with store.unit_of_work() as uow:
        for n in range(count):
            uow.outbox.append(
                order_id=f"O-{n % 7}", type="t.v1", data={"n": n}, causation_id="", now=T0
            )
        return [event.seq for event in uow.outbox.unpublished(count)]


def test_relays_publishing_at_once_publish_each_event_once_in_commit_order(
    shared_database_url: str, connect: Connect
) -> None:
    stores = open_stores(connect, shared_database_url)
    seqs = append_events(stores[0], 200)
    published: list[int] = []
    lock = threading.Lock()

    def relay_until_drained(store: Store) -> None:
        relay = OutboxRelay(store, RecordingTransport(published, lock), FakeClock(), batch_size=9)

        async def drain() -> None:
            deadline = time.monotonic() + DEADLINE_S
            while time.monotonic() < deadline:
                await relay.run_once()
                with store.unit_of_work(write=False) as uow:
                    if not uow.outbox.unpublished(1):
                        return
            raise AssertionError("the outbox did not drain")

        asyncio.run(drain())

    race(stores, 4, relay_until_drained)
    close(stores)

    assert published == seqs


def test_a_claimed_batch_is_the_claiming_relays_until_published_released_or_expired(
    store: Store,
) -> None:
    seqs = append_events(store, 5)

    def claim(at: timedelta) -> list[int]:
        with store.unit_of_work() as uow:
            return [e.seq for e in uow.outbox.claim(3, T0 + at, T0 + at + LEASE)]

    assert claim(timedelta(0)) == seqs[:3]
    # The head is leased: a second relay gets nothing, not the events behind it.
    assert claim(timedelta(seconds=59)) == []
    # A relay that died leaves its lease to run out; then its batch is claimed again.
    assert claim(LEASE) == seqs[:3]
    with store.unit_of_work() as uow:
        uow.outbox.release(seqs[:3])
    assert claim(LEASE) == seqs[:3]
    with store.unit_of_work() as uow:
        uow.outbox.mark_published(seqs[:3], T0)
    assert claim(LEASE) == seqs[3:]
    with store.unit_of_work(write=False) as uow:
        assert [e.seq for e in uow.outbox.unpublished(10)] == seqs[3:]


async def test_a_relay_whose_broker_fails_gives_its_claim_back_for_the_next_attempt(
    store: Store,
) -> None:
    seqs = append_events(store, 3)
    published: list[int] = []
    lock = threading.Lock()
    clock = FakeClock()
    failing = OutboxRelay(store, RecordingTransport(published, lock, fail=True), clock)
    working = OutboxRelay(store, RecordingTransport(published, lock), clock)

    try:
        await failing.run_once()
    except ConnectionError:
        pass
    else:
        raise AssertionError("the broker failure was swallowed")

    assert await working.run_once() == 3
    assert published == seqs
