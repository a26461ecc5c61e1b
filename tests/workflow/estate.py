"""A small estate for driving ``OrderToCash`` the way the engine does, without I/O.

:class:`Driver` keeps the order's state, feeds each decision's local-command results straight back
into ``decide`` (as the engine does in the same transaction) and keeps a tiny reservation ledger:
a fake at the inventory port, built on the core's own ATP rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from crossdock.core.catalog import Price, Product
from crossdock.core.fulfilment import (
    BookedLine,
    Milestone,
    SalesOrderRef,
    ShipmentMilestone,
    ShippedLine,
    TaxContext,
)
from crossdock.core.inventory import InventoryPosition, Reservation, ReservationLine, shortages
from crossdock.core.order import Order, OrderLine, OrderStatus
from crossdock.core.party import Address, Customer
from crossdock.core.routing import RoutingRule, RoutingTable
from crossdock.orchestration.messages import (
    Command,
    ConsumeStock,
    FulfilmentAccepted,
    InvoicePosted,
    Message,
    MilestoneReported,
    OrderReceived,
    PostInvoice,
    ReleaseStock,
    ReserveStock,
    SalesOrderBooked,
    StatusNotified,
    StockReserved,
    StockShort,
)
from crossdock.orchestration.order_to_cash import OrderToCash
from crossdock.orchestration.workflow import Decision, Facts, OrderState, WorkflowPolicy

D = Decimal
T = TypeVar("T")
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TAX = TaxContext(tax_code="CA-FRESNO", rate=D("0.0825"))
STATUS_SYSTEMS = ("storefront", "customer_service")

POLICY = WorkflowPolicy(
    routing=RoutingTable.of(
        [
            RoutingRule(name="entity-A", system="legacy_erp", legal_entity="A"),
            RoutingRule(name="entity-B", system="cloud_erp", legal_entity="B"),
        ],
        default_system="cloud_erp",
    ),
    fulfilment_system="wms",
    status_systems=STATUS_SYSTEMS,
    default_location="WH1",
    booking_deadline=timedelta(minutes=30),
)

SHIP_TO = Address(
    name="Acme Hardware", line1="1 Main St", city="Fresno", postal_code="93650", country="US"
)


def make_order(**changes: Any) -> Order:
    """Order O-1: 10 × BOLT at 2.50 and 4 × NUT at 12.00, legal entity A."""
    order = Order(
        order_id="O-1",
        channel="storefront",
        channel_order_number="#1001",
        customer_po="PO-77",
        customer_id="C-1",
        ship_to=SHIP_TO,
        legal_entity="A",
        region="WEST",
        lines=(
            OrderLine(line_no=1, sku="BOLT", quantity=D(10), unit_price=D("2.50")),
            OrderLine(line_no=2, sku="NUT", quantity=D(4), unit_price=D("12.00")),
        ),
        received_at=NOW,
    )
    return order.model_copy(update=changes)


def make_facts(**changes: Any) -> Facts:
    """Master data that makes :func:`make_order` valid."""
    facts = Facts(
        now=NOW,
        customer=Customer(customer_id="C-1", name="Acme", legal_entity="A", region="WEST"),
        products={
            "BOLT": Product(sku="BOLT", description="Bolt M8"),
            "NUT": Product(sku="NUT", description="Nut M8"),
        },
        prices={
            "BOLT": Price(sku="BOLT", currency="USD", unit_price=D("2.50")),
            "NUT": Price(sku="NUT", currency="USD", unit_price=D("12.00")),
        },
    )
    return facts.model_copy(update=changes)


def booking(order: Order | None = None, *, tax: TaxContext | None = TAX) -> SalesOrderBooked:
    """The owning ERP's answer to CreateSalesOrder, at the ordered prices."""
    order = order or make_order()
    return SalesOrderBooked(
        sales_order=SalesOrderRef(
            system="legacy_erp",
            sales_order_number="SO-500",
            lines=tuple(
                BookedLine(
                    line_no=line.line_no,
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                )
                for line in order.lines
            ),
            tax=tax,
        )
    )


def milestone(
    shipment_id: str,
    kind: Milestone = Milestone.SHIPPED,
    *,
    bolts: str = "0",
    nuts: str = "0",
    final: bool = False,
) -> MilestoneReported:
    """A warehouse milestone for O-1; quantities are only sent with ``shipped``."""
    lines: tuple[ShippedLine, ...] = ()
    if kind is Milestone.SHIPPED:
        lines = tuple(
            ShippedLine(line_no=n, sku=sku, quantity=D(q))
            for n, sku, q in ((1, "BOLT", bolts), (2, "NUT", nuts))
            if D(q) > 0
        )
    return MilestoneReported(
        system="wms",
        milestone=ShipmentMilestone(
            order_id="O-1",
            shipment_id=shipment_id,
            milestone=kind,
            occurred_at=NOW,
            lines=lines,
            carrier="UPS",
            tracking_number=f"1Z-{shipment_id}",
            final=final,
        ),
    )


class Ledger:
    """Stock per (SKU, location) and what each order holds: all or nothing, like the real port."""

    def __init__(self, on_hand: dict[tuple[str, str], str]) -> None:
        self.positions = {
            key: InventoryPosition(sku=key[0], location=key[1], on_hand=D(q))
            for key, q in on_hand.items()
        }
        self.held: dict[str, list[ReservationLine]] = {}

    def add(self, sku: str, location: str, quantity: str) -> None:
        key = (sku, location)
        current = self.positions.get(key) or InventoryPosition(
            sku=sku, location=location, on_hand=D(0)
        )
        self.positions[key] = current.model_copy(update={"on_hand": current.on_hand + D(quantity)})

    def _change(self, sku: str, location: str, *, on_hand: Decimal, reserved: Decimal) -> None:
        p = self.positions[(sku, location)]
        self.positions[(sku, location)] = p.model_copy(
            update={"on_hand": p.on_hand + on_hand, "reserved": p.reserved + reserved}
        )

    def reserve(self, command: ReserveStock) -> Message:
        at_location = {s: p for (s, loc), p in self.positions.items() if loc == command.location}
        short = shortages(command.lines, at_location)
        if short:
            return StockShort(location=command.location, short=tuple(short))
        lines = tuple(
            ReservationLine(line_no=n, sku=sku, location=command.location, quantity=q)
            for n, sku, q in command.lines
        )
        for line in lines:
            self._change(line.sku, line.location, on_hand=D(0), reserved=line.quantity)
        self.held[command.order_id] = list(lines)
        return StockReserved(reservation=Reservation(order_id=command.order_id, lines=lines))

    def consume(self, command: ConsumeStock) -> None:
        for line_no, sku, quantity in command.lines:
            held = self.held.get(command.order_id, [])
            line = next((h for h in held if h.line_no == line_no), None)
            taken = min(quantity, line.quantity) if line else D(0)
            if line is not None:
                held[held.index(line)] = line.model_copy(update={"quantity": line.quantity - taken})
            self._change(sku, command.location, on_hand=-quantity, reserved=-taken)

    def release(self, command: ReleaseStock) -> None:
        for line in self.held.pop(command.order_id, []):
            self._change(line.sku, line.location, on_hand=D(0), reserved=-line.quantity)

    def available(self, sku: str, location: str = "WH1") -> Decimal:
        return self.positions[(sku, location)].available

    def reserved(self, sku: str, location: str = "WH1") -> Decimal:
        return self.positions[(sku, location)].reserved


@dataclass
class Outcome:
    """Every decision one inbound message led to (its own, then the fed-back results')."""

    decisions: list[Decision] = field(default_factory=list)

    @property
    def first(self) -> Decision:
        return self.decisions[0]

    @property
    def commands(self) -> list[Command]:
        return [c for d in self.decisions for c in d.commands]

    @property
    def events(self) -> list[str]:
        return [e.name for d in self.decisions for e in d.events]

    @property
    def summary(self) -> str:
        return " | ".join(d.summary for d in self.decisions)

    def of(self, kind: type[T]) -> list[T]:
        return [c for c in self.commands if isinstance(c, kind)]


class Driver:
    """Plays the engine for one order: decide, save, carry out local commands, feed back."""

    def __init__(
        self,
        policy: WorkflowPolicy = POLICY,
        *,
        facts: Facts | None = None,
        stock: dict[tuple[str, str], str] | None = None,
    ) -> None:
        self.workflow = OrderToCash(policy)
        self.facts = facts or make_facts()
        self.ledger = Ledger(
            stock if stock is not None else {("BOLT", "WH1"): "100", ("NUT", "WH1"): "100"}
        )
        self.state: OrderState | None = None
        self.history: list[Decision] = []

    @property
    def current(self) -> OrderState:
        assert self.state is not None
        return self.state

    def status(self) -> OrderStatus:
        """The order's status now (a method, so type checkers do not pin it between sends)."""
        return self.current.status

    def send(self, message: Message, *, now: datetime = NOW) -> Outcome:
        outcome = Outcome()
        self._decide(message, self.facts.model_copy(update={"now": now}), outcome)
        return outcome

    def _decide(self, message: Message, facts: Facts, outcome: Outcome) -> None:
        decision = self.workflow.decide(self.state, message, facts)
        self.state = decision.state
        self.history.append(decision)
        outcome.decisions.append(decision)
        for command in decision.commands:
            match command:
                case ReserveStock():
                    self._decide(self.ledger.reserve(command), facts, outcome)
                case ConsumeStock():
                    self.ledger.consume(command)
                case ReleaseStock():
                    self.ledger.release(command)
                case _:
                    pass

    def send_all(self, messages: Iterable[Message]) -> list[Outcome]:
        return [self.send(m) for m in messages]

    # -- shortcuts to a given point of the lifecycle

    def receive(self, order: Order | None = None) -> Outcome:
        return self.send(OrderReceived(order=order or make_order()))

    def to_booked(self) -> Outcome:
        self.receive()
        return self.send(booking())

    def to_released(self) -> Outcome:
        self.to_booked()
        return self.send(FulfilmentAccepted(system="wms", fulfilment_id="F-9"))

    def post_invoices(self, outcome: Outcome) -> list[Outcome]:
        """Answer every PostInvoice in ``outcome`` as the ERP would."""
        return [
            self.send(
                InvoicePosted(
                    system=post.system,
                    invoice_id=post.invoice.invoice_id,
                    invoice_number=f"INV-{post.invoice.shipment_id}",
                )
            )
            for post in outcome.of(PostInvoice)
        ]

    def acknowledge(self, status: str) -> list[Outcome]:
        return [self.send(StatusNotified(system=s, status=status)) for s in STATUS_SYSTEMS]
