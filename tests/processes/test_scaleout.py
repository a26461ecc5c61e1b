"""Scale-out under fire: 2 API and 3 worker processes on PostgreSQL and NATS JetStream.

2,000 orders arrive through both API processes (storefront webhooks on one, REST orders on the
other) while a random worker is killed with ``kill -9`` every few seconds and a new one started.
Every accepted order must close, and every sandbox system must hold exactly one sales order,
fulfilment request and invoice per order: zero lost, zero duplicated.
"""

from __future__ import annotations

import os
import random
import secrets
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.cluster import LocalCluster, wait_for
from crossdock.integration.store.sql import SqlStore
from postgres import postgres_schema
from servers import require_nats

pytestmark = pytest.mark.slow

# CROSSDOCK_SCALEOUT_ORDERS scales the run down for a quick local look (CI runs the full 2,000).
TOTAL = int(os.environ.get("CROSSDOCK_SCALEOUT_ORDERS", "2000"))
REST_ORDERS = TOTAL // 4
WEBHOOK_ORDERS = TOTAL - REST_ORDERS
KILL_EVERY_S = 3.0


def master_data_loaded(store_url: str) -> bool:
    store = SqlStore(store_url)
    try:
        with store.unit_of_work(write=False) as uow:
            return all(uow.masterdata.counts().values())
    finally:
        store.close()


def rest_orders(cluster: LocalCluster, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Valid REST orders built from the sandbox's own catalogue."""
    erp = cluster.url("legacy_erp")
    customers = httpx.get(f"{erp}/api/customers").json()["items"]
    prices = {p["sku"]: p["unit_price"] for p in httpx.get(f"{erp}/api/prices").json()["items"]}
    skus = sorted(prices)
    orders = []
    for n in range(count):
        customer = rng.choice(customers)
        lines = [
            {
                "line_no": i + 1,
                "sku": sku,
                "quantity": str(rng.randint(1, 3)),
                "uom": "EA",
                "unit_price": str(Decimal(prices[sku])),
            }
            for i, sku in enumerate(rng.sample(skus, rng.randint(1, 3)))
        ]
        orders.append(
            {
                "channel_order_number": f"REST-{n:05d}",
                "customer_po": f"PO-R{n:05d}",
                "customer_id": customer["customer_id"],
                "ship_to": {
                    "name": customer["name"],
                    "line1": "1 Dock Road",
                    "city": "Springfield",
                    "postal_code": "12345",
                    "country": "US",
                },
                "currency": "USD",
                "lines": lines,
            }
        )
    return orders


def test_two_apis_and_three_workers_lose_and_duplicate_nothing_under_kill_9(
    tmp_path: Path,
) -> None:
    nats = require_nats()
    rng = random.Random(7)
    catalogue_rng = random.Random(11)
    with postgres_schema(prefix="scaleout") as store_url:
        cluster = LocalCluster(
            tmp_path, store_url=store_url, broker_url=nats, tenant=f"t{secrets.token_hex(4)}"
        )
        try:
            cluster.migrate()
            cluster.start_sandbox(in_memory=True)
            cluster.start_api()
            second_api = cluster.start_api()
            for _ in range(3):
                cluster.start_worker()
            wait_for(
                lambda: master_data_loaded(store_url),
                timeout_s=60,
                what="the workers' first master-data sync",
            )
            failures: list[BaseException] = []

            def storefront() -> None:
                try:
                    cluster.place_orders(WEBHOOK_ORDERS, concurrency=8)
                except BaseException as exc:  # reported by the main thread
                    failures.append(exc)

            def partner() -> None:
                try:
                    with httpx.Client(
                        base_url=f"http://127.0.0.1:{second_api}",
                        headers=cluster.operator_headers(),  # a key made in PostgreSQL
                        timeout=30,
                    ) as api:
                        for n, order in enumerate(rest_orders(cluster, REST_ORDERS, catalogue_rng)):
                            response = api.post(
                                "/api/v1/orders", json=order, headers={"Idempotency-Key": f"r{n}"}
                            )
                            assert response.status_code == 201, response.text
                except BaseException as exc:
                    failures.append(exc)

            senders = [threading.Thread(target=storefront), threading.Thread(target=partner)]
            for sender in senders:
                sender.start()
            kills = 0
            deadline = time.monotonic() + 900
            statuses: dict[str, int] = {}
            while time.monotonic() < deadline:
                time.sleep(KILL_EVERY_S)  # the kill cadence itself, not a synchronisation
                statuses = cluster.hub_statuses()
                if failures:
                    break
                if statuses.get("closed", 0) == TOTAL and not any(s.is_alive() for s in senders):
                    break
                cluster.kill_random_worker(rng)
                kills += 1
                cluster.start_worker()
            for sender in senders:
                sender.join(timeout=60)

            assert failures == [], [repr(f) for f in failures]
            assert statuses == {"closed": TOTAL}, statuses
            assert kills >= 3
            sales = Counter(
                d["external_ref"]
                for system in ("legacy_erp", "cloud_erp")
                for d in cluster.ledger(system)
                if d["kind"] == "sales_order"
            )
            invoices = Counter(
                d["external_ref"]
                for system in ("legacy_erp", "cloud_erp")
                for d in cluster.ledger(system)
                if d["kind"] == "invoice"
            )
            fulfilments = Counter(
                d["external_ref"] for d in cluster.ledger("wms") if d["kind"] == "fulfilment"
            )
            assert (len(sales), max(sales.values())) == (TOTAL, 1)
            assert (len(fulfilments), max(fulfilments.values())) == (TOTAL, 1)
            assert (len(invoices), max(invoices.values())) == (TOTAL, 1)
        finally:
            cluster.stop()
