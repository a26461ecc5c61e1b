"""The pieces one order-to-cash decision is assembled from.

:class:`Step` accumulates what a single decision does — the state it moves to, the events and
commands it emits, the lines of its summary — without mutating anything it was given: every change
is a ``model_copy``. It lives for one call of ``OrderToCash.decide`` and never escapes it.

:func:`order_problems` is the validation an order passes before stock is reserved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from crossdock.core.fulfilment import ShippedLine
from crossdock.core.invoice import Invoice, build_invoice
from crossdock.core.lifecycle import require_transition
from crossdock.core.order import Order, OrderStatus
from crossdock.orchestration.messages import BusinessEvent, CancelTimer, Command, NotifyStatus
from crossdock.orchestration.workflow import (
    Decision,
    Facts,
    OrderState,
    ShipmentRecord,
    WorkflowPolicy,
)

S = OrderStatus


BOOKING_TIMER = "booking"
"""The timer that holds a routed order its ERP has not booked in time."""
SETTLE_TIMER = "short_ship_settle"
"""The timer that ends the wait for shipments reported out of order after a short final one."""


@dataclass
class Step:
    """What one decision has done so far. Pure: it only ever replaces its own ``state``."""

    state: OrderState
    policy: WorkflowPolicy
    now: datetime
    events: list[BusinessEvent] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rule: str = ""

    @property
    def order(self) -> Order:
        """The order being decided on."""
        return self.state.order

    @property
    def on_hold(self) -> bool:
        """Whether the order waits on a person."""
        return self.state.status is S.ON_HOLD

    @property
    def effective(self) -> OrderStatus:
        """The status the order has, or would have were it not on hold."""
        if self.on_hold and self.state.held_from is not None:
            return self.state.held_from
        return self.state.status

    @property
    def where(self) -> str:
        """Where the order stands, for a summary: ``routed``, ``on hold (from routed)``."""
        if self.on_hold:
            return f"on hold (from {self.effective})"
        return str(self.state.status)

    @property
    def location(self) -> str:
        """The warehouse the order's stock is held at, or will be."""
        reservation = self.state.reservation
        return reservation.location if reservation else self.policy.location_for(self.order)

    def update(self, **changes: Any) -> None:
        """Replace fields of the state (never the status: use :meth:`move` or :meth:`advance`)."""
        self.state = self.state.model_copy(update=changes)

    def move(self, target: OrderStatus, reason: str = "") -> None:
        """Change the status itself, through the lifecycle guard."""
        require_transition(self.state.status, target, reason)
        self.update(status=target)

    def advance(self, target: OrderStatus, reason: str = "") -> None:
        """Move the effective status: while on hold, the status the order returns to."""
        if self.on_hold:
            require_transition(self.effective, target, reason)
            self.update(held_from=target)
        else:
            self.move(target, reason)

    def put_on_hold(self, reasons: tuple[str, ...], *, rule: str = "", skip: str = "") -> None:
        """Hold the order with ``reasons``, added to any it is already held for.

        When newly held, ``held`` is published and every status system is told, except ``skip``
        (a system whose delivery just failed).
        """
        if rule:
            self.rule = rule
        if self.on_hold:
            known = self.state.hold_reasons
            self.update(hold_reasons=known + tuple(r for r in reasons if r not in known))
            self.note(f"still on hold from {self.effective}: {'; '.join(reasons)}")
            return
        held_from = self.state.status
        self.move(S.ON_HOLD)
        self.update(held_from=held_from, hold_reasons=reasons)
        if held_from is S.ROUTED:
            # A person decides now; releasing the hold asks for the booking again with a fresh
            # deadline, so the old one must not fire after the release and hold it once more.
            self.command(CancelTimer(order_id=self.order.order_id, name=BOOKING_TIMER))
        self.note(f"on hold from {held_from}: {'; '.join(reasons)}")
        self.event("held", held_from=held_from.value, reasons=list(reasons))
        self.notify("on_hold", skip=skip)

    def resume(self) -> OrderStatus:
        """Leave the hold back to the status the order was held in; returns that status."""
        target = self.effective
        self.move(target, "leaving the hold")
        self.update(held_from=None, hold_reasons=())
        return target

    def put_shipment(self, record: ShipmentRecord) -> None:
        """Add the shipment record, or replace the one with the same id."""
        shipments = self.state.shipments
        if self.state.shipment(record.shipment_id) is None:
            shipments = (*shipments, record)
        else:
            shipments = tuple(
                record if s.shipment_id == record.shipment_id else s for s in shipments
            )
        self.update(shipments=shipments)

    def event(self, name: str, **data: Any) -> None:
        """Publish a business event; ``order_id`` and the current status are always included."""
        payload = {"order_id": self.order.order_id, "status": self.state.status.value, **data}
        self.events.append(BusinessEvent(name=name, data=payload))

    def command(self, *commands: Command) -> None:
        """Ask for commands, in order."""
        self.commands.extend(commands)

    def notify(
        self,
        status: str,
        *,
        detail: dict[str, Any] | None = None,
        skip: str = "",
        documents: dict[str, Any] | None = None,
        channel_only: bool = False,
    ) -> None:
        """Tell every status system and the order's channel system (but ``skip``) where the order
        stands. ``documents`` is added to the detail for the channel system only: what it needs to
        write its own document (the shipment's cartons for an 856, the invoice for an 810).
        ``channel_only`` tells the channel system alone."""
        order = self.order
        channel = order.channel if order.channel in self.policy.channel_systems else ""
        for system in self.policy.notified_systems(order):
            if system == skip or (channel_only and system != channel):
                continue
            extra = documents if system == channel and documents else {}
            self.command(
                NotifyStatus(
                    system=system,
                    order_id=order.order_id,
                    channel_order_number=order.channel_order_number,
                    customer_po=order.customer_po,
                    status=status,
                    detail={**(detail or {}), **extra},
                )
            )

    def note(self, text: str) -> None:
        """Add a clause to the decision's one-line summary."""
        self.notes.append(text)

    def decision(self) -> Decision:
        """The decision as it stands."""
        return Decision(
            state=self.state,
            events=tuple(self.events),
            commands=tuple(self.commands),
            summary="; ".join(self.notes) or "nothing to do",
            rule=self.rule,
        )


def order_problems(order: Order, facts: Facts, price_tolerance: Decimal) -> tuple[str, ...]:
    """Every reason the order cannot be accepted as it stands; empty when it is valid."""
    problems: list[str] = []
    customer = facts.customer
    if customer is None or customer.customer_id != order.customer_id:
        problems.append(f"unknown customer {order.customer_id}")
    else:
        if not customer.active:
            problems.append(f"customer {order.customer_id} is inactive")
        if customer.currency != order.currency:
            problems.append(
                f"order currency {order.currency} differs from customer currency "
                f"{customer.currency}"
            )
    for line in order.lines:
        label = f"line {line.line_no} ({line.sku})"
        product = facts.products.get(line.sku)
        if product is None:
            problems.append(f"{label}: unknown SKU")
        elif not product.active:
            problems.append(f"{label}: SKU is inactive")
        price = facts.prices.get(line.sku)
        if price is None:
            problems.append(f"{label}: no price on file")
        elif price.currency != order.currency:
            problems.append(f"{label}: price on file is in {price.currency}, not {order.currency}")
        elif abs(line.unit_price - price.unit_price) > price_tolerance:
            problems.append(
                f"{label}: price {line.unit_price} differs from {price.unit_price} "
                f"by more than {price_tolerance}"
            )
    ship_to = order.ship_to
    missing = [
        name
        for name in ("line1", "city", "postal_code", "country")
        if not str(getattr(ship_to, name)).strip()
    ]
    if missing:
        problems.append(f"ship-to is missing {', '.join(missing)}")
    return tuple(problems)


def invoice_for(state: OrderState, record: ShipmentRecord) -> Invoice | None:
    """The invoice for a recorded shipment at booked prices, or None when none can be built.

    Lines the ERP did not book cannot be billed at a booked price and are left out (the gate has
    already reported them); without a tax context there is no invoice at all.
    """
    booked = state.sales_order
    if booked is None or booked.tax is None:
        return None
    booked_lines = {line.line_no for line in booked.lines}
    billable = [
        (line_no, quantity)
        for line_no, quantity in record.lines
        if line_no in booked_lines and quantity > 0
    ]
    if not billable:
        return None
    skus = {line.line_no: line.sku for line in booked.lines}
    lines = [ShippedLine(line_no=n, sku=skus[n], quantity=q) for n, q in billable]
    return build_invoice(state.order, booked, record.shipment_id, lines)


def describe_duration(duration: timedelta) -> str:
    """``30 minutes``, ``2 hours``, ``1 day``: a deadline as a person would say it."""
    seconds = int(duration.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"
