"""The store port: a unit of work over the repositories the engine needs.

One unit of work is one database transaction (ARCHITECTURE D1): a step loads the order, decides,
and in the same transaction saves the state, appends outbox events, enqueues deliveries, writes the
timeline and marks the inbound message processed. Adapters: ``SqlStore`` (SQLite, PostgreSQL).

Quantities and money cross this port as :class:`~decimal.Decimal`; adapters store them exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar

from crossdock.core.catalog import Price, Product
from crossdock.core.inventory import InventoryPosition, ReservationLine
from crossdock.core.order import Order, OrderStatus
from crossdock.core.party import Customer
from crossdock.orchestration.messages import DeliveryCommand
from crossdock.orchestration.partner_documents import PartnerDocumentRepository
from crossdock.orchestration.store_ops import (
    BindingRepository,
    ExceptionRepository,
    SystemStateRepository,
)
from crossdock.orchestration.workflow import OrderState

T = TypeVar("T")


class ConcurrencyConflict(Exception):
    """Another worker saved the same order first; the transaction must be retried."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxRecord:
    """A message waiting for (or done by) an order's workflow."""

    message_id: int
    order_id: str
    kind: str
    body: dict[str, Any]
    source: str
    causation_id: str
    received_at: datetime
    attempts: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRecord:
    """A durable command to one external system."""

    delivery_id: str
    order_id: str
    system: str
    operation: str
    idempotency_key: str
    command: dict[str, Any]
    status: Literal["pending", "in_flight", "done", "failed"]
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    causation_id: str = ""
    last_error: str = ""


def pending_delivery(command: DeliveryCommand, *, now: datetime, cause: str) -> DeliveryRecord:
    """A delivery of ``command`` as it is first enqueued: pending, due now, caused by ``cause``."""
    return DeliveryRecord(
        delivery_id=str(uuid.uuid4()),
        order_id=command.order_id,
        system=command.system,
        operation=command.operation,
        idempotency_key=command.idempotency_key,
        command=command.model_dump(mode="json"),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        causation_id=cause,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRecord:
    """A business event waiting to be published."""

    seq: int
    event_id: str
    order_id: str
    type: str
    data: dict[str, Any]
    created_at: datetime
    causation_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineEntry:
    """One line of an order's timeline."""

    order_id: str
    at: datetime
    kind: Literal[
        "inbound", "decision", "delivery", "event", "exception", "timer", "system", "operator"
    ]
    summary: str
    system: str = ""
    rule: str = ""
    correlation_id: str = ""
    causation_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    entry_id: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRow:
    """An order as the store indexes it, with its workflow state once the first step ran."""

    order_id: str
    channel: str
    channel_order_number: str
    customer_id: str
    customer_po: str
    status: OrderStatus
    version: int
    received_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    order: Order
    state: OrderState | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderQuery:
    """Filters for listing orders."""

    status: str | None = None
    channel: str | None = None
    customer_id: str | None = None
    customer_po: str | None = None
    channel_order_number: str | None = None
    received_from: datetime | None = None
    """Only orders received at this time or later."""
    received_until: datetime | None = None
    """Only orders received before this time."""
    customer_ids: frozenset[str] | None = None
    """Tenancy: only orders of these customers (a partner's own); None places no limit."""
    limit: int = 100
    after: str | None = None
    """Keyset pagination: only orders whose id sorts after this one."""


PriceKey = tuple[str, str, str]
"""What identifies a price: ``(sku, currency, customer id)``, the customer id empty for a list
price. Prices are listed in this order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceQuery:
    """Filters for listing prices, one page at a time in :data:`PriceKey` order."""

    sku: str | None = None
    currency: str | None = None
    customer_ids: frozenset[str] | None = None
    """Contract prices of these customers only (a partner's own); None places no limit."""
    list_prices: bool = True
    """Whether list prices (those of no customer) are included."""
    limit: int = 100
    after: PriceKey | None = None
    """Keyset pagination: only prices whose key sorts after this one."""


class OrderRepository(Protocol):
    """Orders and their workflow state."""

    def add(self, order: Order) -> bool:
        """Store a new order. False when the channel already sent this order number."""
        ...

    def find_by_channel_number(self, channel: str, number: str) -> str | None:
        """The order id a channel's order number maps to."""
        ...

    def exists(self, order_id: str) -> bool:
        """Whether an order with this id was received (without loading it)."""
        ...

    def get(self, order_id: str) -> OrderRow | None:
        """One order."""
        ...

    def lock(self, order_ids: Sequence[str], limit: int | None = None) -> list[OrderRow]:
        """Load and lock orders for a step; skips orders another worker holds.

        At most ``limit`` orders (in order-id order) when given: workers offered the same
        candidates then each take a different share instead of all contending for the first.
        """
        ...

    def save(self, state: OrderState, expected_version: int, now: datetime) -> None:
        """Save a new state; raises :class:`ConcurrencyConflict` if the version moved."""
        ...

    def search(self, query: OrderQuery) -> list[OrderRow]:
        """Orders matching the filters, newest id last."""
        ...

    def with_status(self, status: OrderStatus, limit: int = 1000) -> list[str]:
        """Ids of orders in one status."""
        ...

    def release_quarantine(self, order_id: str) -> bool:
        """Let a quarantined order's messages be processed again; False when not quarantined."""
        ...

    def quarantine(self, order_id: str, reason: str) -> None:
        """Stop processing an order's messages until a person releases it."""
        ...

    def count_by_status(self) -> dict[str, int]:
        """How many orders sit in each status."""
        ...


class InboxRepository(Protocol):
    """Messages for workflows, deduplicated, processed in order per order."""

    def append(
        self,
        *,
        order_id: str,
        kind: str,
        body: dict[str, Any],
        source: str,
        dedupe_key: str | None,
        causation_id: str,
        now: datetime,
    ) -> int | None:
        """Store a message. None when ``dedupe_key`` was seen before (nothing stored)."""
        ...

    def pending_orders(self, limit: int) -> list[str]:
        """Orders with unprocessed messages, oldest message first, quarantined orders skipped."""
        ...

    def pending_for(self, order_ids: Sequence[str]) -> list[InboxRecord]:
        """Unprocessed messages of these orders, in arrival order."""
        ...

    def mark_processed(self, message_ids: Sequence[int], now: datetime) -> None:
        """Done: never processed again."""
        ...

    def reset_failures(self, order_id: str) -> int:
        """Forget the failed attempts of an order's waiting messages; how many were reset."""
        ...

    def failed(self, order_id: str) -> list[InboxRecord]:
        """An order's waiting messages that have failed at least once, oldest first."""
        ...

    def record_failure(self, message_id: int, error: str) -> int:
        """Count a failed attempt; returns the attempts so far."""
        ...

    def backlog(self) -> int:
        """Unprocessed messages."""
        ...


class DeliveryRepository(Protocol):
    """Per-system queues of commands to external systems."""

    def enqueue(self, record: DeliveryRecord) -> bool:
        """Queue a delivery; False when its idempotency key is already queued (nothing stored)."""
        ...

    def claim(
        self, system: str, limit: int, now: datetime, lease_until: datetime
    ) -> list[DeliveryRecord]:
        """Due deliveries for a system, at most one per order (per-order order), leased."""
        ...

    def complete(self, delivery_id: str, now: datetime) -> None:
        """Delivered."""
        ...

    def retry_later(self, delivery_id: str, next_attempt_at: datetime, error: str) -> None:
        """Failed for now; due again at ``next_attempt_at``."""
        ...

    def fail(self, delivery_id: str, error: str, now: datetime) -> None:
        """Failed for good."""
        ...

    def next_due(self, system: str) -> datetime | None:
        """When the earliest waiting delivery for a system becomes due."""
        ...

    def systems_with_work(self) -> list[str]:
        """Systems that have unfinished deliveries."""
        ...

    def counts(self) -> dict[str, dict[str, int]]:
        """Deliveries per system and status."""
        ...

    def for_order(self, order_id: str) -> list[DeliveryRecord]:
        """Every delivery of an order."""
        ...

    def for_orders(
        self, order_ids: Sequence[str], operation: str | None = None
    ) -> list[DeliveryRecord]:
        """Every delivery of each of ``order_ids`` (of ``operation`` only, when given), in the
        order they were queued: one read for many orders (the KPIs' scan)."""
        ...

    def get(self, delivery_id: str) -> DeliveryRecord | None:
        """One delivery."""
        ...

    def in_flight(self, system: str, now: datetime) -> int:
        """Deliveries to a system being sent right now (claimed, lease not run out)."""
        ...

    def rearm(
        self, delivery_id: str, command: dict[str, Any], causation_id: str, now: datetime
    ) -> bool:
        """Queue a failed delivery again, with ``command`` (perhaps corrected by an operator);
        its attempts and deadline start over. False when the delivery is not failed."""
        ...

    def expedite(self, system: str, now: datetime) -> int:
        """Make every delivery to a system that is backing off due now (the system is back)."""
        ...


class OutboxRepository(Protocol):
    """Events waiting to be published, in commit order."""

    def append(
        self, *, order_id: str, type: str, data: dict[str, Any], causation_id: str, now: datetime
    ) -> str:
        """Store an event; returns its id."""
        ...

    def unpublished(self, limit: int) -> list[OutboxRecord]:
        """The oldest events not yet published (a read: nothing is claimed)."""
        ...

    def claim(self, limit: int, now: datetime, lease_until: datetime) -> list[OutboxRecord]:
        """The oldest unpublished events, leased to the caller until ``lease_until``.

        One relay publishes at a time, so events keep their commit order: while another relay
        holds the oldest unpublished event (its lease has not run out), this returns nothing.
        A relay that dies mid-batch leaves its lease to run out; the next relay publishes the
        batch again (at least once; the event id lets a broker drop the repeat).
        """
        ...

    def release(self, seqs: Sequence[int]) -> None:
        """Give up a claim without publishing (the transport failed): any relay may retry now."""
        ...

    def mark_published(self, seqs: Sequence[int], now: datetime) -> None:
        """Published: the relay will not send them again."""
        ...

    def after(self, seq: int, limit: int) -> list[OutboxRecord]:
        """The event feed: events after a cursor."""
        ...


class TimerRepository(Protocol):
    """Deadlines set by workflows."""

    def schedule(self, order_id: str, name: str, due_at: datetime) -> None:
        """Set (or move) a timer."""
        ...

    def cancel(self, order_id: str, name: str) -> None:
        """Forget a timer."""
        ...

    def take_due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """Remove and return (order id, timer name) of every timer due by ``now``."""
        ...

    def next_due(self) -> datetime | None:
        """When the earliest timer is due."""
        ...


class TimelineRepository(Protocol):
    """The order timeline: every message, decision, delivery attempt and exception."""

    def append(self, entries: Sequence[TimelineEntry]) -> None:
        """Add entries."""
        ...

    def for_order(self, order_id: str) -> list[TimelineEntry]:
        """An order's timeline, oldest first."""
        ...

    def of_kind(self, order_ids: Sequence[str], kind: str) -> list[TimelineEntry]:
        """The entries of ``kind`` on the timelines of ``order_ids``, each timeline oldest first:
        one read for many orders (the KPIs read every decision of a page of orders)."""
        ...


class InventoryRepository(Protocol):
    """Stock positions and reservations; reservations are atomic."""

    def upsert_positions(self, positions: Sequence[InventoryPosition], now: datetime) -> list[str]:
        """Set on hand and safety stock from the system of execution (reserved is kept).

        Returns the ``sku@location`` keys whose availability went up.
        """
        ...

    def reserve(self, order_id: str, lines: Sequence[ReservationLine]) -> bool:
        """Hold every line or nothing. False when any line cannot be held in full."""
        ...

    def release(self, order_id: str) -> list[ReservationLine]:
        """Give back everything an order holds; returns what was released."""
        ...

    def consume(self, order_id: str, lines: Sequence[ReservationLine]) -> None:
        """Shipped: reduce on hand and the order's reservation together."""
        ...

    def positions(
        self, skus: Sequence[str], location: str | None = None
    ) -> list[InventoryPosition]:
        """Current positions of these SKUs."""
        ...

    def reserved_for(self, order_id: str) -> list[ReservationLine]:
        """What an order holds."""
        ...

    def position_page(
        self,
        *,
        sku: str | None = None,
        location: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int = 100,
    ) -> list[InventoryPosition]:
        """Positions in ``(sku, location)`` order, filtered by SKU and location when given.

        ``after`` is a keyset cursor: only positions whose ``(sku, location)`` sorts after it.
        """
        ...

    def changed_between(self, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        """``(sku@location, changed at)`` of positions whose on hand or safety stock the system
        of execution last changed at or after ``since`` and before ``until``, oldest first.

        Only the latest change of a position is kept; reservations and consumption are not
        changes from the system of execution and leave the time alone.
        """
        ...


class MasterDataRepository(Protocol):
    """Read models of customers, products and prices, fed from their system of record."""

    def upsert_customers(self, customers: Sequence[Customer]) -> None:
        """Replace or add customers."""
        ...

    def upsert_products(self, products: Sequence[Product]) -> None:
        """Replace or add products."""
        ...

    def upsert_prices(self, prices: Sequence[Price]) -> None:
        """Replace or add prices."""
        ...

    def customer(self, customer_id: str) -> Customer | None:
        """One customer."""
        ...

    def customer_by_email(self, email: str) -> Customer | None:
        """A customer found by contact email (storefront buyers)."""
        ...

    def products(self, skus: Sequence[str]) -> dict[str, Product]:
        """Known products among ``skus``."""
        ...

    def prices(self, skus: Sequence[str], currency: str, customer_id: str) -> dict[str, Price]:
        """The price per SKU for a customer: contract price first, else list price."""
        ...

    def customer_page(
        self,
        *,
        customer_ids: frozenset[str] | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Customer]:
        """Customers in id order: only ``customer_ids`` when given (None places no limit), and
        only those whose id sorts after ``after`` (a keyset cursor)."""
        ...

    def product_page(self, *, after: str | None = None, limit: int = 100) -> list[Product]:
        """Products in SKU order, only those whose SKU sorts after ``after``."""
        ...

    def price_page(self, query: PriceQuery) -> list[Price]:
        """Prices matching ``query``, in :data:`PriceKey` order."""
        ...

    def counts(self) -> dict[str, int]:
        """How many customers, products and prices are known."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository. Commits on a clean exit, rolls back otherwise."""

    @property
    def orders(self) -> OrderRepository:
        """The orders repository of this transaction."""
        ...

    @property
    def inbox(self) -> InboxRepository:
        """The inbox repository of this transaction."""
        ...

    @property
    def deliveries(self) -> DeliveryRepository:
        """The deliveries repository of this transaction."""
        ...

    @property
    def outbox(self) -> OutboxRepository:
        """The outbox repository of this transaction."""
        ...

    @property
    def timers(self) -> TimerRepository:
        """The timers repository of this transaction."""
        ...

    @property
    def timeline(self) -> TimelineRepository:
        """The timeline repository of this transaction."""
        ...

    @property
    def inventory(self) -> InventoryRepository:
        """The inventory repository of this transaction."""
        ...

    @property
    def masterdata(self) -> MasterDataRepository:
        """The masterdata repository of this transaction."""
        ...

    @property
    def exceptions(self) -> ExceptionRepository:
        """The exception queue of this transaction."""
        ...

    @property
    def bindings(self) -> BindingRepository:
        """The bindings repository of this transaction."""
        ...

    @property
    def systems(self) -> SystemStateRepository:
        """The shared system states of this transaction."""
        ...

    @property
    def partner_documents(self) -> PartnerDocumentRepository:
        """Archived partner files, control numbers and outbound documents of this transaction."""
        ...


class Store(Protocol):
    """Opens units of work."""

    def unit_of_work(self, *, write: bool = True) -> AbstractContextManager[UnitOfWork]:
        """A transaction; ``write=False`` for read-only work that need not wait for writers."""
        ...

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Run blocking store work off the event loop, on the store's own worker threads.

        SQLite gets one thread: its writers are serialised anyway, and a single thread avoids a
        convoy of threads queueing on the lock while they wait for the interpreter.
        """
        ...

    def close(self) -> None:
        """Release connections."""
        ...
