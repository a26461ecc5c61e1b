"""Which ids a system gave our documents, and which command creates which kind of binding.

A binding is recorded when a system accepts a create (its sales order number, fulfilment id,
invoice number). A replay checks it first: a command whose binding exists already happened, and is
skipped rather than sent twice.
"""

from __future__ import annotations

from crossdock.orchestration.messages import (
    CreateSalesOrder,
    DeliveryCommand,
    FulfilmentAccepted,
    InvoicePosted,
    Message,
    PostInvoice,
    RequestFulfilment,
    SalesOrderBooked,
)

SALES_ORDER = "sales_order"
FULFILMENT = "fulfilment"


def invoice_kind(invoice_id: str) -> str:
    """The binding kind of one of our invoices (an order may have one per shipment)."""
    return f"invoice:{invoice_id}"


def bindings_of(message: Message) -> list[tuple[str, str, str]]:
    """(system, kind, the system's id) for each id a delivery result carries."""
    match message:
        case SalesOrderBooked(sales_order=booked):
            return [(booked.system, SALES_ORDER, booked.sales_order_number)]
        case FulfilmentAccepted(system=system, fulfilment_id=fulfilment_id):
            return [(system, FULFILMENT, fulfilment_id)]
        case InvoicePosted(system=system, invoice_id=invoice_id, invoice_number=number):
            return [(system, invoice_kind(invoice_id), number)]
        case _:
            return []


def binding_kind(command: DeliveryCommand) -> str | None:
    """The binding a command creates when it succeeds; None for one that creates nothing."""
    match command:
        case CreateSalesOrder():
            return SALES_ORDER
        case RequestFulfilment():
            return FULFILMENT
        case PostInvoice(invoice=invoice):
            return invoice_kind(invoice.invoice_id)
        case _:
            return None
