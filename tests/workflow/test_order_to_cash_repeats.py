"""Repeats and reorderings: when a message comes twice or late, nothing happens twice."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.fulfilment import Milestone
from crossdock.core.order import OrderStatus
from crossdock.orchestration.messages import (
    FulfilmentAccepted,
    InvoicePosted,
    MilestoneReported,
    OrderReceived,
    PostInvoice,
    StatusNotified,
)

from .estate import Driver, booking, make_order, milestone

S = OrderStatus
D = Decimal


def test_a_repeated_order_received_changes_nothing() -> None:
    driver = Driver()
    driver.receive()
    before = driver.current

    outcome = driver.send(OrderReceived(order=make_order()))

    assert outcome.first.state == before
    assert outcome.commands == []
    assert outcome.events == []
    assert "duplicate order received" in outcome.summary


def test_a_repeated_sales_order_booking_changes_nothing() -> None:
    driver = Driver()
    driver.to_released()
    before = driver.current

    outcome = driver.send(booking())

    assert outcome.first.state == before
    assert outcome.commands == []
    assert "repeated booking of SO-500" in outcome.summary


def test_a_repeated_fulfilment_acceptance_changes_nothing() -> None:
    driver = Driver()
    driver.to_released()
    before = driver.current

    outcome = driver.send(FulfilmentAccepted(system="wms", fulfilment_id="F-9"))

    assert outcome.first.state == before
    assert outcome.commands == []


def test_a_repeated_shipped_milestone_ships_and_invoices_once() -> None:
    driver = Driver()
    driver.to_released()
    driver.send(milestone("S1", bolts="4"))
    before = driver.current

    outcome = driver.send(milestone("S1", bolts="4"))

    assert outcome.first.state == before
    assert outcome.commands == []
    assert outcome.events == []
    assert driver.ledger.positions[("BOLT", "WH1")].on_hand == D(96)


def test_a_repeated_picked_milestone_is_recorded_once() -> None:
    driver = Driver()
    driver.to_released()
    driver.send(milestone("S1", Milestone.PICKED))

    outcome = driver.send(milestone("S1", Milestone.PICKED))

    assert driver.current.shipments[0].milestones == ("picked",)
    assert "already picked" in outcome.summary


def test_shipped_before_picked_still_ships_and_the_late_milestones_are_only_recorded() -> None:
    driver = Driver()
    driver.to_released()

    shipped = driver.send(milestone("S1", bolts="10", nuts="4"))
    picked = driver.send(milestone("S1", Milestone.PICKED))
    packed = driver.send(milestone("S1", Milestone.PACKED))

    assert driver.status() is S.SHIPPED
    assert len(shipped.of(PostInvoice)) == 1
    assert picked.commands == packed.commands == []
    assert driver.current.shipments[0].milestones == ("shipped", "picked", "packed")
    assert driver.current.shipped_quantities() == {1: D(10), 2: D(4)}


def test_a_repeated_invoice_posting_and_acknowledgement_change_nothing() -> None:
    driver = Driver()
    driver.to_released()
    shipped = driver.send(milestone("S1", bolts="10", nuts="4"))
    driver.post_invoices(shipped)
    driver.send(StatusNotified(system="storefront", status="invoiced"))
    before = driver.current

    again = [
        driver.send(
            InvoicePosted(system="legacy_erp", invoice_id="O-1-S1", invoice_number="INV-S1")
        ),
        driver.send(StatusNotified(system="storefront", status="invoiced")),
    ]

    assert [o.first.state for o in again] == [before, before]
    assert driver.status() is S.INVOICED


def test_milestones_before_fulfilment_was_requested_are_ignored() -> None:
    driver = Driver()
    driver.receive()
    assert driver.status() is S.ROUTED
    before = driver.current

    outcome = driver.send(milestone("S1", bolts="10"))

    assert outcome.first.state == before
    assert "ignored shipped for shipment S1: the order is routed" in outcome.summary


# ---------------------------------------------------------------- a property

SHIPMENTS: dict[str, MilestoneReported] = {
    "S1": milestone("S1", bolts="6", nuts="1"),
    "S2": milestone("S2", bolts="4", nuts="2"),
    "S3": milestone("S3", nuts="1", final=True),
}
EVERY_MILESTONE = [
    milestone(shipment_id, kind) if kind is not Milestone.SHIPPED else shipped
    for shipment_id, shipped in SHIPMENTS.items()
    for kind in Milestone
]


@settings(max_examples=60, deadline=None)
@given(
    st.permutations(EVERY_MILESTONE)
    .flatmap(
        lambda order: st.lists(st.sampled_from(EVERY_MILESTONE), max_size=6).map(
            lambda repeats: [*order, *repeats]
        )
    )
    .flatmap(st.permutations)
)
def test_any_order_and_repetition_of_milestones_ships_and_invoices_the_same(
    messages: list[MilestoneReported],
) -> None:
    driver = Driver()
    driver.to_released()

    outcomes = driver.send_all(messages)

    invoices = sorted(
        (post.invoice for outcome in outcomes for post in outcome.of(PostInvoice)),
        key=lambda invoice: invoice.invoice_id,
    )
    assert driver.status() is S.SHIPPED
    assert driver.current.shipped_quantities() == {1: D(10), 2: D(4)}
    assert [(i.invoice_id, i.subtotal) for i in invoices] == [
        ("O-1-S1", D("27.00")),
        ("O-1-S2", D("34.00")),
        ("O-1-S3", D("12.00")),
    ]
    assert {s.shipment_id: set(s.milestones) for s in driver.current.shipments} == {
        shipment_id: {"picked", "packed", "shipped"} for shipment_id in SHIPMENTS
    }
    assert driver.ledger.positions[("BOLT", "WH1")].on_hand == D(90)
