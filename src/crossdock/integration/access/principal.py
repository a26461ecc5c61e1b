"""The caller of a request, as authentication established it, and the scopes it may hold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    """What a key or token allows. ``admin`` allows everything, across every partner."""

    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    INVENTORY_READ = "inventory:read"
    CATALOG_READ = "catalog:read"
    EVENTS_READ = "events:read"
    SUBSCRIPTIONS_WRITE = "subscriptions:write"
    ADMIN = "admin"


SCOPE_DESCRIPTIONS: dict[str, str] = {
    Scope.ORDERS_READ: "Read your orders, their timelines, bindings and documents",
    Scope.ORDERS_WRITE: "Submit and cancel your orders",
    Scope.INVENTORY_READ: "Read availability",
    Scope.CATALOG_READ: "Read your customers, products and prices",
    Scope.EVENTS_READ: "Read your events from the feed",
    Scope.SUBSCRIPTIONS_WRITE: "Manage your webhook subscriptions",
    Scope.ADMIN: "Operate the hub: every partner's data, exceptions, systems, partners, audit",
}
"""Each scope, as the OpenAPI document and ``crossdock partners`` describe it."""


def parse_scopes(names: Iterable[str]) -> frozenset[Scope]:
    """Scopes from their names; ValueError names the first unknown one."""
    scopes: set[Scope] = set()
    for name in names:
        try:
            scopes.add(Scope(name))
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise ValueError(f"unknown scope {name!r} (known: {known})") from None
    return frozenset(scopes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """An authenticated caller: a partner, through one key (or a token issued to one key)."""

    partner_id: str
    key_id: str
    scopes: frozenset[Scope]
    customer_ids: frozenset[str]
    """The customers whose orders and master data this partner may see and touch."""
    via: str = "api_key"
    """``api_key`` or ``oauth2``."""
    rate_limit: str = ""
    """The partner's own request rate limit (``limits`` notation); empty: the hub's default."""

    @property
    def is_admin(self) -> bool:
        """An operator: sees every partner's data."""
        return Scope.ADMIN in self.scopes

    def allows(self, scope: Scope) -> bool:
        """The key or token carries ``scope`` (or ``admin``)."""
        return self.is_admin or scope in self.scopes

    def owns_customer(self, customer_id: str) -> bool:
        """This caller may see and touch ``customer_id``'s data."""
        return self.is_admin or customer_id in self.customer_ids

    def tenancy(self) -> frozenset[str] | None:
        """The customers a query must be limited to; None for an admin (no limit)."""
        return None if self.is_admin else self.customer_ids
