"""The engine as production wires it — real workflow, real store — with fake gateways.

The store is SQLite or PostgreSQL (``conftest.database_url`` runs each engine test on both).

Tests drive it by hand: :meth:`Hub.drain` runs the timer poller, a step batch and one delivery
round per system until nothing is left to do, and time moves only when a test advances the clock.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from crossdock.core.catalog import Price, Product
from crossdock.core.fulfilment import Milestone, ShipmentMilestone, ShippedLine
from crossdock.core.inventory import InventoryPosition
from crossdock.core.order import Order, OrderLine, OrderStatus
from crossdock.core.party import Address, Customer
from crossdock.core.routing import RoutingRule, RoutingTable
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.deliveries import DeliveryRunner
from crossdock.orchestration.delivery_policy import DeliveryPolicy
from crossdock.orchestration.exception_desk import ExceptionDesk
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.order_to_cash import OrderToCash
from crossdock.orchestration.retry import RetryPolicy
from crossdock.orchestration.steps import StepProcessor, Workflow
from crossdock.orchestration.store import DeliveryRecord, OrderRow, TimelineEntry
from crossdock.orchestration.store_ops import Binding, ExceptionQuery, ExceptionRecord
from crossdock.orchestration.system_desk import SystemsDesk
from crossdock.orchestration.timers import TimerPoller
from crossdock.orchestration.wakeups import InProcessWakeups
from crossdock.orchestration.workflow import OrderState, WorkflowPolicy

from .gateways import FakeGateway

D = Decimal
SYSTEMS = ("legacy_erp", "cloud_erp", "wms", "storefront")

POLICY = WorkflowPolicy(
    routing=RoutingTable.of(
        [
            RoutingRule(name="entity-A", system="legacy_erp", legal_entity="A"),
            RoutingRule(name="entity-B", system="cloud_erp", legal_entity="B"),
        ],
        default_system="cloud_erp",
    ),
    fulfilment_system="wms",
    status_systems=("storefront",),
    default_location="WH1",
    booking_deadline=timedelta(minutes=30),
)

RETRY = RetryPolicy(initial_interval=timedelta(seconds=10), jitter=0.0)
"""Deterministic backoff: 10 s, 20 s, 40 s …"""

SHIP_TO = Address(
    name="Acme Hardware", line1="1 Main St", city="Fresno", postal_code="93650", country="US"
)
CUSTOMERS = (
    Customer(customer_id="C-A", name="Acme", legal_entity="A", region="WEST"),
    Customer(customer_id="C-B", name="Bolt Brothers", legal_entity="B", region="WEST"),
)
LIST_PRICES = {"BOLT": D("2.50"), "NUT": D("12.00")}
CONTRACT_PRICES = {("C-B", "BOLT"): D("2.25")}


class Hub:
    """One crossdock worker's engine on an empty database."""

    def __init__(
        self,
        database_url: str,
        *,
        retry: RetryPolicy = RETRY,
        step_attempts: int = 5,
        lease: timedelta = timedelta(seconds=60),
        policies: Mapping[str, DeliveryPolicy] | None = None,
        workflow: Workflow | None = None,
    ) -> None:
        """``policies`` are per-system delivery policies (breaker, limits, their own retry);
        systems without one retry by ``retry``. ``workflow`` replaces order-to-cash."""
        self.clock = FakeClock()
        self.store = SqlStore(database_url)
        self.store.create_schema()
        self.gateways = {system: FakeGateway(system) for system in SYSTEMS}
        self.policies = dict(policies or {})
        self.steps = StepProcessor(
            self.store, workflow or OrderToCash(POLICY), self.clock, max_attempts=step_attempts
        )
        self.runner = self.delivery_worker(retry=retry, lease=lease)
        self.timers = TimerPoller(self.store, self.clock)
        self.wakeups = InProcessWakeups()
        self.desk = OrderDesk(self.store, self.clock, self.wakeups)
        self.exceptions = ExceptionDesk(self.store, self.clock, self.wakeups)
        self.systems = SystemsDesk(
            self.store,
            self.clock,
            self.wakeups,
            {system: self.runner.policy_for(system) for system in SYSTEMS},
        )
        self._seed()

    def delivery_worker(
        self, *, retry: RetryPolicy = RETRY, lease: timedelta = timedelta(seconds=60)
    ) -> DeliveryRunner:
        """A delivery runner on this hub's store and gateways (another worker, if called again)."""
        return DeliveryRunner(
            self.store,
            self.gateways,
            self.clock,
            policy=retry,
            policies=self.policies,
            lease=lease,
            rng=random.Random(7),
        )

    def _seed(self) -> None:
        prices = [Price(sku=sku, currency="USD", unit_price=p) for sku, p in LIST_PRICES.items()]
        prices += [
            Price(sku=sku, currency="USD", unit_price=p, customer_id=customer)
            for (customer, sku), p in CONTRACT_PRICES.items()
        ]
        with self.store.unit_of_work() as uow:
            uow.masterdata.upsert_customers(CUSTOMERS)
            uow.masterdata.upsert_products(
                [Product(sku="BOLT", description="Bolt M8"), Product(sku="NUT", description="Nut")]
            )
            uow.masterdata.upsert_prices(prices)
        self.stock(BOLT="100", NUT="100")

    def stock(self, **on_hand: str) -> None:
        """Set stock on hand at WH1 directly, as the first inventory sync would."""
        with self.store.unit_of_work() as uow:
            uow.inventory.upsert_positions(
                [
                    InventoryPosition(sku=s, location="WH1", on_hand=D(q))
                    for s, q in on_hand.items()
                ],
                self.clock.now(),
            )

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------ driving

    async def drain(self, rounds: int = 60) -> None:
        """Fire timers, run step batches and delivery rounds until there is nothing left to do."""
        for _ in range(rounds):
            work = self.timers.fire_due()
            work += self.steps.run_batch().messages
            for system in self.gateways:
                work += (await self.runner.run_once(system)).attempted
            if not work:
                return
        raise AssertionError(f"the hub was still busy after {rounds} rounds")

    def submit(self, order_id: str = "O-1", *, customer: str = "C-A", bolts: str = "10") -> str:
        legal_entity = next(c.legal_entity for c in CUSTOMERS if c.customer_id == customer)
        bolt_price = CONTRACT_PRICES.get((customer, "BOLT"), LIST_PRICES["BOLT"])
        order = Order(
            order_id=order_id,
            channel="storefront",
            channel_order_number=f"#{order_id}",
            customer_id=customer,
            customer_po=f"PO-{order_id}",
            ship_to=SHIP_TO,
            legal_entity=legal_entity,
            region="WEST",
            lines=(
                OrderLine(line_no=1, sku="BOLT", quantity=D(bolts), unit_price=bolt_price),
                OrderLine(line_no=2, sku="NUT", quantity=D(4), unit_price=LIST_PRICES["NUT"]),
            ),
            received_at=self.clock.now(),
        )
        submitted = self.desk.submit(order, source="storefront", dedupe_key=f"sf:{order_id}")
        assert submitted.created
        return submitted.order_id

    def report(
        self,
        order_id: str,
        event_id: str,
        kind: Milestone = Milestone.SHIPPED,
        *,
        shipment_id: str = "S-1",
        bolts: str = "10",
    ) -> bool:
        """The warehouse reports a milestone (``shipped`` carries every line in full)."""
        lines = (
            (
                ShippedLine(line_no=1, sku="BOLT", quantity=D(bolts)),
                ShippedLine(line_no=2, sku="NUT", quantity=D(4)),
            )
            if kind is Milestone.SHIPPED
            else ()
        )
        milestone = ShipmentMilestone(
            order_id=order_id,
            shipment_id=shipment_id,
            milestone=kind,
            occurred_at=self.clock.now(),
            lines=lines,
            carrier="UPS",
            tracking_number=f"1Z-{shipment_id}",
            final=kind is Milestone.SHIPPED,
        )
        return self.desk.report_milestone("wms", milestone, event_id=event_id)

    async def ship(self, *order_ids: str) -> None:
        """The warehouse ships each order in full, one shipment each; then drain."""
        for n, order_id in enumerate(order_ids):
            assert self.report(order_id, f"evt-{order_id}", shipment_id=f"S-{n}")
        await self.drain()

    # ------------------------------------------------------------------ reading

    def row(self, order_id: str) -> OrderRow:
        return self.desk.get(order_id)

    def state(self, order_id: str) -> OrderState:
        state = self.row(order_id).state
        assert state is not None
        return state

    def status(self, order_id: str) -> OrderStatus:
        return self.row(order_id).status

    def deliveries(self, order_id: str, operation: str | None = None) -> list[DeliveryRecord]:
        return [
            d
            for d in self.desk.deliveries(order_id)
            if operation is None or d.operation == operation
        ]

    def timeline(self, order_id: str) -> list[TimelineEntry]:
        return self.desk.timeline(order_id)

    def summaries(self, order_id: str) -> str:
        return " | ".join(entry.summary for entry in self.timeline(order_id))

    def exceptions_of(self, order_id: str | None = None) -> list[ExceptionRecord]:
        """The exception queue (one order's exceptions), most recently seen first."""
        return self.exceptions.search(ExceptionQuery(order_id=order_id))

    def bindings(self, order_id: str, kind: str | None = None) -> list[Binding]:
        """The ids systems gave the order (of one kind), in the order they were bound."""
        with self.store.unit_of_work(write=False) as uow:
            found = uow.bindings.for_order(order_id)
        return [b for b in found if kind is None or b.kind == kind]

    def position(self, sku: str) -> InventoryPosition:
        with self.store.unit_of_work(write=False) as uow:
            [found] = uow.inventory.positions([sku], location="WH1")
        return found
