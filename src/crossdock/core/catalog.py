"""Products and prices: master data read from their system of record."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crossdock.core.value import Value


class Product(Value):
    """A sellable item."""

    sku: str
    description: str
    uom: str = "EA"
    """Unit of measure the item is sold in (X12 355 code, e.g. EA, CA, BX)."""
    active: bool = True


class Price(Value):
    """A list price for one SKU in one currency, optionally for one customer."""

    sku: str
    currency: str
    unit_price: Decimal
    customer_id: str | None = None
    """None for the list price; set for a customer-specific contract price."""
    valid_from: date | None = None
