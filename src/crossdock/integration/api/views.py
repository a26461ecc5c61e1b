"""What the order API answers: views of stored orders and their timelines.

Each view is built from the store's rows by its ``of`` constructor; the API never exposes a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from crossdock.core.order import Order, OrderStatus
from crossdock.orchestration.store import OrderRow, TimelineEntry


class Links(BaseModel):
    """Where to read an order back."""

    self: str
    timeline: str


def links(prefix: str, order_id: str) -> Links:
    """The links of one order under the API prefix."""
    own = f"{prefix}/orders/{order_id}"
    return Links(self=own, timeline=f"{own}/timeline")


class OrderAccepted(BaseModel):
    """The answer to a submission."""

    order_id: str
    status: OrderStatus
    links: Links


class Acknowledged(BaseModel):
    """A request handed to the order's workflow, which decides on it in turn."""

    order_id: str
    accepted: bool
    """False when the same request had already been received."""


class RouteView(BaseModel):
    """The ERP that owns the order's financial transaction, and the rule that chose it."""

    system: str
    rule: str


class SalesOrderView(BaseModel):
    """The owning ERP's sales order."""

    system: str
    sales_order_number: str


class FulfilmentView(BaseModel):
    """The warehouse's fulfilment of the order."""

    system: str
    fulfilment_id: str


class ShipmentView(BaseModel):
    """One shipment as the warehouse reported it."""

    shipment_id: str
    milestones: list[str]
    carrier: str
    tracking_number: str
    lines: list[dict[str, Any]]
    """``{"line_no", "quantity"}`` per shipped line, once the shipment is confirmed."""
    invoice_id: str
    invoice_number: str


class InvoiceView(BaseModel):
    """An invoice of the order: held by the gate, sent to the ERP, or posted there."""

    invoice_id: str
    shipment_id: str
    status: str
    """``held``, ``sent`` or ``posted``."""
    invoice_number: str = ""


class OrderSummary(BaseModel):
    """An order in a list."""

    order_id: str
    status: OrderStatus
    channel: str
    channel_order_number: str
    customer_id: str
    customer_po: str
    received_at: datetime
    updated_at: datetime
    links: Links

    @classmethod
    def of(cls, row: OrderRow, prefix: str) -> OrderSummary:
        """The summary of a stored order."""
        return cls(
            order_id=row.order_id,
            status=row.status,
            channel=row.channel,
            channel_order_number=row.channel_order_number,
            customer_id=row.customer_id,
            customer_po=row.customer_po,
            received_at=row.received_at,
            updated_at=row.updated_at,
            links=links(prefix, row.order_id),
        )


class OrderView(OrderSummary):
    """One order with everything the systems said about it."""

    order: Order
    route: RouteView | None = None
    sales_order: SalesOrderView | None = None
    fulfilment: FulfilmentView | None = None
    shipments: list[ShipmentView] = Field(default_factory=list)
    invoices: list[InvoiceView] = Field(default_factory=list)
    hold_reasons: list[str] = Field(default_factory=list)
    held_from: OrderStatus | None = None
    cancel_reason: str = ""

    @classmethod
    def of(cls, row: OrderRow, prefix: str) -> OrderView:
        """The view of a stored order (its workflow state may not exist yet)."""
        summary = OrderSummary.of(row, prefix).model_dump()
        state = row.state
        if state is None:
            return cls(**summary, order=row.order)
        shipments = [
            ShipmentView(
                shipment_id=s.shipment_id,
                milestones=list(s.milestones),
                carrier=s.carrier,
                tracking_number=s.tracking_number,
                lines=[{"line_no": n, "quantity": str(q)} for n, q in s.lines],
                invoice_id=s.invoice_id,
                invoice_number=s.invoice_number,
            )
            for s in state.shipments
        ]
        invoices = [
            InvoiceView(
                invoice_id=s.invoice_id,
                shipment_id=s.shipment_id,
                status="posted" if s.invoice_number else "sent",
                invoice_number=s.invoice_number,
            )
            for s in state.shipments
            if s.invoice_id
        ] + [
            InvoiceView(invoice_id=i.invoice_id, shipment_id=i.shipment_id, status="held")
            for i in state.pending_invoices
        ]
        booked = state.sales_order
        return cls(
            **summary,
            order=state.order,
            route=RouteView(system=state.route.system, rule=state.route.rule)
            if state.route
            else None,
            sales_order=SalesOrderView(
                system=booked.system, sales_order_number=booked.sales_order_number
            )
            if booked
            else None,
            fulfilment=FulfilmentView(
                system=state.fulfilment_system, fulfilment_id=state.fulfilment_id
            )
            if state.fulfilment_id
            else None,
            shipments=shipments,
            invoices=invoices,
            hold_reasons=list(state.hold_reasons),
            held_from=state.held_from,
            cancel_reason=state.cancel_reason,
        )


class OrderPage(BaseModel):
    """One page of a list of orders."""

    items: list[OrderSummary]
    next: str | None
    """Pass as ``after`` to read the next page; null on the last page."""


class TimelineEntryView(BaseModel):
    """One line of an order's timeline."""

    entry_id: int
    """Unique within the store; what ``caused_by`` names."""
    at: datetime
    kind: str
    system: str
    summary: str
    rule: str
    correlation_id: str
    causation_id: str
    caused_by: int | None = None
    """The ``entry_id`` of the entry on this timeline that caused this one (the message a
    decision answered, the attempt an answer answers, the exception an operator acted on); null
    when the cause is not on the timeline (a timer, a stock change) or there is none."""
    detail: dict[str, Any]

    @classmethod
    def of(cls, entry: TimelineEntry, cause: TimelineEntry | None = None) -> TimelineEntryView:
        """The view of a stored timeline entry, and of the entry that caused it."""
        return cls(
            entry_id=entry.entry_id,
            caused_by=None if cause is None else cause.entry_id,
            at=entry.at,
            kind=entry.kind,
            system=entry.system,
            summary=entry.summary,
            rule=entry.rule,
            correlation_id=entry.correlation_id,
            causation_id=entry.causation_id,
            detail=entry.detail,
        )


class Timeline(BaseModel):
    """An order's timeline across every system, oldest first."""

    order_id: str
    entries: list[TimelineEntryView]
