"""The ``data`` of each order event, as the order-to-cash workflow emits it.

Every event carries ``order_id`` and ``status`` (the order's status once the step that published
it is done: ``accepted`` is published with the order already ``routed``). The fields follow the
workflow's ``step.event(...)`` calls field for field; ``tests/contracts`` drives real orders
through the engine and checks every outbox row against these models, so a field the workflow adds
or drops without a contract change fails there first.

The models refuse unknown fields, so our own events cannot drift from their contract. The JSON
Schemas published from them are open (they do not forbid other fields): consumers must ignore a
field they do not know, which is what lets a published version gain an optional field.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crossdock.core.order import OrderStatus

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


class EventData(BaseModel):
    """Fields every order event carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str = Field(min_length=1, description="The order (also the event's subject).")
    status: OrderStatus = Field(description="The order's status after the step that published it.")


class OrderAccepted(EventData):
    """The order was validated and its stock reserved."""


class OrderBackordered(EventData):
    """Not enough stock at the order's location; the order waits for stock."""

    location: str = Field(description="The stock location that is short.")


class OrderRouted(EventData):
    """Routing rules chose the system (ERP) that owns the order's financial transaction."""

    system: str = Field(description="The owning system, as named in the estate.")
    rule: str = Field(description="The routing rule that chose it, or `default`.")


class OrderHeld(EventData):
    """The order was put on hold: a person must decide."""

    held_from: OrderStatus = Field(description="The status the order was in when it was held.")
    reasons: list[str] = Field(description="Why, one sentence each.")


class ShipmentConfirmed(EventData):
    """The warehouse confirmed a shipment of the order."""

    shipment_id: str = Field(description="The warehouse's shipment id.")
    carrier: str = Field(description="The carrier, or empty when the warehouse did not say.")
    tracking_number: str = Field(description="The tracking number, or empty.")


class InvoiceIssued(EventData):
    """An invoice passed the invoice gate and was sent to the owning ERP."""

    invoice_id: str = Field(description="crossdock's invoice id.")
    shipment_id: str = Field(description="The shipment it bills.")
    total: str = Field(
        pattern=DECIMAL_PATTERN,
        description="The invoice total, tax included, as a decimal string (no float rounding).",
    )


class OrderInvoiced(EventData):
    """Every shipment of the order is invoiced."""


class OrderCancelled(EventData):
    """The order was cancelled."""

    reason: str = Field(description="Why, as the requester gave it.")


class OrderClosed(EventData):
    """The order is complete: shipped, invoiced, and every status system told."""
