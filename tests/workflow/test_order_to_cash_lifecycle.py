"""Order-to-cash from receipt to closed, through the paths a healthy order takes."""

from __future__ import annotations

from decimal import Decimal

from crossdock.core.fulfilment import FulfilmentRequest
from crossdock.core.order import OrderStatus
from crossdock.core.routing import RouteDecision
from crossdock.orchestration.messages import (
    CancelTimer,
    ConsumeStock,
    CreateSalesOrder,
    DeadlineReached,
    FulfilmentAccepted,
    NotifyStatus,
    OrderReceived,
    PostInvoice,
    ReleaseStock,
    RequestFulfilment,
    ReserveStock,
    ScheduleTimer,
    StockAvailable,
)

from .estate import NOW, POLICY, STATUS_SYSTEMS, Driver, booking, make_order, milestone

S = OrderStatus
D = Decimal


def statuses(notifications: list[NotifyStatus]) -> list[tuple[str, str]]:
    return [(n.system, n.status) for n in notifications]


def test_a_valid_order_is_validated_and_asks_for_its_stock_in_one_decision() -> None:
    driver = Driver()
    decision = driver.workflow.decide(None, OrderReceived(order=make_order()), driver.facts)

    assert decision.state.status is S.VALIDATED
    assert decision.commands == (
        ReserveStock(
            order_id="O-1",
            location="WH1",
            lines=((1, "BOLT", D(10)), (2, "NUT", D(4))),
        ),
    )
    assert decision.state.version == 0


def test_reserved_stock_routes_the_order_and_asks_the_erp_to_book_it() -> None:
    driver = Driver()
    outcome = driver.receive()
    routed = outcome.decisions[1]

    assert driver.status() is S.ROUTED
    assert driver.current.route == RouteDecision(system="legacy_erp", rule="entity-A")
    assert routed.rule == "entity-A"
    assert "routed to legacy_erp by rule entity-A" in routed.summary
    assert [e.name for e in routed.events] == ["accepted", "routed"]
    assert outcome.of(CreateSalesOrder) == [
        CreateSalesOrder(system="legacy_erp", order_id="O-1", order=make_order())
    ]
    assert outcome.of(ScheduleTimer) == [
        ScheduleTimer(order_id="O-1", name="booking", due_at=NOW + POLICY.booking_deadline)
    ]
    assert statuses(outcome.of(NotifyStatus)) == [(s, "accepted") for s in STATUS_SYSTEMS]
    assert driver.ledger.reserved("BOLT") == D(10)


def test_an_order_no_rule_matches_is_routed_to_the_default_system() -> None:
    driver = Driver()
    driver.receive(make_order(legal_entity="Z"))

    assert driver.current.route == RouteDecision(system="cloud_erp", rule="default")
    assert driver.history[-1].rule == "default"


def test_a_booked_order_cancels_its_timer_and_is_released_to_the_warehouse() -> None:
    driver = Driver()
    driver.receive()
    booked = driver.send(booking())

    assert driver.status() is S.BOOKED
    assert driver.current.sales_order == booking().sales_order
    assert booked.of(CancelTimer) == [CancelTimer(order_id="O-1", name="booking")]
    assert booked.of(RequestFulfilment) == [
        RequestFulfilment(
            system="wms",
            order_id="O-1",
            request=FulfilmentRequest(
                order_id="O-1",
                location="WH1",
                ship_to_name="Acme Hardware",
                lines=((1, "BOLT", D(10)), (2, "NUT", D(4))),
            ),
        )
    ]

    driver.send(FulfilmentAccepted(system="wms", fulfilment_id="F-9"))

    assert driver.status() is S.RELEASED
    assert (driver.current.fulfilment_system, driver.current.fulfilment_id) == ("wms", "F-9")


def test_happy_path_runs_from_receipt_to_closed() -> None:
    driver = Driver()
    driver.to_released()

    shipped = driver.send(milestone("S1", bolts="10", nuts="4", final=True))

    assert driver.status() is S.SHIPPED
    assert shipped.events == ["shipment_confirmed", "invoice_issued"]
    assert shipped.of(ConsumeStock) == [
        ConsumeStock(order_id="O-1", location="WH1", lines=((1, "BOLT", D(10)), (2, "NUT", D(4))))
    ]
    notes = shipped.of(NotifyStatus)
    assert statuses(notes) == [(s, "shipped") for s in STATUS_SYSTEMS]
    assert notes[0].detail == {"shipment_id": "S1", "carrier": "UPS", "tracking_number": "1Z-S1"}
    (post,) = shipped.of(PostInvoice)
    assert (post.system, post.sales_order_number) == ("legacy_erp", "SO-500")
    # 10 × 2.50 + 4 × 12.00 = 73.00; tax 73.00 × 0.0825 = 6.0225 → 6.02.
    assert (post.invoice.subtotal, post.invoice.tax_amount, post.invoice.total) == (
        D("73.00"),
        D("6.02"),
        D("79.02"),
    )
    assert driver.ledger.reserved("BOLT") == 0
    assert driver.ledger.positions[("BOLT", "WH1")].on_hand == D(90)

    (posted,) = driver.post_invoices(shipped)
    assert driver.status() is S.INVOICED
    assert posted.events == ["invoiced"]
    assert statuses(posted.of(NotifyStatus)) == [(s, "invoiced") for s in STATUS_SYSTEMS]

    first, last = driver.acknowledge("invoiced")
    assert first.first.state.status is S.INVOICED
    assert driver.status() is S.CLOSED
    assert driver.current.closed_at == NOW
    assert last.events == ["closed"]


def test_with_no_status_systems_an_invoiced_order_closes_at_once() -> None:
    driver = Driver(POLICY.model_copy(update={"status_systems": ()}))
    driver.to_released()
    shipped = driver.send(milestone("S1", bolts="10", nuts="4"))
    assert not shipped.of(NotifyStatus)

    (posted,) = driver.post_invoices(shipped)

    assert driver.status() is S.CLOSED
    assert posted.events == ["invoiced", "closed"]


def test_a_partial_shipment_then_the_final_one_raise_two_invoices() -> None:
    driver = Driver()
    driver.to_released()

    first = driver.send(milestone("S1", bolts="6", nuts="4"))
    assert driver.status() is S.PARTIALLY_SHIPPED
    driver.post_invoices(first)
    assert driver.status() is S.PARTIALLY_SHIPPED, "a partly shipped order is not invoiced yet"

    second = driver.send(milestone("S2", bolts="4"))
    assert driver.status() is S.SHIPPED
    invoices = [p.invoice for p in first.of(PostInvoice) + second.of(PostInvoice)]
    assert [(i.invoice_id, i.subtotal) for i in invoices] == [
        ("O-1-S1", D("63.00")),
        ("O-1-S2", D("10.00")),
    ]

    driver.post_invoices(second)
    assert driver.status() is S.INVOICED
    assert [s.invoice_number for s in driver.current.shipments] == ["INV-S1", "INV-S2"]
    assert driver.current.shipped_quantities() == {1: D(10), 2: D(4)}


def test_final_short_shipment_invoices_only_what_shipped() -> None:
    driver = Driver()
    driver.to_released()

    outcome = driver.send(milestone("S1", bolts="7", nuts="4", final=True))

    assert driver.status() is S.SHIPPED
    assert driver.current.final_shipment_seen
    (post,) = outcome.of(PostInvoice)
    assert [(line.line_no, line.quantity) for line in post.invoice.lines] == [(1, D(7)), (2, D(4))]
    assert post.invoice.subtotal == D("65.50")
    # An earlier shipment may still be reported (warehouses report out of order): wait first.
    assert outcome.of(ReleaseStock) == []
    (settle,) = outcome.of(ScheduleTimer)
    assert (settle.name, settle.due_at) == ("short_ship_settle", NOW + POLICY.short_ship_settle)
    driver.post_invoices(outcome)
    assert driver.status() is S.SHIPPED, "not invoiced while a late shipment may still come"

    settled = driver.send(DeadlineReached(timer="short_ship_settle"))

    assert settled.of(ReleaseStock) == [ReleaseStock(order_id="O-1")]
    assert driver.ledger.reserved("BOLT") == 0
    assert driver.ledger.available("BOLT") == D(93)
    assert driver.status() is S.INVOICED


def test_a_shipment_reported_after_the_final_one_is_invoiced_and_completes_the_order() -> None:
    driver = Driver()
    driver.to_released()

    last = driver.send(milestone("S2", bolts="4", final=True))
    driver.post_invoices(last)
    assert driver.status() is S.SHIPPED
    late = driver.send(milestone("S1", bolts="6", nuts="4"))

    assert [p.invoice.invoice_id for p in late.of(PostInvoice)] == ["O-1-S1"]
    assert late.of(CancelTimer) == [CancelTimer(order_id="O-1", name="short_ship_settle")]
    assert late.of(ReleaseStock) == []
    driver.post_invoices(late)
    assert driver.status() is S.INVOICED
    assert driver.current.shipped_quantities() == {1: D(10), 2: D(4)}
    assert driver.ledger.reserved("BOLT") == 0


def test_a_short_order_is_backordered_then_reserved_and_routed_when_stock_arrives() -> None:
    driver = Driver(stock={("BOLT", "WH1"): "6", ("NUT", "WH1"): "100"})

    short = driver.receive()

    assert driver.status() is S.BACKORDERED
    assert short.events == ["backordered"]
    assert statuses(short.of(NotifyStatus)) == [(s, "backordered") for s in STATUS_SYSTEMS]
    assert "line 1 (BOLT) wants 10, 6 available" in short.summary
    assert driver.ledger.reserved("NUT") == 0, "a backorder holds no stock"

    still_short = driver.send(StockAvailable(sku="BOLT", location="WH1"))
    assert driver.status() is S.BACKORDERED
    assert still_short.events == []

    driver.ledger.add("BOLT", "WH1", "10")
    arrived = driver.send(StockAvailable(sku="BOLT", location="WH1"))

    assert driver.status() is S.ROUTED
    assert arrived.of(ReserveStock)
    assert arrived.events == ["accepted", "routed"]
    assert driver.ledger.reserved("BOLT") == D(10)


def test_stock_arriving_elsewhere_or_of_another_sku_does_not_retry_a_backorder() -> None:
    driver = Driver(stock={("BOLT", "WH1"): "6", ("NUT", "WH1"): "100"})
    driver.receive()

    for sku, location in (("BOLT", "WH2"), ("SCREW", "WH1")):
        outcome = driver.send(StockAvailable(sku=sku, location=location))
        assert outcome.commands == []
        assert "does not need it" in outcome.summary
    assert driver.status() is S.BACKORDERED


def test_an_order_ships_from_its_regions_warehouse_when_it_names_none() -> None:
    policy = POLICY.model_copy(update={"region_locations": {"WEST": "WH-W"}})
    driver = Driver(policy, stock={("BOLT", "WH-W"): "50", ("NUT", "WH-W"): "50"})

    outcome = driver.receive()

    assert outcome.of(ReserveStock)[0].location == "WH-W"
    assert driver.status() is S.ROUTED
    assert driver.current.reservation is not None
    assert driver.current.reservation.location == "WH-W"


def test_milestones_that_overtake_the_warehouses_acceptance_still_ship_the_order() -> None:
    driver = Driver()
    driver.to_booked()

    driver.send(milestone("S1", bolts="10", nuts="4", final=True))
    assert driver.status() is S.SHIPPED

    late = driver.send(FulfilmentAccepted(system="wms", fulfilment_id="F-9"))
    assert driver.status() is S.SHIPPED
    assert driver.current.fulfilment_id == "F-9"
    assert late.commands == []
