"""``/orders/{order_id}/bindings``: which id each system gave the order's documents.

A binding is recorded when a system accepts a create (its sales order number, fulfilment id,
invoice number); a replay checks it so that nothing is created twice. This is a read of the store
the order desk works on; it changes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter

from crossdock.integration.access.principal import Principal
from crossdock.integration.api.auth import OrdersReader
from crossdock.integration.api.deps import Desk
from crossdock.integration.api.operator_views import BindingView
from crossdock.integration.api.problems import API_RESPONSES, problem_doc
from crossdock.orchestration.intake import UnknownOrder
from crossdock.orchestration.store import Store
from crossdock.orchestration.store_ops import Binding


def order_bindings(store: Store, caller: Principal, order_id: str) -> list[Binding]:
    """Every binding of an order; :class:`UnknownOrder` when there is no such order, or it is
    not the caller's."""
    with store.unit_of_work(write=False) as uow:
        row = uow.orders.get(order_id)
        if row is None or not caller.owns_customer(row.customer_id):
            raise UnknownOrder(order_id)
        return uow.bindings.for_order(order_id)


def bindings_router() -> APIRouter:
    """The bindings route."""
    router = APIRouter(prefix="/orders", tags=["orders"], responses=API_RESPONSES)

    @router.get(
        "/{order_id}/bindings",
        responses={404: problem_doc("No order has this id")},
    )
    async def get_bindings(order_id: str, desk: Desk, caller: OrdersReader) -> list[BindingView]:
        """The order's ids in other systems: sales order, fulfilment, invoices."""
        bindings = await desk.store.run(order_bindings, desk.store, caller, order_id)
        return [BindingView.of(binding) for binding in bindings]

    return router
