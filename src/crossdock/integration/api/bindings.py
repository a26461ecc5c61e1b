"""``/orders/{order_id}/bindings``: which id each system gave the order's documents.

A binding is recorded when a system accepts a create (its sales order number, fulfilment id,
invoice number); a replay checks it so that nothing is created twice. This is a read of the store
the order desk works on; it changes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter

from crossdock.integration.api.deps import Desk
from crossdock.integration.api.operator_views import BindingView
from crossdock.integration.api.problems import PROBLEM_RESPONSES, Problem
from crossdock.orchestration.intake import UnknownOrder
from crossdock.orchestration.store import Store
from crossdock.orchestration.store_ops import Binding


def order_bindings(store: Store, order_id: str) -> list[Binding]:
    """Every binding of an order; :class:`UnknownOrder` when there is no such order."""
    with store.unit_of_work(write=False) as uow:
        if not uow.orders.exists(order_id):
            raise UnknownOrder(order_id)
        return uow.bindings.for_order(order_id)


def bindings_router() -> APIRouter:
    """The bindings route."""
    router = APIRouter(prefix="/orders", tags=["orders"], responses=PROBLEM_RESPONSES)

    @router.get(
        "/{order_id}/bindings",
        responses={404: {"model": Problem, "description": "No order has this id"}},
    )
    async def get_bindings(order_id: str, desk: Desk) -> list[BindingView]:
        """The order's ids in other systems: sales order, fulfilment, invoices."""
        bindings = await desk.store.run(order_bindings, desk.store, order_id)
        return [BindingView.of(binding) for binding in bindings]

    return router
