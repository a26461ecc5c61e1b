"""Object-level authorization: a partner reaches only its own customers' orders.

An order belongs to the partner whose customers include the order's customer. Anything else
answers exactly as an order that does not exist would (404), so a partner cannot learn another
partner's order ids by probing. Admins reach every order.
"""

from __future__ import annotations

from crossdock.integration.access.principal import Principal
from crossdock.orchestration.intake import UnknownOrder
from crossdock.orchestration.store import OrderRow, Store


def owned_order(store: Store, principal: Principal, order_id: str) -> OrderRow:
    """The order, when it exists and the caller may reach it; else :class:`UnknownOrder`."""
    with store.unit_of_work(write=False) as uow:
        row = uow.orders.get(order_id)
    if row is None or not principal.owns_customer(row.customer_id):
        raise UnknownOrder(order_id)
    return row
