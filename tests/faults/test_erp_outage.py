"""The legacy ERP answers 503 for a minute while 500 orders flow.

Its deliveries wait in its queue (store-and-forward), the circuit to it opens after a few failures
and stops the hub from hammering it, a probe finds it back, the circuit closes, and the backlog
drains: every order closes, and the ERP holds one sales order per order and one invoice per
shipment — the hub re-sent nothing that had already been created.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest

from crossdock.cluster import wait_for

from .books import closed_within, repeated_attempts, system_lines, take_books
from .conftest import StartCluster
from .figures import Figures
from .sampler import Sampler

pytestmark = [pytest.mark.slow, pytest.mark.faults]

ORDERS = int(os.environ.get("CROSSDOCK_FAULT_OUTAGE_ORDERS", "500"))
OUTAGE_S = 60.0
ERP = "legacy_erp"


def test_a_minute_long_erp_outage_opens_and_closes_the_circuit_and_loses_nothing(
    start_cluster: StartCluster, report: Callable[[Figures], None]
) -> None:
    started = time.monotonic()
    cluster = start_cluster()
    placing = cluster.place_orders_in_background(ORDERS, concurrency=8)
    # Take the ERP down once orders are flowing, so the outage finds them at every stage.
    wait_for(lambda: cluster.deliveries(ERP).get("done", 0) >= 20, timeout_s=60, what="bookings")

    def observe() -> tuple[int, str]:
        return cluster.backlog(ERP), cluster.gate(ERP).breaker

    with Sampler(observe, every_s=0.5) as samples:
        cluster.controls.start_outage(ERP, OUTAGE_S)
        outage_ends = time.monotonic() + OUTAGE_S
        wait_for(
            lambda: cluster.gate(ERP).breaker == "open",
            timeout_s=OUTAGE_S,
            what=f"the circuit to {ERP} to open",
        )
        placing.result(timeout=300)
        everything_closed = closed_within(cluster, ORDERS, timeout_s=OUTAGE_S + 240)
        recovered_s = time.monotonic() - outage_ends
    books = take_books(cluster)
    lines = system_lines(cluster, ERP)
    systems = cluster.systems()
    stats = cluster.controls.stats(ERP)
    breakers = [breaker for _, breaker in samples.readings()]

    report(
        Figures(
            scenario="erp_outage",
            orders=len(books.accepted),
            lost=len(books.lost),
            duplicate_side_effects=books.duplicate_count,
            duplicates_absorbed=repeated_attempts(cluster, ERP),
            time_to_recover_s=round(recovered_s, 1) if everything_closed else None,
            backlog_peak=max((backlog for backlog, _ in samples.readings()), default=0),
            run_s=round(time.monotonic() - started, 1),
            more={
                "outage_s": OUTAGE_S,
                "erp_requests_refused_503": stats["unavailable"],
                "circuit_changes": [summary for _, summary in lines],
            },
        )
    )
    assert everything_closed, books.lost[:20]
    assert books.lost == []
    assert books.duplicates == {}
    assert books.unmatched() == {}
    assert "open" in breakers
    opened = [s for _, s in lines if s.startswith(f"circuit to {ERP} opened")]
    closed = [s for _, s in lines if s.startswith(f"circuit to {ERP} closed")]
    assert opened, lines
    assert closed, lines
    # The lines are on the timelines of the orders whose deliveries tipped the circuit.
    for order_id, summary in lines:
        assert summary in [entry["summary"] for entry in cluster.timeline(order_id)]
    assert systems[ERP]["breaker"] == "closed"
    assert systems[ERP]["pending"] == 0
