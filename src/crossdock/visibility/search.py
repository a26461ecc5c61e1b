"""Order search: find an order by any number anyone holds for it.

A customer service agent is read a number over the phone and does not know whose it is: our
order id, the channel's order number, the customer's PO, the ERP's sales order number, the
warehouse's fulfilment id, a shipment (ASN) id, a tracking number or an invoice number. One query
tries each:

* the orders table, for our id, the channel order number and the customer PO (indexed columns);
* the bindings, for every id another system gave the order — sales orders, fulfilments and
  invoices as each system accepted them, and shipments and tracking numbers as the order's state
  first carried them (see :mod:`crossdock.orchestration.bindings`), through the bindings'
  ``external_id`` index.

Matching is exact (case and spacing kept): ids are not words, and a prefix search over every
system's numbers would hand one partner's orders to another's guess. A partner only finds its own
customers' orders; another partner's order answers exactly as no order would (an empty list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from crossdock.core.order import OrderStatus
from crossdock.integration.api.auth import OrdersReader
from crossdock.integration.api.deps import Desk
from crossdock.integration.api.problems import API_RESPONSES
from crossdock.integration.api.views import Links, links
from crossdock.orchestration.store import OrderQuery, OrderRow, Store, UnitOfWork

MatchedOn = Literal[
    "order_id",
    "channel_order_number",
    "customer_po",
    "sales_order",
    "fulfilment",
    "invoice",
    "shipment",
    "tracking",
]
"""Which number matched: one of ours, the channel's, the customer's, or another system's."""

_BINDING_KINDS: dict[str, MatchedOn] = {
    "sales_order": "sales_order",
    "fulfilment": "fulfilment",
    "invoice": "invoice",
    "shipment": "shipment",
    "tracking": "tracking",
}
"""A binding's kind (before any ``:<our id>``) and what a match on it is called."""

MAX_MATCHES = 50
"""The most matches one search answers: a number shared by more orders is not an identifier."""
MAX_QUERY = 128
"""The longest number searched for (the longest id a binding stores)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderMatch:
    """One order a number leads to, and which of the order's numbers it is."""

    order_id: str
    matched_on: MatchedOn
    value: str
    status: OrderStatus
    system: str = ""
    """The system whose number matched (empty for our id, the channel's and the customer's)."""


def search_orders(
    store: Store, query: str, customer_ids: frozenset[str] | None, limit: int = MAX_MATCHES
) -> list[OrderMatch]:
    """Every order ``query`` is a number of, limited to ``customer_ids`` (None: every order);
    one match per order and kind of number, ordered by order id."""
    value = query.strip()
    if not value:
        return []
    with store.unit_of_work(write=False) as uow:
        found = _matches(uow, value, customer_ids, limit)
    unique = {(m.order_id, m.matched_on, m.system): m for m in found}
    return sorted(unique.values(), key=lambda m: (m.order_id, m.matched_on, m.system))[:limit]


def _matches(
    uow: UnitOfWork, value: str, customer_ids: frozenset[str] | None, limit: int
) -> list[OrderMatch]:
    def reachable(row: OrderRow | None) -> bool:
        return row is not None and (customer_ids is None or row.customer_id in customer_ids)

    found: list[OrderMatch] = []
    own = uow.orders.get(value) if len(value) <= 64 else None
    if own is not None and reachable(own):
        found.append(
            OrderMatch(order_id=own.order_id, matched_on="order_id", value=value, status=own.status)
        )
    by_column: tuple[tuple[MatchedOn, OrderQuery], ...] = (
        (
            "channel_order_number",
            OrderQuery(channel_order_number=value, customer_ids=customer_ids, limit=limit),
        ),
        ("customer_po", OrderQuery(customer_po=value, customer_ids=customer_ids, limit=limit)),
    )
    for matched_on, order_query in by_column:
        found += [
            OrderMatch(order_id=row.order_id, matched_on=matched_on, value=value, status=row.status)
            for row in uow.orders.search(order_query)
        ]
    for binding in uow.bindings.find(value, limit):
        matched = _BINDING_KINDS.get(binding.kind.partition(":")[0])
        row = uow.orders.get(binding.order_id)
        if matched is None or row is None or not reachable(row):
            continue
        found.append(
            OrderMatch(
                order_id=row.order_id,
                matched_on=matched,
                value=value,
                status=row.status,
                system=binding.system,
            )
        )
    return found


class SearchMatch(BaseModel):
    """An order the number leads to."""

    order_id: str
    matched_on: MatchedOn
    """Which of the order's numbers matched."""
    value: str
    """The number as searched for."""
    system: str
    """The system that gave the number (empty for our id, the channel's and the customer's)."""
    status: OrderStatus
    links: Links

    @classmethod
    def of(cls, match: OrderMatch, prefix: str) -> SearchMatch:
        """The view of a match, with links under the API ``prefix``."""
        return cls(
            order_id=match.order_id,
            matched_on=match.matched_on,
            value=match.value,
            system=match.system,
            status=match.status,
            links=links(prefix, match.order_id),
        )


def search_router(prefix: str = "/api/v1") -> APIRouter:
    """``GET {prefix}/search?q=<number>``, for callers holding ``orders:read``."""
    router = APIRouter(prefix=prefix, tags=["orders"], responses=API_RESPONSES)

    @router.get("/search")
    async def search(
        desk: Desk,
        caller: OrdersReader,
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY)],
    ) -> list[SearchMatch]:
        """Find orders by any of their numbers: our order id, the channel order number, the
        customer PO, the ERP sales order, the warehouse fulfilment, a shipment (ASN) id, a
        tracking number or an invoice number. Exact match; a partner finds only its own
        customers' orders; nothing found is an empty list."""
        matches = await desk.store.run(search_orders, desk.store, q, caller.tenancy())
        return [SearchMatch.of(match, prefix) for match in matches]

    return router
