"""Canonical documents ↔ the WMS's JSON. Pure functions, no I/O."""

from __future__ import annotations

from crossdock.connectors.wms.client import FulfilmentLine, NewFulfilment, StockRecord
from crossdock.core.fulfilment import FulfilmentRequest
from crossdock.core.inventory import InventoryPosition


def position(record: StockRecord) -> InventoryPosition:
    """Stock of one SKU at one location; ``reserved`` is crossdock's own and starts at zero."""
    return InventoryPosition(
        sku=record.sku,
        location=record.location,
        on_hand=record.on_hand,
        safety_stock=record.safety_stock,
    )


def new_fulfilment(request: FulfilmentRequest) -> NewFulfilment:
    """The fulfilment to ask the warehouse for."""
    return NewFulfilment(
        order_id=request.order_id,
        location=request.location,
        ship_to_name=request.ship_to_name,
        lines=tuple(
            FulfilmentLine(line_no=line_no, sku=sku, quantity=quantity)
            for line_no, sku, quantity in request.lines
        ),
    )
