"""The order desk: how orders and partner reports enter the hub, and how they are read back.

Routes and channel adapters call these methods and nothing else. Each write is one transaction:
the order row and its first message are stored together, deduplicated on the sender's own id, so
the same webhook delivered three times yields one order and a crash between the two writes cannot
leave half an order behind.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from crossdock.core.errors import BusinessRuleViolation
from crossdock.core.fulfilment import ShipmentMilestone
from crossdock.core.order import Order
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.messages import (
    CancellationRequested,
    HoldReleased,
    Message,
    MilestoneReported,
    OrderReceived,
)
from crossdock.orchestration.store import (
    DeliveryRecord,
    OrderQuery,
    OrderRow,
    Store,
    TimelineEntry,
    UnitOfWork,
)
from crossdock.orchestration.wakeups import Wakeups

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with a submitted document, named by its field path (``lines[0].sku``)."""

    field: str
    message: str


class InvalidDocument(BusinessRuleViolation):
    """A submitted document breaks rules that master data decides (unknown SKU, customer …)."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


class MessageKeyReused(InvalidDocument):
    """A sender's message key (an Idempotency-Key, a webhook id) came back with another document.

    The same key with the same document is a repeat and answers with the first result; the same
    key with a different document is the sender's mistake, refused without storing anything.
    """

    def __init__(self, key: str, field: str = "Idempotency-Key") -> None:
        self.key = key
        super().__init__(
            [FieldProblem(field, f"{key!r} was already used for a different document")]
        )


def _sender_key(dedupe_key: str | None) -> str:
    """The sender's own key, without the channel prefix the desk stores it under."""
    return (dedupe_key or "").partition(":")[2] or (dedupe_key or "")


class UnknownOrder(BusinessRuleViolation):
    """No order has this id."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"no order {order_id}")


@dataclass(frozen=True, slots=True)
class Submitted:
    """The answer to a submission: the order's id, and whether this call created it."""

    order_id: str
    created: bool


class OrderDesk:
    """Intake and reads for orders."""

    def __init__(self, store: Store, clock: Clock, wakeups: Wakeups) -> None:
        self.store = store
        self.clock = clock
        self.wakeups = wakeups

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a desk method off the event loop, on the store's worker thread(s)."""
        return await self.store.run(functools.partial(fn, *args, **kwargs))

    # ------------------------------------------------------------------ writes

    def submit(
        self,
        order: Order,
        *,
        source: str,
        dedupe_key: str | None,
        key_field: str = "Idempotency-Key",
    ) -> Submitted:
        """Accept a new order from a channel.

        Known master data is checked first (unknown customer or SKU → :class:`InvalidDocument`,
        nothing stored). A repeat — the same ``dedupe_key``, or the same channel order number —
        creates nothing and answers with the existing order's id.
        """
        with self.store.unit_of_work() as uow:
            order = self._complete(uow, order)
            existing = uow.orders.find_by_channel_number(order.channel, order.channel_order_number)
            if existing is not None:
                return Submitted(existing, created=False)
            if not uow.orders.add(order):
                found = uow.orders.find_by_channel_number(order.channel, order.channel_order_number)
                return Submitted(found or order.order_id, created=False)
            stored = self._append(
                uow, order.order_id, OrderReceived(order=order), source, dedupe_key, ""
            )
            if stored is None:
                raise MessageKeyReused(_sender_key(dedupe_key), key_field)
        self.wakeups.notify("inbox")
        return Submitted(order.order_id, created=True)

    def report_milestone(self, system: str, milestone: ShipmentMilestone, *, event_id: str) -> bool:
        """Accept a warehouse milestone. False when this event id was already received."""
        message = MilestoneReported(system=system, milestone=milestone)
        return self._deliver(milestone.order_id, message, system, f"{system}:{event_id}")

    def request_cancellation(self, order_id: str, reason: str, requested_by: str) -> bool:
        """Ask the order's workflow to cancel it (it decides whether it still can)."""
        message = CancellationRequested(reason=reason, requested_by=requested_by)
        return self._deliver(order_id, message, requested_by or "api", None)

    def release_hold(self, order_id: str, released_by: str, note: str = "") -> bool:
        """An operator releases a held order."""
        message = HoldReleased(released_by=released_by, note=note)
        return self._deliver(order_id, message, released_by or "operator", None)

    def _deliver(self, order_id: str, message: Message, source: str, dedupe: str | None) -> bool:
        with self.store.unit_of_work() as uow:
            if not uow.orders.exists(order_id):
                raise UnknownOrder(order_id)
            stored = self._append(uow, order_id, message, source, dedupe, dedupe or "")
        if stored is None:
            return False
        self.wakeups.notify("inbox")
        return True

    def _append(
        self,
        uow: UnitOfWork,
        order_id: str,
        message: Message,
        source: str,
        dedupe_key: str | None,
        causation_id: str,
    ) -> int | None:
        return uow.inbox.append(
            order_id=order_id,
            kind=str(getattr(message, "kind")),  # noqa: B009
            body=message.model_dump(mode="json"),
            source=source,
            dedupe_key=dedupe_key,
            causation_id=causation_id,
            now=self.clock.now(),
        )

    def _complete(self, uow: UnitOfWork, order: Order) -> Order:
        """Check the order against master data and fill legal entity and region from it."""
        problems: list[FieldProblem] = []
        customer = uow.masterdata.customer(order.customer_id)
        if customer is None or not customer.active:
            problems.append(FieldProblem("customer_id", f"unknown customer {order.customer_id!r}"))
        skus = [line.sku for line in order.lines]
        known = uow.masterdata.products(skus)
        for index, line in enumerate(order.lines):
            product = known.get(line.sku)
            if product is None or not product.active:
                problems.append(FieldProblem(f"lines[{index}].sku", f"unknown SKU {line.sku!r}"))
        numbers = [line.line_no for line in order.lines]
        if len(set(numbers)) != len(numbers):
            problems.append(FieldProblem("lines", "line numbers must be unique"))
        if problems:
            raise InvalidDocument(problems)
        assert customer is not None
        return order.model_copy(
            update={
                "legal_entity": order.legal_entity or customer.legal_entity,
                "region": order.region or customer.region,
            }
        )

    # ------------------------------------------------------------------ reads

    def get(self, order_id: str) -> OrderRow:
        """One order, or :class:`UnknownOrder`."""
        with self.store.unit_of_work(write=False) as uow:
            row = uow.orders.get(order_id)
        if row is None:
            raise UnknownOrder(order_id)
        return row

    def search(self, query: OrderQuery) -> list[OrderRow]:
        """Orders matching the filters."""
        with self.store.unit_of_work(write=False) as uow:
            return uow.orders.search(query)

    def timeline(self, order_id: str) -> list[TimelineEntry]:
        """An order's timeline, oldest first, or :class:`UnknownOrder`."""
        with self.store.unit_of_work(write=False) as uow:
            if not uow.orders.exists(order_id):
                raise UnknownOrder(order_id)
            return uow.timeline.for_order(order_id)

    def deliveries(self, order_id: str) -> list[DeliveryRecord]:
        """Every delivery of an order."""
        with self.store.unit_of_work(write=False) as uow:
            return uow.deliveries.for_order(order_id)
