"""The order-to-cash workflow: one pure decision per message (ARCHITECTURE §3 D3, §5).

``OrderToCash.decide(state, message, facts)`` returns the order's new state, the business events to
publish and the commands to carry out. It performs no I/O, reads no clock (``facts.now`` is the
time) and uses no randomness, so every decision can be replayed. Every status change goes through
:func:`crossdock.core.lifecycle.require_transition`.

A message that makes no sense in the order's current state changes nothing; the decision's summary
says why, and the engine writes it to the order's timeline. Business refusals (cancelling an order
that has shipped) are answered the same way. Only a programming error raises.

While an order is on hold, what the warehouse and the ERPs report is still recorded: ``held_from``
follows the status the order would have, and releasing the hold resumes from there.
"""

from __future__ import annotations

from crossdock.core.errors import BusinessRuleViolation
from crossdock.core.fulfilment import FulfilmentRequest, SalesOrderRef
from crossdock.core.inventory import ShortLine
from crossdock.core.lifecycle import CANCELLABLE, TERMINAL
from crossdock.core.order import OrderStatus
from crossdock.orchestration.messages import (
    CancelFulfilment,
    CancellationRequested,
    CancelSalesOrder,
    CancelTimer,
    CreateSalesOrder,
    DeadlineReached,
    DeliveryCommand,
    DeliveryFailed,
    FulfilmentAccepted,
    FulfilmentCancelled,
    HoldReleased,
    InvoicePosted,
    Message,
    MilestoneReported,
    NotifyStatus,
    OrderReceived,
    ReleaseStock,
    RequestFulfilment,
    ReserveStock,
    SalesOrderBooked,
    SalesOrderCancelled,
    ScheduleTimer,
    StatusNotified,
    StockAvailable,
    StockReserved,
    StockShort,
)
from crossdock.orchestration.order_to_cash_shipments import (
    SHIPPING,
    close_if_done,
    invoices_to_issue,
    post_invoice,
    record_acknowledgement,
    record_invoice_posted,
    record_milestone,
    settle_short,
)
from crossdock.orchestration.order_to_cash_steps import (
    BOOKING_TIMER,
    SETTLE_TIMER,
    Step,
    describe_duration,
    order_problems,
)
from crossdock.orchestration.workflow import (
    Decision,
    Facts,
    OrderState,
    WorkflowPolicy,
)

S = OrderStatus

"""The timer that holds an order its owning ERP has not booked in time."""

NOTIFY_STATUS = "notify_status"
SEND_PARTNER_FILE = "send_partner_file"
DELIVER_EVENT = "deliver_event"


def _kind(message: Message) -> str:
    kind: str = getattr(message, "kind", type(message).__name__)
    return kind


class OrderToCash:
    """The order-to-cash process manager: decides, never acts."""

    def __init__(self, policy: WorkflowPolicy) -> None:
        self.policy = policy

    def decide(self, state: OrderState | None, message: Message, facts: Facts) -> Decision:
        """The decision for ``message`` given the order's ``state`` (None before it exists).

        Raises :class:`BusinessRuleViolation` for a message other than ``OrderReceived`` for an
        order that does not exist: there is no state to record the refusal on.
        """
        if state is None:
            if isinstance(message, OrderReceived):
                step = self._step(OrderState(order=message.order, status=S.RECEIVED), facts)
                step.note(f"received from {message.order.channel}")
                self._validate(step, facts)
                return step.decision()
            raise BusinessRuleViolation(f"{_kind(message)} for an order that was never received")
        step = self._step(state, facts)
        if state.status in TERMINAL:
            self._after_the_end(step, message)
        else:
            self._dispatch(step, message, facts)
        return step.decision()

    def _step(self, state: OrderState, facts: Facts) -> Step:
        return Step(state=state, policy=self.policy, now=facts.now)

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, step: Step, message: Message, facts: Facts) -> None:
        match message:
            case OrderReceived():
                step.note(f"duplicate order received while {step.state.status}: nothing changed")
            case StockReserved(reservation=reservation):
                if step.state.status in (S.VALIDATED, S.BACKORDERED):
                    step.advance(S.RESERVED)
                    step.update(reservation=reservation)
                    step.note(f"stock reserved at {reservation.location}")
                    self._route(step)
                else:
                    self._ignore(step, message)
            case StockShort(location=location, short=short):
                self._short(step, message, location, short)
            case StockAvailable(sku=sku, location=location):
                self._stock_available(step, message, sku, location)
            case SalesOrderBooked(sales_order=sales_order):
                self._booked(step, message, sales_order)
            case FulfilmentAccepted(system=system, fulfilment_id=fulfilment_id):
                self._released(step, message, system, fulfilment_id)
            case MilestoneReported(milestone=milestone):
                record_milestone(step, milestone)
            case InvoicePosted(system=system, invoice_id=invoice_id, invoice_number=number):
                record_invoice_posted(step, system, invoice_id, number)
            case StatusNotified(system=system, status=status):
                record_acknowledgement(step, system, status)
            case CancellationRequested(reason=reason, requested_by=requested_by):
                self._cancel(step, reason, requested_by)
            case HoldReleased(released_by=released_by, rearmed=rearmed):
                self._release_hold(step, released_by, facts, rearmed)
            case DeadlineReached(timer=timer):
                self._deadline(step, timer)
            case DeliveryFailed(system=system, operation=operation, reason=reason):
                self._delivery_failed(step, system, operation, reason)
            case SalesOrderCancelled(system=system, sales_order_number=number):
                step.note(f"{system} cancelled sales order {number}: recorded, nothing changed")
            case FulfilmentCancelled(system=system, fulfilment_id=fulfilment_id):
                step.note(f"{system} cancelled fulfilment {fulfilment_id}: recorded")
            case _:
                step.note(f"ignored {_kind(message)}: not an order-to-cash message")

    def _after_the_end(self, step: Step, message: Message) -> None:
        """A closed or cancelled order only compensates what an ERP or warehouse did late."""
        state = step.state
        match message:
            case SalesOrderBooked(sales_order=booked) if (
                state.status is S.CANCELLED and state.sales_order is None
            ):
                step.update(sales_order=booked)
                step.command(self._cancel_sales_order(step, booked))
                step.note(
                    f"{booked.system} booked {booked.sales_order_number} after the order was "
                    "cancelled: cancelling it there"
                )
            case FulfilmentAccepted(system=system, fulfilment_id=fulfilment_id) if (
                state.status is S.CANCELLED and not state.fulfilment_id
            ):
                step.update(fulfilment_system=system, fulfilment_id=fulfilment_id)
                step.command(
                    CancelFulfilment(
                        system=system, order_id=step.order.order_id, fulfilment_id=fulfilment_id
                    )
                )
                step.note(
                    f"{system} accepted {fulfilment_id} after the order was cancelled: "
                    "withdrawing it"
                )
            case DeliveryFailed(system=system, operation=operation, reason=reason):
                step.note(
                    f"{operation} to {system} failed after the order was {state.status}: {reason}"
                )
            case _:
                step.note(f"ignored {_kind(message)}: the order is {state.status}")

    def _ignore(self, step: Step, message: Message) -> None:
        step.note(f"ignored {_kind(message)}: the order is {step.where}")

    # ------------------------------------------------------------------ receive, reserve, route

    def _validate(self, step: Step, facts: Facts) -> None:
        problems = order_problems(step.order, facts, self.policy.price_tolerance)
        if problems:
            step.put_on_hold(problems, rule="validation")
            return
        step.advance(S.VALIDATED)
        step.note("validated")
        self._reserve(step)

    def _reserve(self, step: Step) -> None:
        order = step.order
        location = self.policy.location_for(order)
        lines = tuple((line.line_no, line.sku, line.quantity) for line in order.lines)
        step.command(ReserveStock(order_id=order.order_id, location=location, lines=lines))
        step.note(f"reserving stock at {location}")

    def _short(
        self, step: Step, message: Message, location: str, short: tuple[ShortLine, ...]
    ) -> None:
        detail = ", ".join(
            f"line {s.line_no} ({s.sku}) wants {s.wanted}, {s.available} available" for s in short
        )
        status = step.state.status
        if status is S.BACKORDERED:
            step.note(f"still short at {location}: {detail}")
        elif status is S.VALIDATED:
            step.advance(S.BACKORDERED)
            step.event("backordered", location=location)
            step.notify(
                "backordered", documents={"short": [line.model_dump(mode="json") for line in short]}
            )
            step.note(f"backordered at {location}: {detail}")
        else:
            self._ignore(step, message)

    def _stock_available(self, step: Step, message: Message, sku: str, location: str) -> None:
        order = step.order
        if step.state.status is not S.BACKORDERED:
            self._ignore(step, message)
        elif location != step.location or sku not in {line.sku for line in order.lines}:
            step.note(f"ignored {sku} available at {location}: the order does not need it")
        else:
            step.note(f"{sku} available again at {location}")
            self._reserve(step)

    def _route(self, step: Step) -> None:
        order = step.order
        route = self.policy.routing.route(
            legal_entity=order.legal_entity, region=order.region, fulfilment_source=step.location
        )
        step.advance(S.ROUTED)
        step.update(route=route)
        step.rule = route.rule
        step.note(f"routed to {route.system} by rule {route.rule}")
        self._request_booking(step)
        step.notify("accepted")
        step.event("accepted")
        step.event("routed", system=route.system, rule=route.rule)

    def _request_booking(self, step: Step) -> None:
        route = step.state.route
        if route is None:  # pragma: no cover - routed orders always carry their route
            raise AssertionError("a routed order has no route")
        order = step.order
        step.command(
            CreateSalesOrder(system=route.system, order_id=order.order_id, order=order),
            ScheduleTimer(
                order_id=order.order_id,
                name=BOOKING_TIMER,
                due_at=step.now + self.policy.booking_deadline,
            ),
        )

    # ------------------------------------------------------------------ book, release

    def _booked(self, step: Step, message: Message, booked: SalesOrderRef) -> None:
        number = booked.sales_order_number
        if step.effective is S.ROUTED:
            step.advance(S.BOOKED)
            step.update(sales_order=booked)
            step.command(CancelTimer(order_id=step.order.order_id, name=BOOKING_TIMER))
            step.note(f"booked in {booked.system} as {number}")
            if step.on_hold:
                step.note("fulfilment waits for the hold to be released")
            else:
                self._request_fulfilment(step)
        elif step.state.sales_order is not None:
            step.note(
                f"repeated booking of {number}: already booked as "
                f"{step.state.sales_order.sales_order_number}, nothing changed"
            )
        else:
            self._ignore(step, message)

    def _request_fulfilment(self, step: Step) -> None:
        order = step.order
        request = FulfilmentRequest(
            order_id=order.order_id,
            location=step.location,
            ship_to_name=order.ship_to.name,
            lines=tuple((line.line_no, line.sku, line.quantity) for line in order.lines),
        )
        system = self.policy.fulfilment_system
        step.command(RequestFulfilment(system=system, order_id=order.order_id, request=request))
        step.note(f"fulfilment requested from {system}")

    def _released(self, step: Step, message: Message, system: str, fulfilment_id: str) -> None:
        if step.effective is S.BOOKED:
            step.advance(S.RELEASED)
            step.update(fulfilment_system=system, fulfilment_id=fulfilment_id)
            step.note(f"released to {system} as {fulfilment_id}")
        elif step.state.fulfilment_id:
            step.note(
                f"repeated acceptance by {system}: already released as {step.state.fulfilment_id}"
            )
        elif step.effective in SHIPPING:
            # The warehouse's milestones overtook its own answer to our request.
            step.update(fulfilment_system=system, fulfilment_id=fulfilment_id)
            step.note(f"{system} confirmed fulfilment {fulfilment_id} (milestones came first)")
        else:
            self._ignore(step, message)

    # ------------------------------------------------------------------ exceptions

    def _cancel(self, step: Step, reason: str, requested_by: str) -> None:
        state = step.state
        anything_shipped = any(s.lines for s in state.shipments)
        if step.effective not in CANCELLABLE or anything_shipped:
            step.note(
                f"cancellation refused: the order is {step.where} and "
                "has left or is leaving the warehouse"
            )
            return
        order = step.order
        if state.reservation is not None:
            step.command(ReleaseStock(order_id=order.order_id))
        if state.sales_order is not None:
            step.command(self._cancel_sales_order(step, state.sales_order))
        if state.fulfilment_id:
            step.command(
                CancelFulfilment(
                    system=state.fulfilment_system,
                    order_id=order.order_id,
                    fulfilment_id=state.fulfilment_id,
                )
            )
        if step.effective is S.ROUTED:
            step.command(CancelTimer(order_id=order.order_id, name=BOOKING_TIMER))
        step.move(S.CANCELLED, reason)
        step.update(cancel_reason=reason, held_from=None, hold_reasons=())
        step.notify("cancelled")
        step.event("cancelled", reason=reason)
        by = f" by {requested_by}" if requested_by else ""
        step.note(f"cancelled{by}: {reason}")

    def _cancel_sales_order(self, step: Step, booked: SalesOrderRef) -> CancelSalesOrder:
        return CancelSalesOrder(
            system=booked.system,
            order_id=step.order.order_id,
            sales_order_number=booked.sales_order_number,
        )

    def _deadline(self, step: Step, timer: str) -> None:
        route = step.state.route
        if timer == SETTLE_TIMER:
            if step.state.settling_until is None:
                step.note(f"stale {timer} timer ignored: no short shipment is settling")
            else:
                step.note("no further shipment was reported")
                settle_short(step)
        elif timer != BOOKING_TIMER:
            step.note(f"ignored unknown timer {timer}")
        elif step.state.status is not S.ROUTED or route is None:
            step.note(f"stale {timer} timer ignored: the order is {step.where}")
        else:
            deadline = describe_duration(self.policy.booking_deadline)
            reason = f"not booked in {route.system} within {deadline}"
            step.put_on_hold((reason,), rule="booking_deadline")

    def _delivery_failed(self, step: Step, system: str, operation: str, reason: str) -> None:
        if operation == SEND_PARTNER_FILE:
            # An acknowledgement (997, TA1) we owed the partner: its exception is the follow-up;
            # the order itself is fine.
            step.note(f"{system} did not get an acknowledgement we sent it: {reason}")
            return
        if operation == DELIVER_EVENT:
            # A partner's webhook endpoint refused or missed an event: its exception is the
            # follow-up; the order itself is fine.
            step.note(f"a webhook delivery of an event of this order failed: {reason}")
            return
        if operation == NOTIFY_STATUS:
            waiting_to_close = step.effective is S.INVOICED and (
                f"{system}:invoiced" not in step.state.notified
            )
            if not waiting_to_close:
                step.note(f"status notification to {system} failed: {reason}; the order goes on")
                return
            # Closing waits for every status system to have the invoiced status: a person must
            # look, or the order would sit in invoiced with nobody told.
        step.put_on_hold((f"{operation} to {system} failed: {reason}",), skip=system)

    def _release_hold(
        self, step: Step, released_by: str, facts: Facts, rearmed: tuple[str, ...] = ()
    ) -> None:
        if not step.on_hold:
            step.note(f"ignored hold release by {released_by}: the order is not on hold")
            return
        if step.effective is S.RECEIVED:
            problems = order_problems(step.order, facts, self.policy.price_tolerance)
            if problems:
                step.update(hold_reasons=problems)
                step.rule = "validation"
                step.note(
                    f"hold release by {released_by} refused: still invalid: {'; '.join(problems)}"
                )
                return
        invoices, missing = invoices_to_issue(step.state)
        if missing:
            step.note(
                f"hold release by {released_by} refused: cannot invoice "
                f"{', '.join(missing)} without a tax context from the ERP"
            )
            return
        resumed = step.resume()
        step.update(pending_invoices=())
        step.note(f"hold released by {released_by}; back to {resumed}")
        if resumed is S.RECEIVED:
            self._validate(step, facts)
        elif resumed in (S.VALIDATED, S.BACKORDERED):
            self._reserve(step)
        elif resumed is S.RESERVED:
            self._route(step)
        elif resumed is S.ROUTED:
            self._request_booking(step)
            step.note("booking requested again")
        elif resumed is S.BOOKED:
            self._request_fulfilment(step)
        elif resumed is S.INVOICED:
            for system in self.policy.notified_systems(step.order):
                if f"{system}:invoiced" not in step.state.notified:
                    step.command(
                        NotifyStatus(
                            system=system,
                            order_id=step.order.order_id,
                            channel_order_number=step.order.channel_order_number,
                            customer_po=step.order.customer_po,
                            status="invoiced",
                        )
                    )
            step.note("invoiced status sent again")
        for invoice in invoices:
            post_invoice(step, invoice)
        if rearmed:
            # The operator's replay already queued these, perhaps corrected: queueing the
            # workflow's own document again would re-arm it with the uncorrected one.
            step.commands = [
                c
                for c in step.commands
                if not (isinstance(c, DeliveryCommand) and c.idempotency_key in rearmed)
            ]
            step.note(f"{', '.join(rearmed)} already queued again by the replay")
        close_if_done(step)
