"""``/inventory/availability``: what can still be promised, per SKU and location.

Availability is ``on hand − reserved − safety stock`` (:mod:`crossdock.core.inventory`), read
from the positions the system of execution reports and the reservations orders hold. It needs
the ``inventory:read`` scope; stock is not any one partner's, so every caller sees all of it,
but only what is available: on hand, reservations and safety stock stay inside the hub. Every
answer carries a strong ETag and honours ``If-None-Match`` (:mod:`.etags`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from crossdock.core.inventory import InventoryPosition
from crossdock.integration.api.auth import InventoryReader
from crossdock.integration.api.cursors import decode_cursor, encode_cursor
from crossdock.integration.api.etags import CONDITIONAL_RESPONSES, conditional_json
from crossdock.integration.api.problems import API_RESPONSES
from crossdock.integration.api.read_models import Reads


class AvailabilityView(BaseModel):
    """What can still be promised of one SKU at one location."""

    sku: str
    location: str
    available: Decimal
    """On hand − reserved − safety stock, never below zero."""

    @classmethod
    def of(cls, position: InventoryPosition) -> AvailabilityView:
        """The availability of a stock position."""
        return cls(sku=position.sku, location=position.location, available=position.available)


class AvailabilityPage(BaseModel):
    """One page of availability, by SKU and location."""

    items: list[AvailabilityView]
    next: str | None
    """Pass as ``after`` to read the next page; null on the last page."""


def _position_cursor(after: str | None) -> tuple[str, str] | None:
    if after is None:
        return None
    sku, location = decode_cursor(after, 2)
    return (sku, location)


def inventory_router() -> APIRouter:
    """The inventory routes (mount under the API prefix)."""
    router = APIRouter(prefix="/inventory", tags=["inventory"], responses=API_RESPONSES)

    @router.get("/availability", response_model=AvailabilityPage, responses=CONDITIONAL_RESPONSES)
    async def availability(
        request: Request,
        reads: Reads,
        caller: InventoryReader,
        sku: Annotated[str | None, Query(min_length=1, description="Only this SKU")] = None,
        location: Annotated[
            str | None, Query(min_length=1, description="Only this location")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="Items per page")] = 50,
        after: Annotated[
            str | None, Query(min_length=1, description="The `next` cursor of a page")
        ] = None,
    ) -> Response:
        """Availability per SKU and location, one page at a time."""
        del caller  # stock is shared: the scope is all it takes
        cursor = _position_cursor(after)
        found = await reads.read(
            lambda uow: uow.inventory.position_page(
                sku=sku, location=location, after=cursor, limit=limit + 1
            )
        )
        page = found[:limit]
        last = page[-1] if page else None
        return conditional_json(
            request,
            AvailabilityPage(
                items=[AvailabilityView.of(p) for p in page],
                next=encode_cursor((last.sku, last.location))
                if last is not None and len(found) > limit
                else None,
            ),
        )

    return router
