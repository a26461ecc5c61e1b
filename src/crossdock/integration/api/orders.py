"""``/orders``: submit an order, read it back, list orders, read its timeline, cancel, release.

Each route parses the request, hands it to the order desk and maps the answer. The desk runs
database transactions, so it is called on a worker thread: the event loop never waits on the disk.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from crossdock.core.order import OrderStatus
from crossdock.integration.api.auth import Admin, OrdersReader, OrdersWriter
from crossdock.integration.api.deps import Desk
from crossdock.integration.api.identifiers import new_order_id
from crossdock.integration.api.problems import API_RESPONSES, ApiProblem, problem_doc
from crossdock.integration.api.schemas import CancelRequest, NewOrder, ReleaseHoldRequest
from crossdock.integration.api.tenancy import owned_order
from crossdock.integration.api.views import (
    Acknowledged,
    OrderAccepted,
    OrderPage,
    OrderSummary,
    OrderView,
    Timeline,
    TimelineEntryView,
    links,
)
from crossdock.orchestration.intake import FieldProblem
from crossdock.orchestration.lineage import causes
from crossdock.orchestration.store import OrderQuery

API_CHANNEL = "api"
"""The channel of orders partners submit through this API; each partner's orders are in its own
channel, ``api:<partner>``, so one partner's order numbers never meet another's."""

_NOT_FOUND: dict[int | str, dict[str, object]] = {404: problem_doc("No order has this id")}


def orders_router(prefix: str) -> APIRouter:
    """The order routes; ``prefix`` is where the app mounts them (used in links)."""
    router = APIRouter(prefix="/orders", tags=["orders"], responses=API_RESPONSES)

    @router.post(
        "",
        status_code=HTTPStatus.CREATED,
        responses={
            200: {"model": OrderAccepted, "description": "A repeat: the existing order"},
            422: problem_doc(
                "Invalid order, unknown master data, or an Idempotency-Key "
                "already used for a different order"
            ),
        },
    )
    async def submit_order(
        body: NewOrder,
        response: Response,
        desk: Desk,
        caller: OrdersWriter,
        idempotency_key: Annotated[
            str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
        ] = None,
    ) -> OrderAccepted:
        """Submit an order. A repeat (same ``Idempotency-Key`` or channel order number) answers
        200 with the order already stored; nothing is stored when anything is wrong."""
        if not caller.owns_customer(body.customer_id):
            raise ApiProblem(
                HTTPStatus.FORBIDDEN,
                "a partner may order only for its own customers",
                slug="not-your-customer",
                errors=[FieldProblem("customer_id", f"{body.customer_id!r} is not your customer")],
            )
        now = desk.clock.now()
        channel = f"{API_CHANNEL}:{caller.partner_id}"
        order = body.to_order(order_id=new_order_id(now), channel=channel, received_at=now)
        dedupe_key = (
            f"{API_CHANNEL}:{caller.partner_id}:{idempotency_key}" if idempotency_key else None
        )
        submitted = await desk.run(desk.submit, order, source=channel, dedupe_key=dedupe_key)
        accepted = OrderAccepted(
            order_id=submitted.order_id,
            status=OrderStatus.RECEIVED,
            links=links(prefix, submitted.order_id),
        )
        if not submitted.created:
            existing = await desk.run(desk.get, submitted.order_id)
            accepted = accepted.model_copy(update={"status": existing.status})
            response.status_code = HTTPStatus.OK
        response.headers["Location"] = accepted.links.self
        return accepted

    @router.get("")
    async def list_orders(
        desk: Desk,
        caller: OrdersReader,
        status: OrderStatus | None = None,
        customer: str | None = None,
        po: str | None = None,
        channel_order_number: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        after: Annotated[str | None, Query(description="The `next` cursor of a page")] = None,
    ) -> OrderPage:
        """Orders matching every filter given, in id order, one page at a time."""
        query = OrderQuery(
            status=status.value if status else None,
            customer_id=customer,
            customer_po=po,
            channel_order_number=channel_order_number,
            customer_ids=caller.tenancy(),
            limit=limit + 1,
            after=after,
        )
        rows = await desk.run(desk.search, query)
        page = rows[:limit]
        return OrderPage(
            items=[OrderSummary.of(row, prefix) for row in page],
            next=page[-1].order_id if len(rows) > limit else None,
        )

    @router.get("/{order_id}", responses=_NOT_FOUND)
    async def get_order(order_id: str, desk: Desk, caller: OrdersReader) -> OrderView:
        """One order: its status, route, ERP sales order, fulfilment, shipments and invoices."""
        row = await desk.run(owned_order, desk.store, caller, order_id)
        return OrderView.of(row, prefix)

    @router.get("/{order_id}/timeline", responses=_NOT_FOUND)
    async def get_timeline(order_id: str, desk: Desk, caller: OrdersReader) -> Timeline:
        """Everything that happened to an order, across every system, oldest first."""
        await desk.run(owned_order, desk.store, caller, order_id)
        entries = await desk.run(desk.timeline, order_id)
        cause = causes(entries)
        return Timeline(
            order_id=order_id,
            entries=[TimelineEntryView.of(e, cause.get(e.entry_id)) for e in entries],
        )

    @router.post("/{order_id}/cancel", status_code=HTTPStatus.ACCEPTED, responses=_NOT_FOUND)
    async def cancel_order(
        order_id: str, body: CancelRequest, desk: Desk, caller: OrdersWriter
    ) -> Acknowledged:
        """Ask for the order to be cancelled; its workflow decides whether it still can be."""
        await desk.run(owned_order, desk.store, caller, order_id)
        requested_by = f"{API_CHANNEL}:{caller.partner_id}"
        accepted = await desk.run(desk.request_cancellation, order_id, body.reason, requested_by)
        return Acknowledged(order_id=order_id, accepted=accepted)

    @router.post("/{order_id}/release-hold", status_code=HTTPStatus.ACCEPTED, responses=_NOT_FOUND)
    async def release_hold(
        order_id: str, body: ReleaseHoldRequest, desk: Desk, _: Admin
    ) -> Acknowledged:
        """Release an order an exception put on hold; it resumes where it stopped."""
        accepted = await desk.run(desk.release_hold, order_id, body.released_by, body.note)
        return Acknowledged(order_id=order_id, accepted=accepted)

    return router
