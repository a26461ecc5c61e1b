"""Customers and their addresses."""

from __future__ import annotations

from crossdock.core.value import Value


class Address(Value):
    """A postal address: ship-to or bill-to."""

    name: str
    line1: str
    line2: str = ""
    city: str
    region: str = ""
    postal_code: str
    country: str
    """ISO 3166-1 alpha-2 country code."""


class Customer(Value):
    """A customer as its system of record knows it."""

    customer_id: str
    name: str
    email: str = ""
    """Contact email; storefronts identify their buyers by it."""
    legal_entity: str
    """The legal entity that sells to this customer (drives ERP routing)."""
    region: str
    currency: str = "USD"
    bill_to: Address | None = None
    active: bool = True
