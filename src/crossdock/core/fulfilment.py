"""What the ERP and the warehouse say back: sales-order references, fulfilment, shipments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from crossdock.core.value import Value


class TaxContext(Value):
    """The tax the owning ERP will charge, returned when it books the sales order."""

    tax_code: str
    rate: Decimal = Field(ge=0)
    """Fraction, e.g. 0.0825 for 8.25 %."""


class BookedLine(Value):
    """A line as the ERP booked it (the price it will invoice)."""

    line_no: int
    sku: str
    quantity: Decimal
    unit_price: Decimal


class SalesOrderRef(Value):
    """The owning ERP's sales order for one of our orders."""

    system: str
    sales_order_number: str
    lines: tuple[BookedLine, ...] = ()
    tax: TaxContext | None = None


class FulfilmentRequest(Value):
    """What we ask the warehouse to pick, pack and ship."""

    order_id: str
    location: str
    ship_to_name: str
    lines: tuple[tuple[int, str, Decimal], ...]
    """(line number, SKU, quantity) for every line to ship."""


class Milestone(StrEnum):
    """Warehouse milestones for one shipment."""

    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"


class ShippedLine(Value):
    """Quantity of one order line in one shipment."""

    line_no: int
    sku: str
    quantity: Decimal = Field(ge=0)


class Carton(Value):
    """A carton in a shipment."""

    carton_id: str
    """The carton's label id (an SSCC-18 for EDI customers)."""
    weight_kg: Decimal | None = None
    lines: tuple[ShippedLine, ...] = ()
    """What the carton holds, when the warehouse says (an 856's pack → item levels need it)."""


class ShipmentMilestone(Value):
    """A warehouse report about one shipment of an order. Several shipments per order are normal."""

    order_id: str
    shipment_id: str
    milestone: Milestone
    occurred_at: datetime
    lines: tuple[ShippedLine, ...] = ()
    """Shipped quantity per line; set on the ``shipped`` milestone."""
    cartons: tuple[Carton, ...] = ()
    carrier: str = ""
    tracking_number: str = ""
    final: bool = False
    """True when the warehouse will ship nothing more for this order (the rest is short-shipped)."""
