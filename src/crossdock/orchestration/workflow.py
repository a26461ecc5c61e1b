"""What a workflow step works with: the order's state, the facts it may read, its decision."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import Field

from crossdock.core.catalog import Price, Product
from crossdock.core.fulfilment import SalesOrderRef
from crossdock.core.inventory import Reservation
from crossdock.core.invoice import GatePolicy, Invoice
from crossdock.core.order import Order, OrderStatus
from crossdock.core.party import Customer
from crossdock.core.routing import RouteDecision, RoutingTable
from crossdock.core.value import Value
from crossdock.orchestration.messages import BusinessEvent, Command


class ShipmentRecord(Value):
    """What the workflow remembers about one shipment."""

    shipment_id: str
    milestones: tuple[str, ...] = ()
    """Milestones seen, in the order they arrived (repeats are ignored)."""
    lines: tuple[tuple[int, Decimal], ...] = ()
    """(line number, shipped quantity), set once the shipment is confirmed shipped."""
    carrier: str = ""
    tracking_number: str = ""
    invoice_id: str = ""
    invoice_number: str = ""


class OrderState(Value):
    """The durable state of one order's workflow instance."""

    order: Order
    status: OrderStatus
    version: int = 0
    """Incremented by the engine on every saved step (optimistic concurrency)."""
    held_from: OrderStatus | None = None
    """The state the order was in when it went on hold."""
    hold_reasons: tuple[str, ...] = ()
    route: RouteDecision | None = None
    reservation: Reservation | None = None
    sales_order: SalesOrderRef | None = None
    fulfilment_system: str = ""
    fulfilment_id: str = ""
    shipments: tuple[ShipmentRecord, ...] = ()
    final_shipment_seen: bool = False
    settling_until: datetime | None = None
    """Set while a short final shipment waits for shipments reported out of order."""
    pending_invoices: tuple[Invoice, ...] = ()
    """Invoices the gate held back; issued when an operator releases the hold."""
    notified: tuple[str, ...] = ()
    """``system:status`` pairs that systems of engagement acknowledged."""
    cancel_reason: str = ""
    closed_at: datetime | None = None

    def shipped_quantities(self) -> dict[int, Decimal]:
        """Quantity shipped so far per order line, over every confirmed shipment."""
        totals: dict[int, Decimal] = {}
        for shipment in self.shipments:
            for line_no, quantity in shipment.lines:
                totals[line_no] = totals.get(line_no, Decimal(0)) + quantity
        return totals

    def shipment(self, shipment_id: str) -> ShipmentRecord | None:
        """The shipment with this id, if the warehouse has reported it."""
        return next((s for s in self.shipments if s.shipment_id == shipment_id), None)


class Facts(Value):
    """Read-only facts a step may consult, loaded by the engine before it decides."""

    now: datetime
    customer: Customer | None = None
    products: Mapping[str, Product] = Field(default_factory=dict)
    prices: Mapping[str, Price] = Field(default_factory=dict)
    """Price per SKU for the order's customer and currency (a contract price wins over list)."""


class WorkflowPolicy(Value):
    """The estate-level settings the order-to-cash workflow decides with."""

    routing: RoutingTable
    gate: GatePolicy = GatePolicy()
    fulfilment_system: str
    """The system of execution that picks, packs and ships (the WMS)."""
    status_systems: tuple[str, ...] = ()
    """Systems of engagement told about every status change (customer service, channels)."""
    channel_systems: tuple[str, ...] = ()
    """Channels that are told about their own orders with the documents behind each status (EDI
    partners: the 855, 856 and 810). An order whose ``channel`` is one of them notifies it as it
    notifies the status systems, and closes only once it has acknowledged ``invoiced``."""
    region_locations: Mapping[str, str] = Field(default_factory=dict)
    """Default warehouse per region, used when an order names no fulfilment source."""
    default_location: str
    booking_deadline: timedelta = timedelta(minutes=30)
    """An order not booked in its ERP this long after routing goes on hold."""
    short_ship_settle: timedelta = timedelta(minutes=10)
    """After a final shipment that leaves lines short, how long to wait for shipments the
    warehouse reported out of order before the order is taken as shipped short and closed."""
    price_tolerance: Decimal = Decimal("0.01")
    """Largest accepted difference per unit between the order price and the master price."""

    def notified_systems(self, order: Order) -> tuple[str, ...]:
        """Every system told about this order's statuses: the status systems and its channel."""
        if order.channel in self.channel_systems and order.channel not in self.status_systems:
            return (*self.status_systems, order.channel)
        return self.status_systems

    def location_for(self, order: Order) -> str:
        """The warehouse an order ships from."""
        return order.fulfilment_source or self.region_locations.get(
            order.region, self.default_location
        )


class Decision(Value):
    """What a step decided: the new state, what to publish, what to do, and why."""

    state: OrderState
    events: tuple[BusinessEvent, ...] = ()
    commands: tuple[Command, ...] = ()
    summary: str
    """One line for the order timeline, e.g. ``routed to legacy_erp by rule entity-A``."""
    rule: str = ""
    """The rule that drove the decision, when one did (routing rule, gate rule …)."""
