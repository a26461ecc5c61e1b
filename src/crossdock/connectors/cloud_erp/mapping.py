"""Canonical documents ↔ the cloud ERP's JSON. Pure functions, no I/O."""

from __future__ import annotations

from crossdock.connectors.cloud_erp.client import (
    InvoiceLine,
    NewInvoice,
    NewSalesOrder,
    SalesOrder,
    SalesOrderLine,
    ShipTo,
)
from crossdock.core.fulfilment import BookedLine, SalesOrderRef, TaxContext
from crossdock.core.invoice import Invoice
from crossdock.core.order import Order


def new_sales_order(order: Order) -> NewSalesOrder:
    """The sales order to create for ``order``; its external reference is our order id."""
    address = order.ship_to
    return NewSalesOrder(
        external_reference=order.order_id,
        customer_number=order.customer_id,
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
                line_number=line.line_no,
                item_number=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in order.lines
        ),
    )


def sales_order_ref(system: str, sales_order: SalesOrder) -> SalesOrderRef:
    """The booked sales order, numbered by its ``documentNumber`` (what people and invoices use)."""
    return SalesOrderRef(
        system=system,
        sales_order_number=sales_order.document_number,
        lines=tuple(
            BookedLine(
                line_no=line.line_number,
                sku=line.item_number,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in sales_order.lines
        ),
        tax=(
            TaxContext(tax_code=sales_order.tax.tax_code, rate=sales_order.tax.rate)
            if sales_order.tax
            else None
        ),
    )


def new_invoice(invoice: Invoice, sales_order_number: str) -> NewInvoice:
    """The invoice to post; its external reference is our invoice id."""
    return NewInvoice(
        external_reference=invoice.invoice_id,
        sales_order_number=sales_order_number,
        currency=invoice.currency,
        lines=tuple(
            InvoiceLine(
                line_number=line.line_no,
                item_number=line.sku,
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
