"""The invoice gate and invoice totals (hand-computed)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crossdock.core.fulfilment import BookedLine, SalesOrderRef, ShippedLine, TaxContext
from crossdock.core.invoice import GatePolicy, InvoiceLine, build_invoice, invoice_gate
from crossdock.core.order import Order, OrderLine
from crossdock.core.party import Address

D = Decimal
TAX = TaxContext(tax_code="CA", rate=D("0.0825"))

ORDER = Order(
    order_id="O-1",
    channel="storefront",
    channel_order_number="#1001",
    customer_id="C-1",
    ship_to=Address(
        name="Acme", line1="1 Main St", city="Fresno", postal_code="93650", country="US"
    ),
    legal_entity="A",
    region="WEST",
    lines=(
        OrderLine(line_no=1, sku="BOLT", quantity=D(10), unit_price=D("3.335")),
        OrderLine(line_no=2, sku="NUT", quantity=D(5), unit_price=D("19.99")),
    ),
    received_at=datetime(2025, 3, 3, tzinfo=UTC),
)


def booked(
    *, tax: TaxContext | None = TAX, nut_price: str = "19.99", lines: tuple[int, ...] = (1, 2)
) -> SalesOrderRef:
    prices = {1: ("BOLT", D(10), D("3.335")), 2: ("NUT", D(5), D(nut_price))}
    return SalesOrderRef(
        system="legacy_erp",
        sales_order_number="SO-9",
        lines=tuple(
            BookedLine(line_no=n, sku=prices[n][0], quantity=prices[n][1], unit_price=prices[n][2])
            for n in lines
        ),
        tax=tax,
    )


def shipped(line_no: int, quantity: str) -> ShippedLine:
    return ShippedLine(line_no=line_no, sku=ORDER.line(line_no).sku, quantity=D(quantity))


def test_the_gate_passes_a_shipment_within_the_order_at_booked_prices_with_tax() -> None:
    result = invoice_gate(ORDER, booked(), [shipped(1, "4"), shipped(2, "5")], {}, GatePolicy())
    assert result.passed
    assert result.reasons == ()


def test_the_gate_counts_earlier_shipments_to_catch_over_shipment() -> None:
    first = invoice_gate(ORDER, booked(), [shipped(1, "6")], {}, GatePolicy())
    second = invoice_gate(ORDER, booked(), [shipped(1, "6")], {1: D(6)}, GatePolicy())

    assert first.passed
    assert not second.passed
    assert second.reasons == ("line 1 (BOLT): shipped 12 > ordered 10",)


def test_the_gate_refuses_a_booked_price_outside_the_tolerance() -> None:
    policy = GatePolicy(price_tolerance=D("0.01"))
    within = invoice_gate(ORDER, booked(nut_price="20.00"), [shipped(2, "1")], {}, policy)
    outside = invoice_gate(ORDER, booked(nut_price="20.01"), [shipped(2, "1")], {}, policy)

    assert within.passed
    assert outside.reasons == (
        "line 2 (NUT): booked price 20.01 differs from ordered 19.99 by more than 0.01",
    )


def test_the_gate_refuses_when_the_erp_returned_no_tax_context() -> None:
    result = invoice_gate(ORDER, booked(tax=None), [shipped(1, "1")], {}, GatePolicy())
    assert result.reasons == ("legacy_erp returned no tax context for SO-9",)


def test_the_gate_refuses_without_a_booked_sales_order() -> None:
    result = invoice_gate(ORDER, None, [shipped(1, "1")], {}, GatePolicy())
    assert result.reasons == ("no sales order is booked in the owning ERP",)


def test_the_gate_reports_every_reason_at_once() -> None:
    lines = [shipped(1, "11"), ShippedLine(line_no=7, sku="X", quantity=D(1))]
    result = invoice_gate(ORDER, booked(tax=None, lines=(2,)), lines, {}, GatePolicy())
    assert result.reasons == (
        "legacy_erp returned no tax context for SO-9",
        "line 1 (BOLT): shipped 11 > ordered 10",
        "line 1 (BOLT): not on the booked order",
        "line 7: shipped but not ordered",
    )


def test_invoice_totals_round_each_line_then_the_tax_half_up() -> None:
    # BOLT 3 × 3.335 = 10.005 → 10.01; NUT 3 × 19.99 = 59.97; subtotal 69.98;
    # tax 69.98 × 0.0825 = 5.77335 → 5.77; total 75.75.
    invoice = build_invoice(ORDER, booked(), "S1", [shipped(1, "3"), shipped(2, "3")])

    assert invoice.invoice_id == "O-1-S1"
    assert invoice.lines == (
        InvoiceLine(line_no=1, sku="BOLT", quantity=D(3), unit_price=D("3.335"), amount=D("10.01")),
        InvoiceLine(line_no=2, sku="NUT", quantity=D(3), unit_price=D("19.99"), amount=D("59.97")),
    )
    assert invoice.subtotal == D("69.98")
    assert invoice.tax_amount == D("5.77")
    assert invoice.total == D("75.75")
    assert invoice.currency == "USD"


def test_invoice_tax_exactly_half_a_cent_rounds_up() -> None:
    # NUT 0.5 × 20.00 (booked) = 10.00; tax 10.00 × 0.0825 = 0.825 → 0.83.
    invoice = build_invoice(ORDER, booked(nut_price="20.00"), "S2", [shipped(2, "0.5")])
    assert (invoice.subtotal, invoice.tax_amount, invoice.total) == (
        D("10.00"),
        D("0.83"),
        D("10.83"),
    )


def test_an_invoice_bills_at_the_booked_price_and_leaves_out_zero_lines() -> None:
    invoice = build_invoice(
        ORDER, booked(nut_price="20.00"), "S3", [shipped(1, "0"), shipped(2, "1")]
    )
    assert [line.line_no for line in invoice.lines] == [2]
    assert invoice.lines[0].unit_price == D("20.00")


def test_an_invoice_cannot_be_built_without_a_tax_context() -> None:
    with pytest.raises(ValueError, match="tax context"):
        build_invoice(ORDER, booked(tax=None), "S1", [shipped(1, "1")])
