"""Which ids a system gave our documents, and which command creates which kind of binding.

A binding is recorded when a system accepts a create (its sales order number, fulfilment id,
invoice number). A replay checks it first: a command whose binding exists already happened, and is
skipped rather than sent twice.

The warehouse's shipment ids and the carriers' tracking numbers are bound too, as the order's
state first carries them: no command creates them, but binding them is what lets an operator find
the order by the number on a parcel (``GET /api/v1/search``).
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
from crossdock.orchestration.workflow import OrderState

SALES_ORDER = "sales_order"
FULFILMENT = "fulfilment"


def invoice_kind(invoice_id: str) -> str:
    """The binding kind of one of our invoices (an order may have one per shipment)."""
    return f"invoice:{invoice_id}"


def shipment_kind(shipment_id: str) -> str:
    """The binding kind of a shipment's id in the warehouse (the id an 856 carries)."""
    return f"shipment:{shipment_id}"


def tracking_kind(shipment_id: str) -> str:
    """The binding kind of a shipment's tracking number with its carrier."""
    return f"tracking:{shipment_id}"


def shipment_bindings(state: OrderState) -> list[tuple[str, str, str]]:
    """(system, kind, id) for each shipment id and tracking number the state carries; a
    tracking number is bound to its carrier (the warehouse when the carrier is not named)."""
    warehouse = state.fulfilment_system or "warehouse"
    found: list[tuple[str, str, str]] = []
    for shipment in state.shipments:
        found.append((warehouse, shipment_kind(shipment.shipment_id), shipment.shipment_id))
        if shipment.tracking_number:
            carrier = shipment.carrier or warehouse
            found.append((carrier, tracking_kind(shipment.shipment_id), shipment.tracking_number))
    return found


def new_shipment_bindings(
    before: OrderState | None, after: OrderState
) -> list[tuple[str, str, str]]:
    """The shipment bindings ``after`` carries that ``before`` did not (what a step added)."""
    known = set() if before is None else set(shipment_bindings(before))
    return [binding for binding in shipment_bindings(after) if binding not in known]


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
