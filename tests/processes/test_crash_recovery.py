"""``kill -9`` of the hub mid-delivery: after a restart, every order closes, nothing twice.

Real processes over real HTTP: ``crossdock sandbox up`` and ``crossdock up`` on a SQLite file.
The legacy ERP has no idempotency support and is made slow, so when the hub dies some of its
sales-order requests are in flight: the ERP creates those orders after the hub is gone, and the
restarted hub must find them by their external reference instead of creating them again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crossdock.cluster import LocalCluster, wait_for
from crossdock.integration.store.sql import SqlStore

ORDERS = 30


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[LocalCluster]:
    running = LocalCluster(tmp_path)
    yield running
    running.stop()


def in_flight(processes: LocalCluster, system: str) -> int:
    store = SqlStore(processes.store_url)
    try:
        with store.unit_of_work(write=False) as uow:
            return uow.deliveries.counts().get(system, {}).get("in_flight", 0)
    finally:
        store.close()


def test_a_hub_killed_mid_delivery_books_every_order_once_after_restart(
    processes: LocalCluster,
) -> None:
    processes.start_sandbox()
    slow = {"latency_ms": 400}
    assert httpx.put(f"{processes.url('legacy_erp')}/_sandbox/faults", json=slow).is_success
    processes.start_hub()
    wait_for(
        lambda: httpx.get(f"{processes.url('hub')}/healthz").is_success, timeout_s=10, what="hub"
    )

    placed = httpx.post(
        f"{processes.url('storefront')}/_sandbox/orders",
        json={"count": ORDERS, "concurrency": 4},
        timeout=120,
    )
    assert placed.is_success
    # Kill while the hub has legacy ERP requests on the wire (each takes 400 ms there): the ERP
    # finishes them after the hub is gone, and the restarted hub must not create them again.
    wait_for(
        lambda: in_flight(processes, "legacy_erp") > 0,
        timeout_s=60,
        what="legacy ERP deliveries in flight",
    )
    processes.kill_hub()
    caught_in_flight = in_flight(processes, "legacy_erp")

    processes.start_hub()
    statuses = wait_for(
        lambda: (s := processes.hub_statuses()) and s.get("closed") == ORDERS and s,
        timeout_s=180,
        what=f"{ORDERS} closed orders",
    )

    assert statuses == {"closed": ORDERS}
    assert caught_in_flight > 0, "the kill should land while legacy ERP requests are in flight"
    legacy = Counter(
        d["external_ref"] for d in processes.ledger("legacy_erp") if d["kind"] == "sales_order"
    )
    cloud = Counter(
        d["external_ref"] for d in processes.ledger("cloud_erp") if d["kind"] == "sales_order"
    )
    assert [ref for ref, n in legacy.items() if n > 1] == []
    assert [ref for ref, n in cloud.items() if n > 1] == []
    assert sum(legacy.values()) + sum(cloud.values()) == ORDERS
    wms = Counter(d["external_ref"] for d in processes.ledger("wms") if d["kind"] == "fulfilment")
    assert len(wms) == ORDERS
    assert max(wms.values()) == 1
