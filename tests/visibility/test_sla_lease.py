"""One SLA sweeper at a time: every worker hub runs a monitor, only the sweep lease's holder sweeps.

Two hubs share one database — SQLite, PostgreSQL, or the in-memory store — each with its own
store (and so its own connections and threads) and the lease store bootstrap gives it. Orders are
written straight to the store: received and never booked, each breaches ``not_booked`` 20 minutes
on. Time moves only when a test advances the shared clock.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from crossdock.bootstrap import build_hub
from crossdock.core.order import Order, OrderLine
from crossdock.estate import parse_estate, sandbox_estate
from crossdock.integration.store.leases import SqlLeaseStore
from crossdock.integration.store.memory import MemoryDatabase, MemoryStore
from crossdock.integration.store.memory_leases import MemoryLeaseStore
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.leases import LeaseStore
from crossdock.orchestration.store import Store
from crossdock.orchestration.store_ops import ExceptionQuery
from crossdock.settings import Settings, StoreSettings
from crossdock.visibility.alerts import WebhookAlertSink
from crossdock.visibility.sla import SWEEP_LEASE, SlaMonitor, sweep_lease
from crossdock.visibility.sla_policy import SlaPolicy
from engine.hub import SHIP_TO
from postgres import DATABASES, empty_database

POLICY = SlaPolicy(not_booked_within=timedelta(minutes=20), sweep_every=timedelta(minutes=1))
TTL = timedelta(minutes=3)
"""The sweep lease of a one-minute sweep: three periods."""


@dataclass
class Endpoint:
    """The operations endpoint: answers ``status``, keeps the alert ids it was sent."""

    status: int = 204
    alert_ids: list[str] = field(default_factory=list)
    meanwhile: Callable[[], None] | None = None
    """Runs once, as the next alert comes in (what the rest of the world does meanwhile)."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.alert_ids.append(json.loads(request.content)["alert_id"])
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return httpx.Response(self.status)


class Cluster:
    """Hubs on one database, each with its own store and lease store, and one clock."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.url = url
        self.clock = FakeClock()
        self.endpoint = Endpoint()
        self.stores: list[Store] = []
        self._memory = MemoryDatabase()
        self._memory_leases = MemoryLeaseStore()
        self.store = self._open()

    def _open(self) -> Store:
        store: Store = MemoryStore(self._memory) if self.kind == "memory" else SqlStore(self.url)
        if isinstance(store, SqlStore) and not self.stores:
            store.create_schema()
        self.stores.append(store)
        return store

    def _leases(self, store: Store) -> LeaseStore:
        if isinstance(store, SqlStore):
            return SqlLeaseStore(store.engine)
        return self._memory_leases

    def hub(self, name: str) -> SlaMonitor:
        """The SLA monitor of one more worker hub, as bootstrap builds it."""
        store = self._open()
        sink = WebhookAlertSink(
            "https://ops.example/alerts", transport=httpx.MockTransport(self.endpoint)
        )
        lease = sweep_lease(self._leases(store), name, POLICY)
        return SlaMonitor(store, self.clock, POLICY, [sink], lease=lease)

    def received(self, *order_ids: str) -> None:
        """Orders received now (and never booked)."""
        with self.store.unit_of_work() as uow:
            for order_id in order_ids:
                assert uow.orders.add(_order(order_id, self.clock))

    def sla_exceptions(self) -> list[str]:
        with self.store.unit_of_work(write=False) as uow:
            found = uow.exceptions.search(ExceptionQuery(tag="sla"))
        return sorted(record.order_id for record in found)

    def close(self) -> None:
        for store in self.stores:
            store.close()


def _order(order_id: str, clock: FakeClock) -> Order:
    return Order(
        order_id=order_id,
        channel="storefront",
        channel_order_number=f"#{order_id}",
        customer_id="C-A",
        customer_po=f"PO-{order_id}",
        ship_to=SHIP_TO,
        legal_entity="A",
        region="WEST",
        lines=(OrderLine(line_no=1, sku="BOLT", quantity=Decimal(5), unit_price=Decimal(2)),),
        received_at=clock.now(),
    )


@pytest.fixture(params=[*DATABASES, "memory"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    kind: str = request.param
    if kind == "memory":
        built = Cluster(kind, "")
        yield built
        built.close()
        return
    with empty_database(kind, tmp_path) as url:
        built = Cluster(kind, url)
        yield built
        built.close()


async def test_of_two_hubs_sweeping_at_once_only_the_lease_holder_raises_and_alerts(
    cluster: Cluster,
) -> None:
    a, b = cluster.hub("hub-a"), cluster.hub("hub-b")
    cluster.received("O-1", "O-2", "O-3")
    cluster.clock.advance(timedelta(minutes=20))

    reports = await asyncio.gather(a.run_once(), b.run_once())

    assert sorted(report.swept for report in reports) == [False, True]
    [sweep] = [report for report in reports if report.swept]
    assert (len(sweep.raised), sweep.alerted, sweep.alert_failures) == (3, 3, [])
    assert cluster.sla_exceptions() == ["O-1", "O-2", "O-3"]
    assert sorted(cluster.endpoint.alert_ids) == sorted(b.exception_id for b in sweep.raised)


async def test_the_lease_holder_sweeps_every_period_and_the_other_hub_waits(
    cluster: Cluster,
) -> None:
    a, b = cluster.hub("hub-a"), cluster.hub("hub-b")

    swept: list[tuple[bool, bool]] = []
    for n in range(6):  # twice the lease's length, renewed at every sweep
        cluster.received(f"O-{n}")
        cluster.clock.advance(timedelta(minutes=1))
        swept.append(((await a.run_once()).swept, (await b.run_once()).swept))

    assert swept == [(True, False)] * 6


async def test_a_hub_that_died_is_replaced_when_its_lease_runs_out_and_owed_alerts_go_out(
    cluster: Cluster,
) -> None:
    dead, heir = cluster.hub("hub-a"), cluster.hub("hub-b")
    cluster.received("O-1")
    cluster.clock.advance(timedelta(minutes=3))
    cluster.received("O-2")
    cluster.clock.advance(timedelta(minutes=17))
    cluster.endpoint.status = 503  # the endpoint is down as the first hub raises O-1 …
    assert [breach.order_id for breach in (await dead.run_once()).raised] == ["O-1"]
    cluster.endpoint.status = 204  # … and back up; then the first hub dies

    cluster.clock.advance(TTL - timedelta(seconds=1))
    while_held = await heir.run_once()
    cluster.clock.advance(timedelta(seconds=1))
    taken_over = await heir.run_once()

    assert while_held.swept is False
    assert taken_over.swept is True
    assert [breach.order_id for breach in taken_over.raised] == ["O-2"]
    assert taken_over.alerted == 2  # O-1's owed alert, then O-2's
    assert cluster.sla_exceptions() == ["O-1", "O-2"]
    with cluster.store.unit_of_work(write=False) as uow:
        owed = uow.exceptions.search(ExceptionQuery(tag="alert-pending"))
    assert owed == []


async def test_a_sweep_that_loses_its_lease_while_sending_alerts_stops_there(
    cluster: Cluster,
) -> None:
    stalls, heir = cluster.hub("hub-a"), cluster.hub("hub-b")
    cluster.received("O-1", "O-2")
    cluster.clock.advance(timedelta(minutes=1))
    cluster.received("O-3")
    cluster.clock.advance(timedelta(minutes=19))
    cluster.endpoint.status = 503
    await stalls.run_once()  # O-1 and O-2 raised, their alerts owed
    cluster.endpoint.status = 204
    cluster.clock.advance(timedelta(minutes=1))  # the owed alerts are due, and O-3 breaches

    def taken_over() -> None:
        # The first hub's send takes longer than its lease, which the second hub takes over.
        cluster.clock.advance(TTL)
        assert heir.lease is not None
        assert heir.lease.hold(cluster.clock.now())

    cluster.endpoint.meanwhile = taken_over
    stalled = await stalls.run_once()
    took_over = await heir.run_once()

    assert (stalled.swept, stalled.lease_lost, stalled.alerted) == (True, True, 1)
    assert (stalled.breaches, stalled.raised) == (0, [])
    assert [breach.order_id for breach in took_over.raised] == ["O-3"]
    assert took_over.alerted == 2  # O-2's owed alert, then O-3's
    assert cluster.sla_exceptions() == ["O-1", "O-2", "O-3"]


async def test_a_stopping_hub_gives_the_lease_up_and_another_sweeps_at_once(
    cluster: Cluster,
) -> None:
    a, b = cluster.hub("hub-a"), cluster.hub("hub-b")
    stop = asyncio.Event()
    stop.set()

    await a.run(stop)  # one sweep, then it stops
    taken_over = await b.run_once()

    assert taken_over.swept is True
    leases = b.lease.store if b.lease is not None else None
    assert leases is not None
    record = leases.get(SWEEP_LEASE)
    assert record is not None
    assert record.holder == "hub-b"


@pytest.mark.parametrize("kind", DATABASES)
async def test_worker_hubs_built_by_bootstrap_share_one_sweep_lease(
    kind: str, tmp_path: Path
) -> None:
    document = sandbox_estate().model_dump(mode="json")
    document["sla"] = {"not_booked_within_minutes": 20, "sweep_s": 60}
    estate = parse_estate(document)
    clock = FakeClock()
    with empty_database(kind, tmp_path) as url:
        settings = Settings(store=StoreSettings(url=url))
        hubs = [build_hub(settings, estate, clock=clock, migrate=n == 0) for n in range(2)]
        try:
            monitors = [hub.sla for hub in hubs if hub.sla is not None]
            swept = [(await monitor.run_once()).swept for monitor in monitors]
            holders = {monitor.lease.holder for monitor in monitors if monitor.lease}
        finally:
            for hub in hubs:
                await hub.stop()

    assert swept == [True, False]
    assert len(holders) == 2  # each process its own holder id
