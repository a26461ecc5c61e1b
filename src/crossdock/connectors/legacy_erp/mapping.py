"""Canonical documents ↔ the legacy ERP's JSON. Pure functions, no I/O."""

from __future__ import annotations

from crossdock.connectors.legacy_erp.client import (
    CustomerRecord,
    InvoiceLine,
    NewInvoice,
    NewSalesOrder,
    PriceRecord,
    ProductRecord,
    SalesOrder,
    SalesOrderLine,
    ShipTo,
)
from crossdock.core.catalog import Price, Product
from crossdock.core.fulfilment import BookedLine, SalesOrderRef, TaxContext
from crossdock.core.invoice import Invoice
from crossdock.core.order import Order
from crossdock.core.party import Customer


def customer(record: CustomerRecord) -> Customer:
    """A customer of the ERP as crossdock knows it."""
    return Customer(
        customer_id=record.customer_id,
        name=record.name,
        email=record.email,
        legal_entity=record.legal_entity,
        region=record.region,
        currency=record.currency,
    )


def product(record: ProductRecord) -> Product:
    """A product of the ERP as crossdock knows it."""
    return Product(
        sku=record.sku, description=record.description, uom=record.uom, active=record.active
    )


def price(record: PriceRecord) -> Price:
    """A list (no customer) or contract price of the ERP."""
    return Price(
        sku=record.sku,
        currency=record.currency,
        unit_price=record.unit_price,
        customer_id=record.customer_id or None,
    )


def new_sales_order(order: Order) -> NewSalesOrder:
    """The sales order to create for ``order``; its external reference is our order id."""
    address = order.ship_to
    return NewSalesOrder(
        external_ref=order.order_id,
        customer_id=order.customer_id,
        currency=order.currency,
        ship_to=ShipTo(
            name=address.name,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
        ),
        lines=tuple(
            SalesOrderLine(
                line_no=line.line_no,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in order.lines
        ),
    )


def sales_order_ref(system: str, sales_order: SalesOrder) -> SalesOrderRef:
    """The booked sales order: its number, lines at booked prices and its tax context."""
    return SalesOrderRef(
        system=system,
        sales_order_number=sales_order.number,
        lines=tuple(
            BookedLine(
                line_no=line.line_no,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in sales_order.lines
        ),
        tax=(
            TaxContext(tax_code=sales_order.tax.code, rate=sales_order.tax.rate)
            if sales_order.tax
            else None
        ),
    )


def new_invoice(invoice: Invoice, sales_order_number: str) -> NewInvoice:
    """The invoice to post; its external reference is our invoice id."""
    return NewInvoice(
        external_ref=invoice.invoice_id,
        sales_order_number=sales_order_number,
        currency=invoice.currency,
        lines=tuple(
            InvoiceLine(
                line_no=line.line_no,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
            )
            for line in invoice.lines
        ),
        subtotal=invoice.subtotal,
        tax_amount=invoice.tax_amount,
        total=invoice.total,
    )
