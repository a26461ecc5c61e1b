"""The WMS reports milestones out of order (shipped before picked) and more than once.

Some fulfilments' events are held back and sent in a shuffle that is never picked → packed →
shipped; some events are posted twice with the same event id. The hub keeps one message per event
id (a repeat is answered ``{"accepted": false}``), takes the first ``shipped`` of a shipment as the
one that counts, and records a late ``picked`` or ``packed`` as history: every order closes with
one fulfilment, one invoice per shipment, one status update each.

When an order ships in two shipments and the last one's ``shipped`` (marked ``final``) overtakes
the first one's, the order must not close short: it waits (``short_ship_settle_minutes``) for the
shipments still on their way, and each is invoiced once.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from crossdock.cluster import LocalCluster, wait_for
from crossdock.integration.store import schema as t

from .books import (
    closed_within,
    decisions_mentioning,
    take_books,
    total_backlog,
    warehouse_events,
)
from .conftest import StartCluster
from .figures import Figures
from .sampler import Sampler

pytestmark = [pytest.mark.slow, pytest.mark.faults]

ORDERS = int(os.environ.get("CROSSDOCK_FAULT_WMS_ORDERS", "300"))
DISORDER = {"reorder_events_rate": 0.5, "duplicate_event_rate": 0.3}
OUT_OF_ORDER = ("ignored ", "already ", "before the warehouse's acceptance arrived")
"""What a decision's summary says when a milestone came late, twice, or before its acceptance."""
RANK = {"picked": 0, "packed": 1, "shipped": 2}
SPLIT_ORDERS = 20


def orders_told_out_of_order(cluster: LocalCluster) -> int:
    """Orders for which the hub received some shipment's milestones out of their natural order."""
    inbox = t.inbox
    rows = cluster.read_store(
        lambda uow: list(
            uow.connection.execute(
                select(inbox.c.order_id, inbox.c.body)
                .where(inbox.c.dedupe_key.like("wms:%"))
                .order_by(inbox.c.message_id)
            )
        )
    )
    seen: dict[tuple[str, str], list[int]] = {}
    for order_id, body in rows:
        milestone = json.loads(body)["milestone"]
        ranks = seen.setdefault((order_id, milestone["shipment_id"]), [])
        ranks.append(RANK[milestone["milestone"]])
    return len({order for (order, _), ranks in seen.items() if ranks != sorted(ranks)})


def test_milestones_out_of_order_and_repeated_close_every_order_once(
    start_cluster: StartCluster, report: Callable[[Figures], None]
) -> None:
    started = time.monotonic()
    cluster = start_cluster()
    cluster.controls.set_faults("wms", **DISORDER)
    with Sampler(lambda: total_backlog(cluster), every_s=0.5) as backlog:
        cluster.place_orders(ORDERS, concurrency=8)
        placed = time.monotonic()
        everything_closed = closed_within(cluster, ORDERS, timeout_s=300)
        closed_s = time.monotonic() - placed
    # Repeats of the last events may still be on their way after the orders closed.
    wait_for(lambda: warehouse_events(cluster).unsent == 0, timeout_s=60, what="the WMS outbox")
    events = warehouse_events(cluster)
    books = take_books(cluster)
    noted = decisions_mentioning(cluster, *OUT_OF_ORDER)
    disordered = orders_told_out_of_order(cluster)

    report(
        Figures(
            scenario="wms_disorder",
            orders=len(books.accepted),
            lost=len(books.lost),
            duplicate_side_effects=books.duplicate_count,
            duplicates_absorbed=events.repeats_absorbed,
            time_to_recover_s=None,
            backlog_peak=max(backlog.readings(), default=0),
            run_s=round(time.monotonic() - started, 1),
            more={
                "faults": DISORDER,
                "wms_events_posted": events.posted,
                "wms_event_ids": events.distinct,
                "hub_milestones_stored": events.stored,
                "orders_whose_milestones_arrived_out_of_order": disordered,
                "decisions_noting_late_or_repeated_milestones": len(noted),
                "orders_with_such_decisions": len({order for order, _ in noted}),
                "orders_closed_in_s_after_placing": round(closed_s, 1),
            },
        )
    )
    assert everything_closed, books.lost[:20]
    assert books.lost == []
    assert books.duplicates == {}
    assert books.unmatched() == {}
    assert events.stored == events.distinct
    assert events.repeats_absorbed > 0
    assert disordered > 0
    assert noted, "no decision recorded a milestone arriving late"


def test_split_shipments_reported_out_of_order_are_each_invoiced_once(
    start_cluster: StartCluster, report: Callable[[Figures], None]
) -> None:
    started = time.monotonic()
    cluster = start_cluster()
    cluster.controls.set_faults("wms", reorder_events_rate=1.0, split_rate=1.0)
    cluster.place_orders(SPLIT_ORDERS, concurrency=4)
    placed = time.monotonic()
    everything_closed = closed_within(cluster, SPLIT_ORDERS, timeout_s=120)
    closed_s = time.monotonic() - placed
    books = take_books(cluster)

    report(
        Figures(
            scenario="wms_split_out_of_order",
            orders=len(books.accepted),
            lost=len(books.lost),
            duplicate_side_effects=books.duplicate_count,
            duplicates_absorbed=0,
            time_to_recover_s=None,
            backlog_peak=0,
            run_s=round(time.monotonic() - started, 1),
            more={
                "shipments_invoiced": len(books.invoices),
                "shipments_shipped": len(books.shipped),
                "orders_closed_in_s_after_placing": round(closed_s, 1),
            },
        )
    )
    assert everything_closed, books.lost
    assert books.lost == []
    assert books.duplicates == {}
    assert books.unmatched() == {}
    assert len(books.shipped) > SPLIT_ORDERS, "the orders should have shipped in two parts"
