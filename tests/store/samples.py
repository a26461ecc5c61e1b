"""Documents the store suite writes: orders, deliveries and reservation lines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crossdock.core.inventory import InventoryPosition, ReservationLine
from crossdock.core.order import Order, OrderLine
from crossdock.core.party import Address
from crossdock.orchestration.store import DeliveryRecord

D = Decimal
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""The start of :class:`~crossdock.orchestration.clock.FakeClock`."""

SHIP_TO = Address(
    name="Acme Hardware", line1="1 Main St", city="Fresno", postal_code="93650", country="US"
)


def make_order(order_id: str, *, number: str | None = None, channel: str = "storefront") -> Order:
    """An order of 10 × BOLT for customer C-1."""
    return Order(
        order_id=order_id,
        channel=channel,
        channel_order_number=number or f"#{order_id}",
        customer_id="C-1",
        ship_to=SHIP_TO,
        legal_entity="A",
        region="WEST",
        lines=(OrderLine(line_no=1, sku="BOLT", quantity=D(10), unit_price=D("2.50")),),
        received_at=T0,
    )


def make_delivery(
    order_id: str,
    operation: str = "create_sales_order",
    *,
    system: str = "erp",
    key: str | None = None,
    at: datetime = T0,
    command: dict[str, Any] | None = None,
) -> DeliveryRecord:
    """A pending delivery, due at ``at``."""
    return DeliveryRecord(
        delivery_id=str(uuid.uuid4()),
        order_id=order_id,
        system=system,
        operation=operation,
        idempotency_key=key or f"{order_id}:{operation}",
        command=command or {"kind": operation, "order_id": order_id},
        status="pending",
        attempts=0,
        next_attempt_at=at,
        created_at=at,
        causation_id="msg-1",
    )


def line(line_no: int, sku: str, quantity: str, location: str = "WH1") -> ReservationLine:
    return ReservationLine(line_no=line_no, sku=sku, location=location, quantity=D(quantity))


def position(
    sku: str, on_hand: str, *, location: str = "WH1", safety: str = "0"
) -> InventoryPosition:
    return InventoryPosition(sku=sku, location=location, on_hand=D(on_hand), safety_stock=D(safety))
