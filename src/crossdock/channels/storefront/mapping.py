"""Shopify's ``orders/create`` webhook body → the canonical :class:`~crossdock.core.order.Order`.

Shopify sends a bare order object (REST shape). Only the fields mapped here are read; Shopify adds
fields without notice, so everything else is ignored. Every field that cannot be mapped is named
in one :class:`~crossdock.orchestration.intake.InvalidDocument`, by its path in Shopify's body.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crossdock.core.order import Order, OrderLine
from crossdock.core.party import Address, Customer
from crossdock.integration.api.problems import field_problems
from crossdock.orchestration.intake import FieldProblem, InvalidDocument

CHANNEL = "storefront"
PO_ATTRIBUTE = "po_number"
"""The order's note attribute that carries the buyer's purchase order number."""

CustomerDirectory = Callable[[str], Customer | None]
"""Finds the customer a storefront buyer is, by the buyer's email."""


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ShopifyAddress(_Wire):
    """A shipping or billing address."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None


class ShopifyLineItem(_Wire):
    """One line item."""

    sku: str | None = None
    quantity: int
    price: Decimal


class NoteAttribute(_Wire):
    """A name/value pair the checkout attached to the order."""

    name: str
    value: str | None = None


class ShopifyOrder(_Wire):
    """The part of Shopify's order object crossdock reads."""

    id: int
    name: str = Field(min_length=1)
    """The order's display number, e.g. ``#1001``: the channel order number."""
    email: str | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    note_attributes: list[NoteAttribute] = Field(default_factory=list)
    line_items: list[ShopifyLineItem] = Field(min_length=1)
    shipping_address: ShopifyAddress | None = None
    billing_address: ShopifyAddress | None = None

    def note(self, name: str) -> str:
        """The value of a note attribute, or empty."""
        return next((a.value or "" for a in self.note_attributes if a.name == name), "")


def parse(document: Any) -> ShopifyOrder:
    """Read Shopify's order object; raises :class:`InvalidDocument` naming every bad field."""
    try:
        return ShopifyOrder.model_validate(document)
    except ValidationError as exc:
        raise InvalidDocument(field_problems(exc.errors())) from exc


def to_order(
    shopify: ShopifyOrder, *, order_id: str, customer: Customer | None, received_at: datetime
) -> Order:
    """The canonical order for a Shopify order placed by ``customer`` (None: buyer unknown)."""
    problems: list[FieldProblem] = []
    if customer is None:
        message = f"no customer has the email {shopify.email!r}" if shopify.email else "required"
        problems.append(FieldProblem("email", message))
    ship_to = _address(shopify.shipping_address, "shipping_address", problems)
    bill_to = (
        _address(shopify.billing_address, "billing_address", problems)
        if shopify.billing_address
        else None
    )
    lines: list[OrderLine] = []
    for index, item in enumerate(shopify.line_items):
        where = f"line_items[{index}]"
        if not item.sku:
            problems.append(FieldProblem(f"{where}.sku", "the line item has no SKU"))
        if item.quantity <= 0:
            problems.append(FieldProblem(f"{where}.quantity", "must be greater than 0"))
        if item.price < 0:
            problems.append(FieldProblem(f"{where}.price", "must not be negative"))
        if not item.sku or item.quantity <= 0 or item.price < 0:
            continue
        lines.append(
            OrderLine(
                line_no=index + 1,
                sku=item.sku,
                quantity=Decimal(item.quantity),
                unit_price=item.price,
            )
        )
    if problems:
        raise InvalidDocument(problems)
    assert customer is not None
    assert ship_to is not None
    return Order(
        order_id=order_id,
        channel=CHANNEL,
        channel_order_number=shopify.name,
        customer_po=shopify.note(PO_ATTRIBUTE),
        customer_id=customer.customer_id,
        ship_to=ship_to,
        bill_to=bill_to,
        legal_entity="",
        region="",
        currency=shopify.currency,
        lines=tuple(lines),
        received_at=received_at,
    )


def _address(
    address: ShopifyAddress | None, field: str, problems: list[FieldProblem]
) -> Address | None:
    if address is None:
        problems.append(FieldProblem(field, "an address is required"))
        return None
    name = (
        address.name
        or " ".join(part for part in (address.first_name, address.last_name) if part)
        or address.company
        or ""
    )
    required = {
        "name": name,
        "address1": address.address1 or "",
        "city": address.city or "",
        "zip": address.zip or "",
        "country_code": address.country_code or "",
    }
    missing = [key for key, value in required.items() if not value.strip()]
    for key in missing:
        problems.append(FieldProblem(f"{field}.{key}", "required"))
    if missing:
        return None
    return Address(
        name=name,
        line1=required["address1"],
        line2=address.address2 or "",
        city=required["city"],
        region=address.province_code or "",
        postal_code=required["zip"],
        country=required["country_code"],
    )
