"""The order API's request documents (what partners send to ``/api/v1/orders``).

Request documents refuse unknown fields, so a misspelt field is an error rather than silently
ignored. What the API answers is in :mod:`.views`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from crossdock.core.order import Order, OrderLine
from crossdock.core.party import Address


class RequestDocument(BaseModel):
    """Base of request documents: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressIn(RequestDocument):
    """A postal address."""

    name: str = Field(min_length=1)
    line1: str = Field(min_length=1)
    line2: str = ""
    city: str = Field(min_length=1)
    region: str = ""
    postal_code: str = Field(min_length=1)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code, e.g. US")

    def to_address(self) -> Address:
        """The canonical address."""
        return Address(**self.model_dump())


class OrderLineIn(RequestDocument):
    """One ordered item."""

    line_no: int | None = Field(default=None, ge=1, description="Defaults to the line's position")
    sku: str = Field(min_length=1)
    quantity: Decimal = Field(gt=0)
    uom: str = Field(default="EA", min_length=1)
    unit_price: Decimal = Field(ge=0)
    requested_date: date | None = None


class NewOrder(RequestDocument):
    """A new order submitted by a partner."""

    channel_order_number: str = Field(min_length=1, max_length=100)
    """The partner's own order number; a second submission with it is a repeat."""
    customer_po: str | None = None
    customer_id: str = Field(min_length=1)
    ship_to: AddressIn
    bill_to: AddressIn | None = None
    legal_entity: str = ""
    """Filled from the customer master when empty."""
    region: str = ""
    """Filled from the customer master when empty."""
    fulfilment_source: str = ""
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")
    lines: list[OrderLineIn] = Field(min_length=1)

    def to_order(self, *, order_id: str, channel: str, received_at: datetime) -> Order:
        """The canonical order."""
        return Order(
            order_id=order_id,
            channel=channel,
            channel_order_number=self.channel_order_number,
            customer_po=self.customer_po or "",
            customer_id=self.customer_id,
            ship_to=self.ship_to.to_address(),
            bill_to=self.bill_to.to_address() if self.bill_to else None,
            legal_entity=self.legal_entity,
            region=self.region,
            fulfilment_source=self.fulfilment_source,
            currency=self.currency,
            lines=tuple(
                OrderLine(
                    line_no=line.line_no or index,
                    sku=line.sku,
                    quantity=line.quantity,
                    uom=line.uom,
                    unit_price=line.unit_price,
                    requested_date=line.requested_date,
                )
                for index, line in enumerate(self.lines, start=1)
            ),
            received_at=received_at,
        )


class CancelRequest(RequestDocument):
    """Ask for an order to be cancelled."""

    reason: str = Field(min_length=1)


class ReleaseHoldRequest(RequestDocument):
    """Release an order an exception put on hold."""

    released_by: str = Field(min_length=1)
    note: str = ""
