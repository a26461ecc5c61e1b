"""Canonical documents and delivery commands the connector tests send."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from crossdock.core.fulfilment import (
    BookedLine,
    FulfilmentRequest,
    SalesOrderRef,
    ShippedLine,
    TaxContext,
)
from crossdock.core.invoice import build_invoice
from crossdock.core.order import Order, OrderLine
from crossdock.core.party import Address
from crossdock.orchestration.messages import (
    CancelFulfilment,
    CancelSalesOrder,
    CreateSalesOrder,
    NotifyStatus,
    PostInvoice,
    RequestFulfilment,
)

SHIP_TO = Address(
    name="Acme Hardware #12",
    line1="1 Dock Road",
    city="Newark",
    region="NJ",
    postal_code="07102",
    country="US",
)


def order(order_id: str = "ORD-1", *, prices: tuple[str, ...] = ("12.50", "0.10")) -> Order:
    """An order of one line per price, quantities 3, 4 …"""
    return Order(
        order_id=order_id,
        channel="api",
        channel_order_number=f"WEB-{order_id}",
        customer_po="PO-77",
        customer_id="C-001",
        ship_to=SHIP_TO,
        legal_entity="A",
        region="east",
        currency="USD",
        lines=tuple(
            OrderLine(line_no=n, sku=f"SKU-{n}", quantity=Decimal(n + 2), unit_price=Decimal(price))
            for n, price in enumerate(prices, start=1)
        ),
        received_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
    )


def booked(system: str, number: str, of: Order) -> SalesOrderRef:
    """The sales order an ERP booked for ``of`` at the order's prices."""
    return SalesOrderRef(
        system=system,
        sales_order_number=number,
        lines=tuple(
            BookedLine(
                line_no=line.line_no,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in of.lines
        ),
        tax=TaxContext(tax_code="US-EAST", rate=Decimal("0.0825")),
    )


def create_sales_order(system: str, order_id: str = "ORD-NEW") -> CreateSalesOrder:
    return CreateSalesOrder(system=system, order_id=order_id, order=order(order_id))


def cancel_sales_order(system: str, order_id: str, number: str) -> CancelSalesOrder:
    return CancelSalesOrder(system=system, order_id=order_id, sales_order_number=number)


def post_invoice(system: str, order_id: str, number: str, shipment_id: str = "SH-1") -> PostInvoice:
    """The invoice for shipping every line of the order in full."""
    of = order(order_id)
    shipped = [ShippedLine(line_no=ln.line_no, sku=ln.sku, quantity=ln.quantity) for ln in of.lines]
    invoice = build_invoice(of, booked(system, number, of), shipment_id, shipped)
    return PostInvoice(system=system, order_id=order_id, sales_order_number=number, invoice=invoice)


def request_fulfilment(system: str, order_id: str = "ORD-NEW") -> RequestFulfilment:
    of = order(order_id)
    return RequestFulfilment(
        system=system,
        order_id=order_id,
        request=FulfilmentRequest(
            order_id=order_id,
            location="EAST-1",
            ship_to_name=of.ship_to.name,
            lines=tuple((ln.line_no, ln.sku, ln.quantity) for ln in of.lines),
        ),
    )


def cancel_fulfilment(system: str, order_id: str, fulfilment_id: str) -> CancelFulfilment:
    return CancelFulfilment(system=system, order_id=order_id, fulfilment_id=fulfilment_id)


def notify_status(system: str, order_id: str = "ORD-NEW", status: str = "booked") -> NotifyStatus:
    return NotifyStatus(
        system=system,
        order_id=order_id,
        channel_order_number=f"WEB-{order_id}",
        customer_po="PO-77",
        status=status,
        detail={"sales_order_number": "SO-100001"},
    )
