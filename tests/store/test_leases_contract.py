"""The lease port's contract, on every store adapter: one holder at a time, renewed by its holder,
taken over once it runs out, and exactly one winner when many ask at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crossdock.integration.store.leases import SqlLeaseStore
from crossdock.integration.store.memory_leases import MemoryLeaseStore
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.leases import Lease, LeaseRecord, LeaseStore
from crossdock.orchestration.store import Store

from .adapters import StoreAdapter

TTL = timedelta(minutes=3)
OpenLeases = Callable[[], LeaseStore]

_MEMORY_LEASES: dict[str, MemoryLeaseStore] = {}
"""The in-memory adapter's leases by database URL: every hub of a test shares them."""


def _lease_store(store: Store, url: str) -> LeaseStore:
    if isinstance(store, SqlStore):
        return SqlLeaseStore(store.engine)
    return _MEMORY_LEASES.setdefault(url, MemoryLeaseStore())


@pytest.fixture
def open_leases(adapter: StoreAdapter, database_url: str) -> Iterator[OpenLeases]:
    """Opens the lease store of one more hub on the test's database."""
    stores: list[Store] = []

    def opened() -> LeaseStore:
        store = adapter.connect(database_url)
        stores.append(store)
        return _lease_store(store, database_url)

    yield opened
    for store in stores:
        store.close()
    _MEMORY_LEASES.pop(database_url, None)


def test_nobody_holds_a_lease_nobody_took(open_leases: OpenLeases) -> None:
    assert open_leases().get("sla-sweep") is None


def test_the_first_holder_gets_the_lease_and_keeps_others_out_until_it_expires(
    open_leases: OpenLeases, clock: FakeClock
) -> None:
    a = Lease(open_leases(), name="sla-sweep", holder="hub-a", ttl=TTL)
    b = Lease(open_leases(), name="sla-sweep", holder="hub-b", ttl=TTL)

    first = a.hold(clock.now())
    clock.advance(TTL - timedelta(seconds=1))
    refused = b.hold(clock.now())

    assert (first, refused) == (True, False)
    record = a.store.get("sla-sweep")
    assert record is not None
    assert (record.holder, record.expires_at) == ("hub-a", clock.now() + timedelta(seconds=1))


def test_the_holder_renews_its_lease_and_keeps_when_it_took_it(
    open_leases: OpenLeases, clock: FakeClock
) -> None:
    a = Lease(open_leases(), name="sla-sweep", holder="hub-a", ttl=TTL)
    b = Lease(open_leases(), name="sla-sweep", holder="hub-b", ttl=TTL)
    taken_at = clock.now()
    a.hold(clock.now())

    for _ in range(5):  # well past one ttl in all, renewed each time
        clock.advance(timedelta(minutes=1))
        assert a.hold(clock.now())
        assert not b.hold(clock.now())

    record = a.store.get("sla-sweep")
    assert record is not None
    assert (record.holder, record.acquired_at) == ("hub-a", taken_at)
    assert record.expires_at == clock.now() + TTL


def test_a_lease_its_holder_stopped_renewing_is_taken_over_when_it_runs_out(
    open_leases: OpenLeases, clock: FakeClock
) -> None:
    dead = Lease(open_leases(), name="sla-sweep", holder="hub-a", ttl=TTL)
    heir = Lease(open_leases(), name="sla-sweep", holder="hub-b", ttl=TTL)
    dead.hold(clock.now())

    clock.advance(TTL)
    taken = heir.hold(clock.now())
    back = dead.hold(clock.now())

    assert (taken, back) == (True, False)
    record = heir.store.get("sla-sweep")
    assert record is not None
    assert (record.holder, record.acquired_at) == ("hub-b", clock.now())


def test_a_released_lease_is_free_at_once_and_only_its_holder_may_release_it(
    open_leases: OpenLeases, clock: FakeClock
) -> None:
    a = Lease(open_leases(), name="sla-sweep", holder="hub-a", ttl=TTL)
    impostor = Lease(open_leases(), name="sla-sweep", holder="hub-b", ttl=TTL)
    b = Lease(open_leases(), name="sla-sweep", holder="hub-b", ttl=TTL)
    a.hold(clock.now())

    assert impostor.release() is False
    assert b.hold(clock.now()) is False
    assert a.release() is True
    assert b.hold(clock.now()) is True
    assert a.release() is False


def test_a_released_lease_is_given_up_for_good_by_its_holder(
    open_leases: OpenLeases, clock: FakeClock
) -> None:
    a = Lease(open_leases(), name="sla-sweep", holder="hub-a", ttl=TTL)
    a.hold(clock.now())
    a.release()

    clock.advance(timedelta(minutes=1))

    assert a.hold(clock.now()) is False
    assert a.store.get("sla-sweep") is None


class _Queued:
    """A lease store whose next ``acquire`` waits at the door until let through: the renewal of
    a loop that was cancelled while its call ran on a store thread."""

    def __init__(self, store: LeaseStore) -> None:
        self.store = store
        self.waiting = threading.Event()
        self.let_through = threading.Event()

    def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        self.waiting.set()
        assert self.let_through.wait(timeout=10)
        return self.store.acquire(name, holder, now, until)

    def release(self, name: str, holder: str) -> bool:
        return self.store.release(name, holder)

    def get(self, name: str) -> LeaseRecord | None:
        return self.store.get(name)


def test_a_renewal_still_running_when_its_holder_releases_the_lease_does_not_keep_it(
    open_leases: OpenLeases, clock: FakeClock
) -> None:
    leases = open_leases()
    Lease(leases, name="sla-sweep", holder="hub-a", ttl=TTL).hold(clock.now())
    queued = _Queued(leases)
    stopping = Lease(queued, name="sla-sweep", holder="hub-a", ttl=TTL)
    clock.advance(timedelta(minutes=1))

    with ThreadPoolExecutor(max_workers=1) as store_thread:
        renewal = store_thread.submit(stopping.hold, clock.now())
        assert queued.waiting.wait(timeout=10)
        released = stopping.release()  # reaches the database first
        queued.let_through.set()
        late = renewal.result(timeout=10)

    assert (released, late) == (True, False)
    assert leases.get("sla-sweep") is None
    heir = Lease(open_leases(), name="sla-sweep", holder="hub-b", ttl=TTL)
    assert heir.hold(clock.now()) is True


def test_times_in_any_zone_are_kept_as_the_same_instants(
    open_leases: OpenLeases, clock: FakeClock
) -> None:
    chicago = ZoneInfo("America/Chicago")
    now = clock.now().astimezone(chicago)
    leases = open_leases()

    assert Lease(leases, name="sla-sweep", holder="hub-a", ttl=TTL).hold(now)
    taken_over = Lease(leases, name="sla-sweep", holder="hub-b", ttl=TTL).hold(now + TTL)

    record = leases.get("sla-sweep")
    assert taken_over is True
    assert record is not None
    assert (record.holder, record.acquired_at, record.expires_at) == (
        "hub-b",
        clock.now() + TTL,
        clock.now() + 2 * TTL,
    )
    assert record.acquired_at.utcoffset() == timedelta(0)


def test_leases_of_different_names_are_independent(
    open_leases: OpenLeases, clock: FakeClock
) -> None:
    leases = open_leases()

    assert Lease(leases, name="sla-sweep", holder="hub-a", ttl=TTL).hold(clock.now())
    assert Lease(leases, name="nightly-report", holder="hub-b", ttl=TTL).hold(clock.now())


@pytest.mark.parametrize("expired", [False, True], ids=["free", "expired"])
def test_of_many_hubs_asking_at_once_exactly_one_gets_the_lease(
    open_leases: OpenLeases, clock: FakeClock, expired: bool
) -> None:
    if expired:
        Lease(open_leases(), name="sla-sweep", holder="dead-hub", ttl=TTL).hold(clock.now())
        clock.advance(TTL + timedelta(seconds=1))
    hubs = [Lease(open_leases(), name="sla-sweep", holder=f"hub-{n}", ttl=TTL) for n in range(6)]
    start = threading.Barrier(len(hubs))
    now = clock.now()

    def ask(lease: Lease) -> bool:
        start.wait()
        return lease.hold(now)

    with ThreadPoolExecutor(max_workers=len(hubs)) as pool:
        answers = list(pool.map(ask, hubs))

    assert answers.count(True) == 1
    record = hubs[0].store.get("sla-sweep")
    assert record is not None
    assert record.holder == hubs[answers.index(True)].holder
