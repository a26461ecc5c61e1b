"""Cancellations, holds and failures: what happens when an order cannot simply go on."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from crossdock.core.catalog import Price, Product
from crossdock.core.errors import BusinessRuleViolation
from crossdock.core.order import OrderStatus
from crossdock.core.party import Customer
from crossdock.orchestration.messages import (
    CancelFulfilment,
    CancellationRequested,
    CancelSalesOrder,
    CancelTimer,
    Command,
    CreateSalesOrder,
    DeadlineReached,
    DeliveryFailed,
    FulfilmentAccepted,
    HoldReleased,
    NotifyStatus,
    PostInvoice,
    RequestFulfilment,
    ReserveStock,
    ScheduleTimer,
    StatusNotified,
    StockAvailable,
)

from .estate import NOW, STATUS_SYSTEMS, Driver, booking, make_facts, make_order, milestone

S = OrderStatus
D = Decimal
CANCEL = CancellationRequested(reason="customer changed their mind", requested_by="storefront")


def kinds(commands: list[Command]) -> list[str]:
    return [getattr(c, "kind") for c in commands if not isinstance(c, NotifyStatus)]  # noqa: B009


def notified(commands: list[Command], status: str) -> list[str]:
    return [c.system for c in commands if isinstance(c, NotifyStatus) and c.status == status]


# ---------------------------------------------------------------- validation


def held_on_receipt(**fact_changes: object) -> Driver:
    driver = Driver(facts=make_facts(**fact_changes))
    outcome = driver.receive()
    assert driver.status() is S.ON_HOLD
    assert driver.current.held_from is S.RECEIVED
    assert outcome.events == ["held"]
    assert notified(outcome.commands, "on_hold") == list(STATUS_SYSTEMS)
    assert not outcome.of(ReserveStock)
    assert outcome.first.rule == "validation"
    return driver


def test_an_unknown_sku_puts_the_order_on_hold() -> None:
    driver = held_on_receipt(products={"BOLT": Product(sku="BOLT", description="Bolt")})
    assert driver.current.hold_reasons == ("line 2 (NUT): unknown SKU",)


def test_a_price_off_the_price_list_puts_the_order_on_hold() -> None:
    prices = dict(make_facts().prices)
    prices["BOLT"] = Price(sku="BOLT", currency="USD", unit_price=D("2.40"))
    driver = held_on_receipt(prices=prices)
    assert driver.current.hold_reasons == (
        "line 1 (BOLT): price 2.50 differs from 2.40 by more than 0.01",
    )


def test_an_unknown_customer_puts_the_order_on_hold() -> None:
    driver = held_on_receipt(customer=None)
    assert driver.current.hold_reasons == ("unknown customer C-1",)


def test_every_validation_failure_is_reported_at_once() -> None:
    customer = Customer(
        customer_id="C-1",
        name="Acme",
        legal_entity="A",
        region="WEST",
        currency="EUR",
        active=False,
    )
    products = {"BOLT": Product(sku="BOLT", description="Bolt", active=False)}
    order = make_order(ship_to=make_order().ship_to.model_copy(update={"city": "", "line1": " "}))
    driver = Driver(facts=make_facts(customer=customer, products=products))

    driver.receive(order)

    assert driver.current.hold_reasons == (
        "customer C-1 is inactive",
        "order currency USD differs from customer currency EUR",
        "line 1 (BOLT): SKU is inactive",
        "line 2 (NUT): unknown SKU",
        "ship-to is missing line1, city",
    )


def test_releasing_a_validation_hold_validates_again_with_the_new_facts() -> None:
    driver = held_on_receipt(customer=None)

    refused = driver.send(HoldReleased(released_by="ops@acme"))
    assert driver.status() is S.ON_HOLD
    assert "refused" in refused.summary
    assert refused.commands == []

    driver.facts = make_facts()
    released = driver.send(HoldReleased(released_by="ops@acme"))

    assert released.of(ReserveStock)
    assert driver.status() is S.ROUTED
    assert driver.current.hold_reasons == ()
    assert driver.current.held_from is None


# ---------------------------------------------------------------- cancellation


def test_cancelling_a_routed_order_releases_stock_and_cancels_the_booking_timer() -> None:
    driver = Driver()
    driver.receive()

    outcome = driver.send(CANCEL)

    assert driver.status() is S.CANCELLED
    assert driver.current.cancel_reason == "customer changed their mind"
    assert kinds(outcome.commands) == ["release_stock", "cancel_timer"]
    assert outcome.of(CancelTimer) == [CancelTimer(order_id="O-1", name="booking")]
    assert notified(outcome.commands, "cancelled") == list(STATUS_SYSTEMS)
    assert outcome.events == ["cancelled"]
    assert driver.ledger.reserved("BOLT") == 0


def test_cancelling_a_booked_order_cancels_the_sales_order() -> None:
    driver = Driver()
    driver.to_booked()

    outcome = driver.send(CANCEL)

    assert kinds(outcome.commands) == ["release_stock", "cancel_sales_order"]
    assert outcome.of(CancelSalesOrder) == [
        CancelSalesOrder(system="legacy_erp", order_id="O-1", sales_order_number="SO-500")
    ]


def test_cancelling_a_released_order_withdraws_the_fulfilment_request() -> None:
    driver = Driver()
    driver.to_released()

    outcome = driver.send(CANCEL)

    assert kinds(outcome.commands) == ["release_stock", "cancel_sales_order", "cancel_fulfilment"]
    assert outcome.of(CancelFulfilment) == [
        CancelFulfilment(system="wms", order_id="O-1", fulfilment_id="F-9")
    ]


def test_cancellation_after_shipping_is_refused_without_changing_the_order() -> None:
    driver = Driver()
    driver.to_released()
    driver.send(milestone("S1", bolts="2"))
    before = driver.current

    outcome = driver.send(CANCEL)

    assert outcome.first.state == before
    assert outcome.commands == []
    assert outcome.summary.startswith("cancellation refused")


def test_an_order_on_hold_before_shipping_can_be_cancelled() -> None:
    driver = Driver()
    driver.to_booked()
    driver.send(
        DeliveryFailed(
            delivery_id="d1",
            system="wms",
            operation="request_fulfilment",
            reason="422 unknown ship-to",
            classification="permanent",
        )
    )

    outcome = driver.send(CANCEL)

    assert driver.status() is S.CANCELLED
    assert driver.current.held_from is None
    assert kinds(outcome.commands) == ["release_stock", "cancel_sales_order"]


def test_a_sales_order_booked_after_cancellation_is_cancelled_in_the_erp() -> None:
    driver = Driver()
    driver.receive()
    driver.send(CANCEL)

    late = driver.send(booking())

    assert late.of(CancelSalesOrder) == [
        CancelSalesOrder(system="legacy_erp", order_id="O-1", sales_order_number="SO-500")
    ]
    assert driver.status() is S.CANCELLED
    assert driver.send(booking()).commands == [], "the compensation is asked for once"


def test_a_fulfilment_accepted_after_cancellation_is_withdrawn() -> None:
    driver = Driver()
    driver.to_booked()
    driver.send(CANCEL)

    late = driver.send(FulfilmentAccepted(system="wms", fulfilment_id="F-9"))

    assert late.of(CancelFulfilment) == [
        CancelFulfilment(system="wms", order_id="O-1", fulfilment_id="F-9")
    ]


def test_messages_for_a_cancelled_order_are_ignored_with_a_reason() -> None:
    driver = Driver()
    driver.receive()
    driver.send(CANCEL)
    before = driver.current

    for message in (CANCEL, StockAvailable(sku="BOLT", location="WH1"), milestone("S1", bolts="1")):
        outcome = driver.send(message)
        assert outcome.first.state == before
        assert outcome.commands == []
        assert "the order is cancelled" in outcome.summary


# ---------------------------------------------------------------- invoice gate


def test_an_invoice_gate_failure_holds_the_invoice_until_the_hold_is_released() -> None:
    driver = Driver()
    driver.to_released()
    driver.send(milestone("S1", bolts="10"))

    over = driver.send(milestone("S2", bolts="3", nuts="4"))

    assert driver.status() is S.ON_HOLD
    assert driver.current.held_from is S.SHIPPED
    assert driver.current.hold_reasons == ("line 1 (BOLT): shipped 13 > ordered 10",)
    assert over.first.rule == "invoice_gate"
    assert not over.of(PostInvoice)
    assert [i.invoice_id for i in driver.current.pending_invoices] == ["O-1-S2"]
    assert notified(over.commands, "on_hold") == list(STATUS_SYSTEMS)
    assert over.events == ["shipment_confirmed", "held"]

    released = driver.send(HoldReleased(released_by="ops@acme", note="over-shipment accepted"))

    assert driver.status() is S.SHIPPED
    assert driver.current.pending_invoices == ()
    assert [p.invoice.invoice_id for p in released.of(PostInvoice)] == ["O-1-S2"]
    driver.post_invoices(released)
    assert driver.status() is S.SHIPPED, "S1's invoice is not posted yet"


def test_missing_tax_context_holds_the_shipment_and_release_waits_for_one() -> None:
    driver = Driver()
    driver.receive()
    driver.send(booking(tax=None))
    driver.send(FulfilmentAccepted(system="wms", fulfilment_id="F-9"))

    driver.send(milestone("S1", bolts="10", nuts="4"))

    assert driver.current.hold_reasons == ("legacy_erp returned no tax context for SO-500",)
    assert driver.current.pending_invoices == ()
    refused = driver.send(HoldReleased(released_by="ops@acme"))
    assert driver.status() is S.ON_HOLD
    assert "cannot invoice S1 without a tax context" in refused.summary


def test_a_shipment_reported_while_on_hold_is_recorded_and_its_invoice_waits() -> None:
    driver = Driver()
    driver.to_released()
    driver.send(
        DeliveryFailed(
            delivery_id="d",
            system="customer_service",
            operation="update_case",
            reason="boom",
            classification="exhausted",
        )
    )

    outcome = driver.send(milestone("S1", bolts="10", nuts="4"))

    assert driver.status() is S.ON_HOLD
    assert driver.current.held_from is S.SHIPPED
    assert driver.current.shipped_quantities() == {1: D(10), 2: D(4)}
    assert not outcome.of(PostInvoice)
    released = driver.send(HoldReleased(released_by="ops"))
    assert [p.invoice.invoice_id for p in released.of(PostInvoice)] == ["O-1-S1"]
    driver.post_invoices(released)
    assert driver.status() is S.INVOICED


# ---------------------------------------------------------------- deadlines and failures


def test_an_order_not_booked_in_time_goes_on_hold_and_release_asks_again() -> None:
    driver = Driver()
    driver.receive()
    later = NOW + timedelta(minutes=30)

    late = driver.send(DeadlineReached(timer="booking"), now=later)

    assert driver.status() is S.ON_HOLD
    assert driver.current.held_from is S.ROUTED
    assert driver.current.hold_reasons == ("not booked in legacy_erp within 30 minutes",)
    assert late.first.rule == "booking_deadline"

    released = driver.send(HoldReleased(released_by="ops"), now=later)
    assert driver.status() is S.ROUTED
    assert released.of(CreateSalesOrder)
    assert released.of(ScheduleTimer)[0].due_at == later + timedelta(minutes=30)


def test_a_booking_arriving_while_held_for_the_deadline_is_kept() -> None:
    driver = Driver()
    driver.receive()
    driver.send(DeadlineReached(timer="booking"))

    late = driver.send(booking())

    assert driver.status() is S.ON_HOLD
    assert driver.current.held_from is S.BOOKED
    assert driver.current.sales_order is not None
    assert not late.of(RequestFulfilment)
    released = driver.send(HoldReleased(released_by="ops"))
    assert driver.status() is S.BOOKED
    assert released.of(RequestFulfilment)


def test_a_stale_booking_timer_is_ignored() -> None:
    driver = Driver()
    driver.to_booked()
    before = driver.current

    outcome = driver.send(DeadlineReached(timer="booking"))

    assert outcome.first.state == before
    assert "stale booking timer" in outcome.summary


def test_a_failed_delivery_holds_the_order_without_notifying_the_failing_system() -> None:
    driver = Driver()
    driver.receive()

    outcome = driver.send(
        DeliveryFailed(
            delivery_id="d1",
            system="storefront",
            operation="create_sales_order",
            reason="HTTP 400",
            classification="permanent",
        )
    )

    assert driver.status() is S.ON_HOLD
    assert driver.current.held_from is S.ROUTED
    assert driver.current.hold_reasons == ("create_sales_order to storefront failed: HTTP 400",)
    assert notified(outcome.commands, "on_hold") == ["customer_service"]


def test_a_failed_status_notification_does_not_hold_the_order() -> None:
    driver = Driver()
    driver.receive()
    before = driver.current

    outcome = driver.send(
        DeliveryFailed(
            delivery_id="d2",
            system="storefront",
            operation="notify_status",
            reason="timeout",
            classification="exhausted",
        )
    )

    assert outcome.first.state == before
    assert "status notification to storefront failed: timeout" in outcome.summary


def test_an_acknowledgement_the_partner_did_not_get_does_not_hold_its_order() -> None:
    driver = Driver()
    driver.receive()
    before = driver.current

    outcome = driver.send(
        DeliveryFailed(
            delivery_id="d9",
            system="retailco",
            operation="send_partner_file",
            reason="MDN refused: processed/error: unexpected-processing-error",
            classification="permanent",
        )
    )

    assert outcome.first.state == before
    assert "retailco did not get an acknowledgement we sent it" in outcome.summary


def test_a_failed_invoice_post_is_sent_again_when_the_hold_is_released() -> None:
    driver = Driver()
    driver.to_released()
    driver.send(milestone("S1", bolts="10", nuts="4"))
    driver.send(
        DeliveryFailed(
            delivery_id="d3",
            system="legacy_erp",
            operation="post_invoice",
            reason="period closed",
            classification="permanent",
        )
    )
    assert driver.current.held_from is S.SHIPPED

    released = driver.send(HoldReleased(released_by="ops"))

    assert [p.invoice.invoice_id for p in released.of(PostInvoice)] == ["O-1-S1"]
    driver.post_invoices(released)
    assert driver.status() is S.INVOICED


def test_a_message_for_an_order_never_received_is_refused() -> None:
    driver = Driver()
    with pytest.raises(BusinessRuleViolation, match="never received"):
        driver.send(CANCEL)


def test_an_invoiced_status_that_cannot_be_delivered_holds_the_order_until_resent() -> None:
    driver = Driver()
    driver.to_released()
    shipped = driver.send(milestone("S1", bolts="10", nuts="4", final=True))
    driver.post_invoices(shipped)
    assert driver.status() is S.INVOICED
    driver.send(StatusNotified(system="storefront", status="invoiced"))

    held = driver.send(
        DeliveryFailed(
            delivery_id="d",
            system="customer_service",
            operation="notify_status",
            reason="410 case closed",
            classification="permanent",
        )
    )

    assert driver.status() is S.ON_HOLD
    assert driver.current.held_from is S.INVOICED
    assert "notify_status to customer_service failed" in held.first.state.hold_reasons[0]
    released = driver.send(HoldReleased(released_by="ops"))
    assert [(n.system, n.status) for n in released.of(NotifyStatus)] == [
        ("customer_service", "invoiced")
    ]
    driver.send(StatusNotified(system="customer_service", status="invoiced"))
    assert driver.status() is S.CLOSED


def test_a_failed_status_notification_before_invoicing_does_not_hold_the_order() -> None:
    driver = Driver()
    driver.to_released()

    outcome = driver.send(
        DeliveryFailed(
            delivery_id="d",
            system="customer_service",
            operation="notify_status",
            reason="503",
            classification="exhausted",
        )
    )

    assert driver.status() is S.RELEASED
    assert "the order goes on" in outcome.summary
