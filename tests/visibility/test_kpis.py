"""Business KPIs against hand-computed values on a scenario where every timestamp is known.

The scenario is written through the store's own ports (orders, timeline, deliveries, exceptions,
stock), as the engine would have written it, at times chosen so the answers can be worked out on
paper; the hand computation sits next to each assertion. Window: ``[T0, T0 + 2h)``, 09:00 to
11:00 UTC; the clock reads ``T0 + 2h`` when the report is computed. Every test runs on SQLite and
on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from api.estate import Estate, client
from credentials import admin_key, partner_key
from crossdock.core.inventory import InventoryPosition
from crossdock.core.order import OrderStatus
from crossdock.integration.access.store import AccessStore
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.store import TimelineEntry
from crossdock.orchestration.store_ops import (
    ExceptionChange,
    ExceptionQuery,
    ExceptionRecord,
    SystemState,
)
from crossdock.orchestration.wakeups import InProcessWakeups
from crossdock.orchestration.workflow import OrderState
from crossdock.visibility.kpi_report import KpiReport
from crossdock.visibility.kpis import Kpis
from crossdock.visibility.kpis_api import kpis_router
from crossdock.visibility.percentiles import nearest_rank
from postgres import DATABASES, empty_database
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


@pytest.fixture(params=DATABASES)
def estate(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Estate]:
    """The scenario, on SQLite and on PostgreSQL."""
    with empty_database(request.param, tmp_path) as url:
        store = SqlStore(url)
        store.create_schema()
        clock = FakeClock()
        built = Estate(
            store=store,
            clock=clock,
            desk=OrderDesk(store, clock, InProcessWakeups()),
            access=AccessStore(store.engine, clock),
        )
        _scenario(built)
        yield built
        store.close()


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


def _hourly(report: KpiReport) -> list[tuple[str, int, int, int]]:
    return [
        (f"{c.hour:%d %H:%M}", c.received, c.shipped, c.closed) for c in report.throughput.per_hour
    ]


def test_orders_per_hour_match_the_scenario_and_an_hour_without_orders_is_a_zero(
    estate: Estate,
) -> None:
    report = Kpis(estate.store, estate.clock).report(SINCE, UNTIL)

    # Window 09:00–11:00 UTC. 09:00: O-1..O-4 received at 09:00, first shipped at +10/20/30/40
    # min (O-1's repeat at +50 is not a second shipment), O-1 and O-2 closed at +20 and +35.
    # 10:00: nothing happened.
    assert _hourly(report) == [("05 09:00", 4, 4, 2), ("05 10:00", 0, 0, 0)]
    assert sum(c.received for c in report.throughput.per_hour) == report.throughput.received


def test_a_window_off_the_hour_counts_only_the_part_of_its_first_and_last_hours_inside_it(
    estate: Estate,
) -> None:
    report = Kpis(estate.store, estate.clock).report(T0 - 90 * MIN, T0 + 25 * MIN)

    # [07:30, 09:25): 07:00 (from 07:30) is empty. 08:00: O-OLD received at 08:00 and shipped
    # at 08:30. 09:00 (to 09:25): four received at 09:00, O-1 and O-2 shipped at 09:10 and
    # 09:20, O-1 closed at 09:20; O-3's shipment (09:30) and O-2's closing (09:35) fall after.
    assert _hourly(report) == [
        ("05 07:00", 0, 0, 0),
        ("05 08:00", 1, 1, 0),
        ("05 09:00", 4, 2, 1),
    ]


def test_the_last_24_hours_are_24_clock_hours_mostly_zeros(estate: Estate) -> None:
    report = Kpis(estate.store, estate.clock).report(UNTIL - 24 * 60 * MIN, UNTIL)

    # 11:00 on the 4th to 11:00 on the 5th: hours 11:00 .. 10:00, oldest first.
    hourly = _hourly(report)
    assert len(hourly) == 24
    assert (hourly[0][0], hourly[-1][0]) == ("04 11:00", "05 10:00")
    busy = {hour: counts for hour, *counts in hourly if any(counts)}
    assert busy == {"05 08:00": [1, 1, 0], "05 09:00": [4, 4, 2]}


def test_a_recent_report_answers_for_a_minute_then_is_computed_again(estate: Estate) -> None:
    kpis = Kpis(estate.store, estate.clock)
    day = 24 * 60 * MIN
    first = kpis.recent(day)
    with estate.store.unit_of_work() as uow:  # a fifth order arrives just after
        late = make_order("O-5").model_copy(update={"received_at": UNTIL - MIN})
        uow.orders.add(late)

    estate.clock.advance(timedelta(seconds=59))  # the same report
    again = kpis.recent(day)
    estate.clock.advance(MIN)  # past the minute: a new one, with the fifth order
    fresh = kpis.recent(day)

    assert again is first
    assert first.throughput.received == 5  # O-1..O-4 at T0 and O-OLD an hour before
    assert fresh.computed_at == UNTIL + timedelta(seconds=59) + MIN
    assert fresh.throughput.received == 6


def test_a_window_longer_than_a_month_is_not_counted_hour_by_hour(estate: Estate) -> None:
    month = Kpis(estate.store, estate.clock).report(UNTIL - 31 * 24 * 60 * MIN, UNTIL)
    longer = Kpis(estate.store, estate.clock).report(UNTIL - 31 * 24 * 60 * MIN - MIN, UNTIL)

    assert len(month.throughput.per_hour) == 31 * 24
    assert longer.throughput.per_hour == []
    assert longer.throughput.received == month.throughput.received == 5


def test_unsettled_exceptions_are_counted_by_how_long_they_have_waited(estate: Estate) -> None:
    with estate.store.unit_of_work() as uow:
        uow.exceptions.raise_exception(_exception("cloud_erp", "timeout", UNTIL - 5 * MIN))
    kpis = Kpis(estate.store, estate.clock)

    def bands(report: KpiReport) -> dict[str, tuple[int, int, int]]:
        return {
            item.system: (item.ages.under_hour, item.ages.under_day, item.ages.day_or_more)
            for item in report.exceptions
        }

    # Now +120 min. legacy_erp: first seen +10 and +30 → 110 and 90 min. cloud_erp: +60 → 60
    # min exactly (an hour or more), +115 → 5 min.
    assert bands(kpis.report(SINCE, UNTIL)) == {"legacy_erp": (0, 2, 0), "cloud_erp": (1, 1, 0)}
    estate.clock.advance(23 * 60 * MIN)
    # Now +25 h: 24 h 50 min and 24 h 30 min; 24 h exactly (a day or more) and 23 h 05 min.
    assert bands(kpis.report(SINCE, UNTIL)) == {"legacy_erp": (0, 0, 2), "cloud_erp": (0, 1, 1)}


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
    assert body["throughput"]["per_hour"] == [
        {"hour": "2026-01-05T09:00:00Z", "received": 4, "shipped": 4, "closed": 2},
        {"hour": "2026-01-05T10:00:00Z", "received": 0, "shipped": 0, "closed": 0},
    ]
    assert reversed_window.status_code == 422
    assert reversed_window.headers["content-type"].startswith("application/problem+json")
    assert refused.status_code == 403
