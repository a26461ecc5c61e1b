"""What the master data API answers: customers, products and prices as partners see them.

Each view is built from the read model's document by its ``of`` constructor, so the API's shape
is declared here and does not follow every change of the canonical model.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from crossdock.core.catalog import Price, Product
from crossdock.core.party import Address, Customer


class AddressView(BaseModel):
    """A postal address."""

    name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    """ISO 3166-1 alpha-2 country code."""

    @classmethod
    def of(cls, address: Address) -> AddressView:
        """The view of an address."""
        return cls.model_validate(address.model_dump())


class CustomerView(BaseModel):
    """A customer, as its system of record knows it."""

    customer_id: str
    name: str
    email: str
    legal_entity: str
    """The legal entity that sells to this customer."""
    region: str
    currency: str
    bill_to: AddressView | None
    active: bool

    @classmethod
    def of(cls, customer: Customer) -> CustomerView:
        """The view of a stored customer."""
        return cls(
            customer_id=customer.customer_id,
            name=customer.name,
            email=customer.email,
            legal_entity=customer.legal_entity,
            region=customer.region,
            currency=customer.currency,
            bill_to=AddressView.of(customer.bill_to) if customer.bill_to else None,
            active=customer.active,
        )


class CustomerPage(BaseModel):
    """One page of customers, in id order."""

    items: list[CustomerView]
    next: str | None
    """Pass as ``after`` to read the next page; null on the last page."""


class ProductView(BaseModel):
    """A sellable item of the shared catalog."""

    sku: str
    description: str
    uom: str
    """Unit of measure the item is sold in (X12 355 code, e.g. EA, CA, BX)."""
    active: bool

    @classmethod
    def of(cls, product: Product) -> ProductView:
        """The view of a stored product."""
        return cls(
            sku=product.sku, description=product.description, uom=product.uom, active=product.active
        )


class ProductPage(BaseModel):
    """One page of products, in SKU order."""

    items: list[ProductView]
    next: str | None
    """Pass as ``after`` to read the next page; null on the last page."""


class PriceView(BaseModel):
    """A price of one SKU in one currency: a list price, or one customer's contract price."""

    sku: str
    currency: str
    unit_price: Decimal
    customer_id: str | None
    """Null for the list price; the customer's id for a contract price, which wins over it."""
    valid_from: date | None

    @classmethod
    def of(cls, price: Price) -> PriceView:
        """The view of a stored price."""
        return cls(
            sku=price.sku,
            currency=price.currency,
            unit_price=price.unit_price,
            customer_id=price.customer_id or None,
            valid_from=price.valid_from,
        )


class PricePage(BaseModel):
    """One page of prices, by SKU, currency and customer (the list price first)."""

    items: list[PriceView]
    next: str | None
    """Pass as ``after`` to read the next page; null on the last page."""
