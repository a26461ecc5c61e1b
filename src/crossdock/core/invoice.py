"""Invoices and the invoice gate.

An invoice is raised only after a shipment confirmation passes the gate: shipped ≤ ordered on every
line (counting every earlier shipment), prices as the ERP booked them within a tolerance, and a
tax context present. A failure puts the order on hold with every reason found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from crossdock.core.fulfilment import SalesOrderRef, ShippedLine, TaxContext
from crossdock.core.order import Order
from crossdock.core.value import Value

CENT = Decimal("0.01")


class InvoiceLine(Value):
    """One billed line."""

    line_no: int
    sku: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class Invoice(Value):
    """An invoice for one shipment of an order."""

    invoice_id: str
    """Our id for the invoice (order id + shipment id), also its idempotency key downstream."""
    order_id: str
    shipment_id: str
    currency: str
    lines: tuple[InvoiceLine, ...]
    tax: TaxContext
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal


class GatePolicy(Value):
    """Tolerances the invoice gate applies."""

    price_tolerance: Decimal = Decimal("0.01")
    """Largest accepted difference per unit between the order price and the booked price."""


class GateResult(Value):
    """The gate's verdict, with every reason it refused."""

    reasons: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when nothing was found wrong."""
        return not self.reasons


def invoice_gate(
    order: Order,
    booked: SalesOrderRef | None,
    shipment: Sequence[ShippedLine],
    shipped_before: Mapping[int, Decimal],
    policy: GatePolicy,
) -> GateResult:
    """Check a shipment before it is invoiced.

    ``shipped_before`` is the quantity already shipped per line by earlier shipments.
    """
    reasons: list[str] = []
    if booked is None:
        return GateResult(reasons=("no sales order is booked in the owning ERP",))
    if booked.tax is None:
        reasons.append(f"{booked.system} returned no tax context for {booked.sales_order_number}")
    booked_prices = {line.line_no: line.unit_price for line in booked.lines}
    for shipped in shipment:
        try:
            ordered = order.line(shipped.line_no)
        except KeyError:
            reasons.append(f"line {shipped.line_no}: shipped but not ordered")
            continue
        total = shipped_before.get(shipped.line_no, Decimal(0)) + shipped.quantity
        if total > ordered.quantity:
            reasons.append(
                f"line {shipped.line_no} ({ordered.sku}): shipped {total} > ordered "
                f"{ordered.quantity}"
            )
        booked_price = booked_prices.get(shipped.line_no)
        if booked_price is None:
            reasons.append(f"line {shipped.line_no} ({ordered.sku}): not on the booked order")
        elif abs(booked_price - ordered.unit_price) > policy.price_tolerance:
            reasons.append(
                f"line {shipped.line_no} ({ordered.sku}): booked price {booked_price} differs "
                f"from ordered {ordered.unit_price} by more than {policy.price_tolerance}"
            )
    return GateResult(reasons=tuple(reasons))


def build_invoice(
    order: Order, booked: SalesOrderRef, shipment_id: str, shipment: Sequence[ShippedLine]
) -> Invoice:
    """The invoice for one shipment, at booked prices, with tax from the booked tax context.

    Call only after :func:`invoice_gate` passed.
    """
    if booked.tax is None:
        raise ValueError("an invoice needs a tax context; run the invoice gate first")
    prices = {line.line_no: line.unit_price for line in booked.lines}
    lines = tuple(
        InvoiceLine(
            line_no=shipped.line_no,
            sku=shipped.sku,
            quantity=shipped.quantity,
            unit_price=prices[shipped.line_no],
            amount=(shipped.quantity * prices[shipped.line_no]).quantize(CENT, ROUND_HALF_UP),
        )
        for shipped in shipment
        if shipped.quantity > 0
    )
    subtotal = sum((line.amount for line in lines), Decimal(0))
    tax_amount = (subtotal * booked.tax.rate).quantize(CENT, ROUND_HALF_UP)
    return Invoice(
        invoice_id=f"{order.order_id}-{shipment_id}",
        order_id=order.order_id,
        shipment_id=shipment_id,
        currency=order.currency,
        lines=lines,
        tax=booked.tax,
        subtotal=subtotal,
        tax_amount=tax_amount,
        total=subtotal + tax_amount,
    )
