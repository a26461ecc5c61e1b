"""One order the legacy ERP refuses for good (a poison postal code) among ordinary orders.

The ERP answers 422 to that order's sales order every time. The hub does not retry a permanent
refusal: it raises exactly one exception, holds that order, and keeps every other order flowing.
An operator corrects the request (the postal code) and retries the exception through the API;
the order books, ships, invoices and closes, and nothing is created twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from crossdock.cluster import LocalCluster, wait_for

from .books import take_books, total_backlog
from .conftest import StartCluster
from .figures import Figures
from .sampler import Sampler

pytestmark = [pytest.mark.slow, pytest.mark.faults]

ORDERS = int(os.environ.get("CROSSDOCK_FAULT_POISON_ORDERS", "100"))
ERP = "legacy_erp"
POISON = "00000"
CORRECTED = "93650"


def poison_order(cluster: LocalCluster) -> dict[str, Any]:
    """A valid REST order for a legal-entity-A customer, shipped to the poison postal code."""
    erp = cluster.url(ERP)
    customer = next(
        c for c in httpx.get(f"{erp}/api/customers").json()["items"] if c["legal_entity"] == "A"
    )
    price = httpx.get(f"{erp}/api/prices").json()["items"][0]
    return {
        "channel_order_number": "POISON-1",
        "customer_po": "PO-POISON-1",
        "customer_id": customer["customer_id"],
        "ship_to": {
            "name": customer["name"],
            "line1": "1 Dock Road",
            "city": "Springfield",
            "postal_code": POISON,
            "country": "US",
        },
        "currency": customer["currency"],
        "lines": [
            {
                "line_no": 1,
                "sku": price["sku"],
                "quantity": "2",
                "uom": "EA",
                "unit_price": str(Decimal(price["unit_price"])),
            }
        ],
    }


def test_a_poison_order_raises_one_exception_and_closes_once_its_data_is_fixed(
    start_cluster: StartCluster, report: Callable[[Figures], None]
) -> None:
    started = time.monotonic()
    cluster = start_cluster()
    cluster.controls.set_faults(
        ERP, reject_when=[{"field": "ship_to.postal_code", "equals": POISON}]
    )
    with Sampler(lambda: total_backlog(cluster), every_s=0.5) as backlog:
        placing = cluster.place_orders_in_background(ORDERS, concurrency=8)
        poison_id = str(cluster.hub_post("/api/v1/orders", poison_order(cluster))["order_id"])
        placing.result(timeout=300)
        wait_for(
            lambda: cluster.hub_statuses() == {"closed": ORDERS, "on_hold": 1},
            timeout_s=300,
            what=f"{ORDERS} orders closed and the poison order held",
        )
        raised = cluster.hub_get("/api/v1/exceptions", status="open")["items"]
        held = cluster.hub_get(f"/api/v1/orders/{poison_id}")

        exception = cluster.hub_get(f"/api/v1/exceptions/{raised[0]['exception_id']}")
        request = exception["request"]
        request["order"]["ship_to"]["postal_code"] = CORRECTED
        fixed_at = time.monotonic()
        retried = cluster.hub_post(
            f"/api/v1/exceptions/{exception['exception_id']}/retry",
            {"request": request, "by": "test"},
        )
        # Until the workflow takes the release, the order is still held: wait for it to close.
        everything_closed = bool(
            wait_for(
                lambda: cluster.hub_statuses() == {"closed": ORDERS + 1},
                timeout_s=120,
                what="the corrected order to close",
            )
        )
        recovered_s = time.monotonic() - fixed_at
    books = take_books(cluster, api_orders=[poison_id])
    every_exception = cluster.hub_get("/api/v1/exceptions")["items"]
    booked = [
        d
        for d in cluster.controls.ledger(ERP)
        if d["kind"] == "sales_order" and d["external_ref"] == poison_id
    ]
    stats = cluster.controls.stats(ERP)

    report(
        Figures(
            scenario="poison_order",
            orders=len(books.accepted),
            lost=len(books.lost),
            duplicate_side_effects=books.duplicate_count,
            duplicates_absorbed=0,
            time_to_recover_s=round(recovered_s, 1) if everything_closed else None,
            backlog_peak=max(backlog.readings(), default=0),
            run_s=round(time.monotonic() - started, 1),
            more={
                "exceptions_raised": len(every_exception),
                "exception": {k: exception[k] for k in ("system", "operation", "error_type")},
                "poison_attempts_before_the_fix": exception["attempts"],
                "retry": {k: retried[k] for k in ("action", "reason")},
                "erp_requests": stats["requests"],
            },
        )
    )
    assert [(e["order_id"], e["system"], e["operation"]) for e in raised] == [
        (poison_id, ERP, "create_sales_order")
    ]
    assert exception["classification"] == "permanent"
    assert exception["attempts"] == 1, "a permanent refusal is not retried"
    assert held["status"] == "on_hold"
    assert retried["action"] == "send"
    assert everything_closed, books.lost
    assert books.lost == []
    assert books.duplicates == {}
    assert books.unmatched() == {}
    assert len(every_exception) == 1
    assert every_exception[0]["status"] == "replayed"
    assert [d["body"]["ship_to"]["postal_code"] for d in booked] == [CORRECTED]
