"""The back half of order-to-cash: what shipments lead to.

A shipped milestone consumes stock, passes through the invoice gate and raises one invoice per
shipment; posted invoices and acknowledged statuses close the order. Every function here works on
a :class:`~crossdock.orchestration.order_to_cash_steps.Step` of one decision and stays pure.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from crossdock.core.fulfilment import Milestone, ShipmentMilestone
from crossdock.core.invoice import Invoice, invoice_gate
from crossdock.core.order import OrderStatus
from crossdock.orchestration.messages import (
    CancelTimer,
    ConsumeStock,
    PostInvoice,
    ReleaseStock,
    ScheduleTimer,
)
from crossdock.orchestration.order_to_cash_steps import (
    SETTLE_TIMER,
    Step,
    describe_duration,
    invoice_for,
)
from crossdock.orchestration.workflow import OrderState, ShipmentRecord

S = OrderStatus

POST_INVOICE = "post_invoice"
"""The delivery operation that posts an invoice (``PostInvoice.kind``)."""

#: Effective statuses in which the warehouse's shipment milestones are expected.
SHIPPING: frozenset[OrderStatus] = frozenset({S.RELEASED, S.PARTIALLY_SHIPPED, S.SHIPPED})


def record_milestone(step: Step, milestone: ShipmentMilestone) -> None:
    """Record a warehouse milestone once; a first ``shipped`` ships and invoices the shipment.

    Milestones may arrive out of order and more than once: only the first ``shipped`` of a
    shipment counts, and ``picked``/``packed`` are history.
    """
    shipment_id = milestone.shipment_id
    if step.effective is S.BOOKED:
        # The fulfilment was requested on booking; a milestone proves the warehouse has it even
        # when its answer to the request is still on its way (the two race).
        step.advance(S.RELEASED)
        step.note(f"{milestone.milestone} reported before the warehouse's acceptance arrived")
    if step.effective not in SHIPPING:
        step.note(
            f"ignored {milestone.milestone} for shipment {shipment_id}: the order is {step.where}"
        )
        return
    record = step.state.shipment(shipment_id) or ShipmentRecord(shipment_id=shipment_id)
    if milestone.milestone.value in record.milestones:
        step.note(f"shipment {shipment_id} already {milestone.milestone}: nothing changed")
        return
    kind = milestone.milestone.value
    record = record.model_copy(update={"milestones": (*record.milestones, kind)})
    if milestone.milestone is Milestone.SHIPPED:
        _ship(step, record, milestone)
    else:
        step.put_shipment(record)
        step.note(f"shipment {shipment_id} {milestone.milestone}")


def _ship(step: Step, record: ShipmentRecord, milestone: ShipmentMilestone) -> None:
    order = step.order
    gate = invoice_gate(
        order,
        step.state.sales_order,
        milestone.lines,
        step.state.shipped_quantities(),
        step.policy.gate,
    )
    record = record.model_copy(
        update={
            "lines": tuple((line.line_no, line.quantity) for line in milestone.lines),
            "carrier": milestone.carrier,
            "tracking_number": milestone.tracking_number,
        }
    )
    step.put_shipment(record)
    step.update(final_shipment_seen=step.state.final_shipment_seen or milestone.final)
    moved = tuple((ln.line_no, ln.sku, ln.quantity) for ln in milestone.lines if ln.quantity > 0)
    if moved:
        step.command(ConsumeStock(order_id=order.order_id, location=step.location, lines=moved))
    shipped = step.state.shipped_quantities()
    complete = all(shipped.get(line.line_no, Decimal(0)) >= line.quantity for line in order.lines)
    target = S.SHIPPED if complete or step.state.final_shipment_seen else S.PARTIALLY_SHIPPED
    step.advance(target)
    units = sum((quantity for *_, quantity in moved), Decimal(0))
    step.note(
        f"shipment {record.shipment_id} shipped {units} units via "
        f"{milestone.carrier or 'an unnamed carrier'}; order {target}"
    )
    if complete and step.state.settling_until is not None:
        step.update(settling_until=None)
        step.command(CancelTimer(order_id=order.order_id, name=SETTLE_TIMER))
        step.note("the shipment reported out of order completes the order")
    elif milestone.final and not complete:
        settle = step.policy.short_ship_settle
        if settle > timedelta(0):
            # Warehouses report shipments out of order: an earlier shipment's ``shipped`` may
            # still be on its way. Closing short now would leave it uninvoiced.
            until = step.now + settle
            step.update(settling_until=until)
            step.command(ScheduleTimer(order_id=order.order_id, name=SETTLE_TIMER, due_at=until))
            step.note(
                f"the final shipment leaves lines short: waiting {describe_duration(settle)} "
                "for shipments reported out of order before closing short"
            )
        else:
            settle_short(step)
    detail = {
        "shipment_id": record.shipment_id,
        "carrier": milestone.carrier,
        "tracking_number": milestone.tracking_number,
    }
    step.notify("shipped", detail=detail, documents={"shipment": milestone.model_dump(mode="json")})
    step.event("shipment_confirmed", **detail)
    invoice = invoice_for(step.state, record) if moved else None
    if not gate.passed:
        if invoice is not None:
            step.update(pending_invoices=(*step.state.pending_invoices, invoice))
        step.put_on_hold(gate.reasons, rule="invoice_gate")
    elif invoice is not None and step.on_hold:
        step.update(pending_invoices=(*step.state.pending_invoices, invoice))
        step.note(f"invoice {invoice.invoice_id} waits for the hold to be released")
    elif invoice is not None:
        post_invoice(step, invoice)
    close_if_done(step)


def post_invoice(step: Step, invoice: Invoice) -> None:
    """Send the invoice to the ERP the order was routed to, and remember it on its shipment."""
    state = step.state
    booked = state.sales_order
    if booked is None:  # pragma: no cover - invoice_for builds nothing without a booking
        raise AssertionError("an invoice without a sales order")
    system = state.route.system if state.route else booked.system
    step.command(
        PostInvoice(
            system=system,
            order_id=state.order.order_id,
            sales_order_number=booked.sales_order_number,
            invoice=invoice,
        )
    )
    record = state.shipment(invoice.shipment_id)
    if record is not None:
        step.put_shipment(record.model_copy(update={"invoice_id": invoice.invoice_id}))
    step.event(
        "invoice_issued",
        invoice_id=invoice.invoice_id,
        shipment_id=invoice.shipment_id,
        total=str(invoice.total),
    )
    step.note(
        f"invoice {invoice.invoice_id} for {invoice.total} {invoice.currency} sent to {system}"
    )


def invoices_to_issue(state: OrderState) -> tuple[list[Invoice], list[str]]:
    """Invoices to send on leaving a hold, and the shipments that cannot be invoiced yet.

    Held-back invoices are sent, and so is any shipment the gate refused without building an
    invoice. Invoices already sent are sent again only when posting one failed: the repeat is safe,
    its idempotency key names the invoice.
    """
    pending = {invoice.shipment_id: invoice for invoice in state.pending_invoices}
    post_failed = any(reason.startswith(f"{POST_INVOICE} ") for reason in state.hold_reasons)
    taxed = state.sales_order is not None and state.sales_order.tax is not None
    invoices: list[Invoice] = []
    missing: list[str] = []
    for record in state.shipments:
        if record.invoice_number or sum(q for _, q in record.lines) <= 0:
            continue
        if record.invoice_id and not post_failed:
            continue
        invoice = pending.get(record.shipment_id) or invoice_for(state, record)
        if invoice is not None:
            invoices.append(invoice)
        elif not taxed:
            missing.append(record.shipment_id)
    return invoices, missing


def record_invoice_posted(step: Step, system: str, invoice_id: str, number: str) -> None:
    """Remember the ERP's number for an invoice we sent, once."""
    record = next((s for s in step.state.shipments if s.invoice_id == invoice_id), None)
    if record is None:
        step.note(f"ignored invoice {invoice_id} posted by {system}: not an invoice we sent")
        return
    if record.invoice_number:
        step.note(f"invoice {invoice_id} already posted as {record.invoice_number}")
        return
    step.put_shipment(record.model_copy(update={"invoice_number": number}))
    step.note(f"invoice {invoice_id} posted by {system} as {number}")
    invoice = invoice_for(step.state, record)
    if invoice is not None:
        step.notify(
            "invoice_posted",
            detail={"shipment_id": record.shipment_id, "invoice_number": number},
            documents={"invoice": invoice.model_dump(mode="json")},
            channel_only=True,
        )
    close_if_done(step)


def record_acknowledgement(step: Step, system: str, status: str) -> None:
    """Remember that a system of engagement acknowledged a status, once."""
    key = f"{system}:{status}"
    if key in step.state.notified:
        step.note(f"{system} acknowledged {status} again")
        return
    step.update(notified=(*step.state.notified, key))
    step.note(f"{system} acknowledged {status}")
    close_if_done(step)


def settle_short(step: Step) -> None:
    """No more shipments came: the order shipped short; the rest of its stock is released."""
    step.update(settling_until=None)
    step.command(ReleaseStock(order_id=step.order.order_id))
    step.note("the final shipment was short: the remainder is released")
    close_if_done(step)


def close_if_done(step: Step) -> None:
    """Shipped and every shipment invoiced → invoiced; acknowledged by every status system → closed.

    Does nothing while the order is on hold: leaving the hold calls it again.
    """
    state = step.state
    if state.settling_until is not None:
        return
    if state.status is S.SHIPPED and not state.pending_invoices:
        billable = [s for s in state.shipments if sum(q for _, q in s.lines) > 0]
        if all(s.invoice_number for s in billable):
            step.advance(S.INVOICED)
            step.event("invoiced")
            step.note("every shipment is invoiced")
            step.notify("invoiced")
    state = step.state
    systems = step.policy.notified_systems(step.order)
    if state.status is S.INVOICED and all(f"{s}:invoiced" in state.notified for s in systems):
        step.advance(S.CLOSED)
        step.update(closed_at=step.now)
        step.event("closed")
        step.note("closed")
