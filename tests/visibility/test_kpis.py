"""Business KPIs against hand-computed values on a scenario where every timestamp is known.

The scenario is written through the store's own ports (orders, timeline, deliveries, exceptions,
stock), as the engine would have written it, at times chosen so the answers can be worked out on
paper; the hand computation sits next to each assertion. Window: ``[T0, T0 + 2h)``; the clock
reads ``T0 + 2h`` when the report is computed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from api.estate import Estate, build_estate, client
from credentials import admin_key, partner_key
from crossdock.core.inventory import InventoryPosition
from crossdock.core.order import OrderStatus
from crossdock.orchestration.store import TimelineEntry
from crossdock.orchestration.store_ops import (
    ExceptionChange,
    ExceptionQuery,
    ExceptionRecord,
    SystemState,
)
from crossdock.orchestration.workflow import OrderState
from crossdock.visibility.kpis import Kpis
from crossdock.visibility.kpis_api import kpis_router
from crossdock.visibility.percentiles import nearest_rank
from store.samples import T0, make_delivery, make_order

MIN = timedelta(minutes=1)
SINCE, UNTIL = T0, T0 + 120 * MIN
FEEDS = ("edi-acme-846", "edi-bolts-846")


def _decision(order_id: str, status: OrderStatus, at: datetime) -> TimelineEntry:
    return TimelineEntry(
        order_id=order_id, at=at, kind="decision", summary=status.value, detail={"status": status}
    )


def _exception(system: str, error_type: str, first_seen: datetime) -> ExceptionRecord:
    return ExceptionRecord(
        exception_id="",
        order_id=f"O-{system}-{first_seen.minute}",
        system=system,
        operation="post_invoice",
        source="step",
        error_type=error_type,
        first_seen=first_seen,
        last_seen=first_seen,
    )


def _scenario(estate: Estate) -> None:
    store = estate.store
    with store.unit_of_work() as uow:
        # Four orders received at T0; O-1 and O-2 close in the window. O-OLD came an hour
        # before the window and shipped before it: outside every figure but the backlog.
        received = {f"O-{n}": T0 for n in range(1, 5)} | {"O-OLD": T0 - 60 * MIN}
        for order_id, at in received.items():
            uow.orders.add(make_order(order_id).model_copy(update={"received_at": at}))
        for order_id, closed in (("O-1", T0 + 20 * MIN), ("O-2", T0 + 35 * MIN)):
            row = uow.orders.get(order_id)
            assert row is not None
            state = OrderState(order=row.order, status=OrderStatus.CLOSED, closed_at=closed)
            uow.orders.save(state.model_copy(update={"version": 1}), 0, closed)
        # Shipped at +10/20/30/40 min, invoiced at +15/30/45/90 min (first decision counts:
        # O-1 is decided ``shipped`` twice, the repeat at +50 min is ignored).
        entries = [
            _decision("O-1", OrderStatus.RELEASED, T0 + 5 * MIN),
            _decision("O-OLD", OrderStatus.SHIPPED, T0 - 30 * MIN),
            _decision("O-1", OrderStatus.SHIPPED, T0 + 50 * MIN),
        ]
        for n, (shipped, invoiced) in enumerate(((10, 15), (20, 30), (30, 45), (40, 90)), 1):
            entries.insert(1, _decision(f"O-{n}", OrderStatus.SHIPPED, T0 + shipped * MIN))
            entries.append(_decision(f"O-{n}", OrderStatus.INVOICED, T0 + invoiced * MIN))
        uow.timeline.append(sorted(entries, key=lambda e: e.at))
        # Invoice postings in the window: O-1..O-3 done, O-4 failed. O-OLD's (done) was
        # created before the window. Plus WMS work: one waiting, one being sent.
        for n in range(1, 5):
            uow.deliveries.enqueue(make_delivery(f"O-{n}", "post_invoice", at=T0 + 10 * n * MIN))
        uow.deliveries.enqueue(make_delivery("O-OLD", "post_invoice", at=T0 - 10 * MIN))
        uow.deliveries.enqueue(make_delivery("O-1", "request_fulfilment", system="wms"))
        uow.deliveries.enqueue(make_delivery("O-2", "request_fulfilment", system="wms"))
    with store.unit_of_work() as uow:
        claimed = uow.deliveries.claim("erp", 10, T0 + 100 * MIN, T0 + 200 * MIN)
        claimed += uow.deliveries.claim("wms", 1, T0 + 100 * MIN, T0 + 200 * MIN)
        for delivery in claimed:
            if delivery.operation != "post_invoice":
                continue  # the WMS delivery stays in flight
            if delivery.order_id == "O-4":
                uow.deliveries.fail(delivery.delivery_id, "422 closed period", T0 + 100 * MIN)
            else:
                uow.deliveries.complete(delivery.delivery_id, T0 + 100 * MIN)
        uow.systems.save(SystemState(system="legacy_erp", breaker="open", opened_at=T0))
        # Unsettled exceptions: two http_422 at the legacy ERP (first seen +10, +30 min), one
        # timeout at the cloud ERP (+60 min); a resolved one that no longer counts.
        for system, error_type, minute in (
            ("legacy_erp", "http_422", 10),
            ("legacy_erp", "http_422", 30),
            ("cloud_erp", "timeout", 5),
            ("cloud_erp", "timeout", 60),
        ):
            uow.exceptions.raise_exception(_exception(system, error_type, T0 + minute * MIN))
            if minute == 5:
                settled = uow.exceptions.search(ExceptionQuery(system="cloud_erp"))[0]
                uow.exceptions.change(settled.exception_id, ExceptionChange(status="resolved"), T0)
        # Stock changes at +5 (BOLT), +50 (NUT), +100 min (WASHER); the two 846 feeds wrote
        # snapshots at acme: 0, +10, +60; bolts: +30, +70.
        for sku, minute in (("BOLT", 5), ("NUT", 50), ("WASHER", 100)):
            position = InventoryPosition(sku=sku, location="WH1", on_hand=Decimal(minute))
            uow.inventory.upsert_positions([position], T0 + minute * MIN)
        uow.timeline.append(
            [
                TimelineEntry(order_id=feed, at=T0 + minute * MIN, kind="delivery", summary="846")
                for feed, minutes in zip(FEEDS, ((0, 10, 60), (30, 70)), strict=True)
                for minute in minutes
            ]
        )
    estate.clock.advance(UNTIL - T0)


@pytest.fixture
def estate(tmp_path: Path) -> Iterator[Estate]:
    built = build_estate(tmp_path)
    _scenario(built)
    yield built
    built.store.close()


def test_percentiles_are_taken_by_nearest_rank() -> None:
    # n = 4: p50 is rank ceil(0.5 * 4) = 2, p95 rank ceil(0.95 * 4) = 4; n = 20: p95 is rank 19.
    assert nearest_rank([40, 10, 30, 20], 50) == 20
    assert nearest_rank([40, 10, 30, 20], 95) == 40
    assert nearest_rank(range(1, 21), 95) == 19
    assert nearest_rank([], 50) is None


def test_cycle_times_match_the_hand_computed_percentiles(estate: Estate) -> None:
    report = Kpis(estate.store, estate.clock, FEEDS).report(SINCE, UNTIL)

    # Received → shipped: 10, 20, 30, 40 min = 600, 1200, 1800, 2400 s (O-OLD shipped before
    # the window); p50 = rank 2 = 1200 s, p95 = rank 4 = 2400 s.
    shipped = report.cycle_times.received_to_shipped
    assert (shipped.count, shipped.p50_s, shipped.p95_s, shipped.max_s) == (4, 1200, 2400, 2400)
    # Received → invoiced: 15, 30, 45, 90 min = 900, 1800, 2700, 5400 s; p50 1800, p95 5400.
    invoiced = report.cycle_times.received_to_invoiced
    assert (invoiced.count, invoiced.p50_s, invoiced.p95_s) == (4, 1800, 5400)


def test_unsettled_exceptions_are_grouped_by_type_and_system_with_the_age_of_the_oldest(
    estate: Estate,
) -> None:
    report = Kpis(estate.store, estate.clock, FEEDS).report(SINCE, UNTIL)

    # Now is +120 min: the oldest http_422 (+10) is 110 min = 6600 s old; the one unsettled
    # timeout (+60; the +5 one is resolved) 60 min = 3600 s.
    assert [
        (item.error_type, item.system, item.count, item.oldest_age_s) for item in report.exceptions
    ] == [("http_422", "legacy_erp", 2, 6600), ("timeout", "cloud_erp", 1, 3600)]


def test_invoice_sync_throughput_and_systems_match_the_scenario(estate: Estate) -> None:
    report = Kpis(estate.store, estate.clock, FEEDS).report(SINCE, UNTIL)

    # Postings created in the window: 3 done, 1 failed → 3 / 4.
    assert (report.invoice_sync.done, report.invoice_sync.failed) == (3, 1)
    assert report.invoice_sync.success_rate == 0.75
    # 4 received and 2 closed over 2 hours: 2 and 1 an hour.
    throughput = report.throughput
    assert (throughput.received, throughput.closed) == (4, 2)
    assert (throughput.received_per_hour, throughput.closed_per_hour) == (2.0, 1.0)
    systems = {item.system: item for item in report.systems}
    assert (systems["legacy_erp"].breaker, systems["legacy_erp"].backlog) == ("open", 0)
    wms = systems["wms"]
    assert (wms.breaker, wms.pending, wms.in_flight, wms.backlog) == ("closed", 1, 1, 2)
    assert (systems["erp"].failed, systems["erp"].backlog) == (1, 0)


def test_inventory_latency_runs_to_the_last_feed_that_carried_the_change(estate: Estate) -> None:
    report = Kpis(estate.store, estate.clock, FEEDS).report(SINCE, UNTIL)

    # BOLT +5: acme sends at +10, bolts at +30 → 25 min = 1500 s. NUT +50: acme +60, bolts
    # +70 → 20 min = 1200 s. WASHER +100: no feed has sent since → unreflected.
    # [1200, 1500]: p50 = rank 1 = 1200, p95 = rank 2 = 1500.
    latency = report.inventory_latency
    assert (latency.changes, latency.feeds, latency.unreflected) == (3, 2, 1)
    assert (latency.reflected.count, latency.reflected.p50_s, latency.reflected.p95_s) == (
        2,
        1200,
        1500,
    )


def test_with_no_availability_feed_no_stock_change_counts_as_reflected(estate: Estate) -> None:
    latency = Kpis(estate.store, estate.clock).report(SINCE, UNTIL).inventory_latency

    assert (latency.changes, latency.feeds, latency.unreflected) == (3, 0, 3)
    assert latency.reflected.p50_s is None


def test_a_window_that_ends_before_it_starts_is_refused(estate: Estate) -> None:
    with pytest.raises(ValueError, match="window"):
        Kpis(estate.store, estate.clock).report(UNTIL, SINCE)


async def test_operators_read_the_kpis_over_the_api_and_partners_may_not(estate: Estate) -> None:
    app = estate.app(routers=[kpis_router(Kpis(estate.store, estate.clock, FEEDS))])
    window = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}

    async with client(app, key=admin_key(estate.access)) as http:
        answer = await http.get("/api/v1/kpis", params=window)
        reversed_window = await http.get(
            "/api/v1/kpis", params={"since": UNTIL.isoformat(), "until": SINCE.isoformat()}
        )
    async with client(app, key=partner_key(estate.access, "acme", ["C-1"])) as http:
        refused = await http.get("/api/v1/kpis", params=window)

    assert answer.status_code == 200
    body = answer.json()
    assert body["cycle_times"]["received_to_shipped"]["p95_s"] == 2400
    assert body["invoice_sync"]["success_rate"] == 0.75
    assert reversed_window.status_code == 422
    assert reversed_window.headers["content-type"].startswith("application/problem+json")
    assert refused.status_code == 403
