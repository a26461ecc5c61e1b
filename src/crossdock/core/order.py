"""The canonical order: what every channel's demand is turned into."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from crossdock.core.party import Address
from crossdock.core.value import Value


class OrderStatus(StrEnum):
    """The states of the order lifecycle (ARCHITECTURE §5)."""

    RECEIVED = "received"
    VALIDATED = "validated"
    RESERVED = "reserved"
    BACKORDERED = "backordered"
    ROUTED = "routed"
    BOOKED = "booked"
    RELEASED = "released"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICED = "invoiced"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    ON_HOLD = "on_hold"


class OrderLine(Value):
    """One ordered item."""

    line_no: int = Field(ge=1)
    sku: str = Field(min_length=1)
    quantity: Decimal = Field(gt=0)
    uom: str = "EA"
    unit_price: Decimal = Field(ge=0)
    requested_date: date | None = None


class Order(Value):
    """A canonical order, as received from a channel."""

    order_id: str
    """crossdock's own id for the order (the correlation id of everything that follows)."""
    channel: str
    """Where the order came from: a storefront, an EDI partner, the API."""
    channel_order_number: str
    customer_po: str = ""
    customer_id: str
    ship_to: Address
    bill_to: Address | None = None
    legal_entity: str
    region: str
    fulfilment_source: str = ""
    """The warehouse expected to ship the order; empty lets routing choose the region default."""
    currency: str = "USD"
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    received_at: datetime

    def line(self, line_no: int) -> OrderLine:
        """The line with this number (raises KeyError when there is none)."""
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise KeyError(line_no)

    @property
    def subtotal(self) -> Decimal:
        """The sum of quantity × unit price over every line."""
        return sum((line.quantity * line.unit_price for line in self.lines), Decimal(0))
