"""Who may call each operation of the served API, written down once per (method, path).

The security tests walk the served OpenAPI document and look every operation up here, so a new
route fails them until someone says how it is guarded (and which object its path names). The
OpenAPI document itself is the second witness: each guarded operation declares the scope it
needs in ``security`` (``OAuth2: [scope]``), and the two must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from crossdock.integration.access.principal import Scope


class Guard(Enum):
    """How an operation decides who may call it and what they see."""

    OWNED = "owned"
    """Its path names one partner's object: another partner gets 404, as for no object."""
    SCOPED_LIST = "scoped list"
    """A collection: each partner sees its own customers' items only."""
    SCOPED_CREATE = "scoped create"
    """Creates an object owned by the caller (never by a partner named in the body)."""
    SHARED = "shared"
    """The same for every partner holding the scope (the catalog, availability)."""
    CALLER = "caller"
    """About the caller itself."""
    ADMIN = "admin"
    """Operators only: 403 for any partner key, whatever its other scopes."""
    PUBLIC = "public"
    """No credential: a probe, or where credentials are exchanged for a token."""
    SIGNED = "signed"
    """Authenticates its own way (an HMAC or S/MIME signature of a known sender), not with keys."""


@dataclass(frozen=True)
class Rule:
    """The guard of one operation, and the scope it declares."""

    guard: Guard
    scope: Scope | None = None
    """The scope the operation needs; None: any authenticated caller, or no credential."""
    body: dict[str, Any] | None = None
    """A valid request body, for operations that take one."""


Operation = tuple[str, str]
"""(HTTP method, path template) as the OpenAPI document spells them."""

_CANCEL = {"reason": "no longer needed"}

RULES: dict[Operation, Rule] = {
    # orders
    ("POST", "/api/v1/orders"): Rule(Guard.SCOPED_CREATE, Scope.ORDERS_WRITE),
    ("GET", "/api/v1/orders"): Rule(Guard.SCOPED_LIST, Scope.ORDERS_READ),
    ("GET", "/api/v1/orders/{order_id}"): Rule(Guard.OWNED, Scope.ORDERS_READ),
    ("GET", "/api/v1/orders/{order_id}/timeline"): Rule(Guard.OWNED, Scope.ORDERS_READ),
    ("GET", "/api/v1/orders/{order_id}/bindings"): Rule(Guard.OWNED, Scope.ORDERS_READ),
    ("GET", "/api/v1/orders/{order_id}/documents"): Rule(Guard.OWNED, Scope.ORDERS_READ),
    ("POST", "/api/v1/orders/{order_id}/cancel"): Rule(Guard.OWNED, Scope.ORDERS_WRITE, _CANCEL),
    ("POST", "/api/v1/orders/{order_id}/release-hold"): Rule(Guard.ADMIN, Scope.ADMIN),
    # master data and stock
    ("GET", "/api/v1/customers"): Rule(Guard.SCOPED_LIST, Scope.CATALOG_READ),
    ("GET", "/api/v1/customers/{customer_id}"): Rule(Guard.OWNED, Scope.CATALOG_READ),
    ("GET", "/api/v1/prices"): Rule(Guard.SCOPED_LIST, Scope.CATALOG_READ),
    ("GET", "/api/v1/products"): Rule(Guard.SHARED, Scope.CATALOG_READ),
    ("GET", "/api/v1/products/{sku}"): Rule(Guard.SHARED, Scope.CATALOG_READ),
    ("GET", "/api/v1/inventory/availability"): Rule(Guard.SHARED, Scope.INVENTORY_READ),
    # events
    ("GET", "/api/v1/events"): Rule(Guard.SCOPED_LIST, Scope.EVENTS_READ),
    ("GET", "/api/v1/subscriptions"): Rule(Guard.SCOPED_LIST, Scope.SUBSCRIPTIONS_WRITE),
    ("POST", "/api/v1/subscriptions"): Rule(Guard.SCOPED_CREATE, Scope.SUBSCRIPTIONS_WRITE),
    ("GET", "/api/v1/subscriptions/{subscription_id}"): Rule(
        Guard.OWNED, Scope.SUBSCRIPTIONS_WRITE
    ),
    ("DELETE", "/api/v1/subscriptions/{subscription_id}"): Rule(
        Guard.OWNED, Scope.SUBSCRIPTIONS_WRITE
    ),
    # the caller, partners, keys and the audit log
    ("GET", "/api/v1/me"): Rule(Guard.CALLER),
    ("POST", "/api/v1/oauth/token"): Rule(Guard.PUBLIC),
    ("GET", "/api/v1/partners"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/partners"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/partners/{partner_id}"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/partners/{partner_id}/keys"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/partners/{partner_id}/keys"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/keys/{key_id}/revoke"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/partners/{partner_id}/disable"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/kpis"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/search"): Rule(Guard.SCOPED_LIST, Scope.ORDERS_READ),
    ("GET", "/api/v1/audit"): Rule(Guard.ADMIN, Scope.ADMIN),
    # operating the hub
    ("GET", "/api/v1/exceptions"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/exceptions/{exception_id}"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/exceptions/{exception_id}/assign"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/exceptions/{exception_id}/tags"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/exceptions/{exception_id}/resolve"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/exceptions/{exception_id}/retry"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/replays"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/systems"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/systems/{name}"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/systems/{name}/pause"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/systems/{name}/resume"): Rule(Guard.ADMIN, Scope.ADMIN),
    # EDI
    ("GET", "/api/v1/edi/partners"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/edi/partners/{name}"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/edi/files"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/edi/files/{file_id}"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("GET", "/api/v1/edi/files/{file_id}/content"): Rule(Guard.ADMIN, Scope.ADMIN),
    ("POST", "/api/v1/edi/inbound"): Rule(Guard.ADMIN, Scope.ADMIN),
    # outside the partner API
    ("GET", "/healthz"): Rule(Guard.PUBLIC),
    ("POST", "/webhooks/shopify"): Rule(Guard.SIGNED),
    ("POST", "/webhooks/wms"): Rule(Guard.SIGNED),
    ("POST", "/as2"): Rule(Guard.SIGNED),
    ("POST", "/as2/mdn"): Rule(Guard.SIGNED),
}
"""Every operation the hub serves, and its guard."""

HIDDEN_ROUTES: frozenset[Operation] = frozenset(
    {
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/docs"),
        ("GET", "/api/v1/docs/oauth2-redirect"),
        ("GET", "/metrics"),
    }
)
"""Routes deliberately left out of the OpenAPI document: it, its viewer, and the Prometheus
scrape (plain text for a scraper, guarded by its own token — docs/observability.md)."""


def operations(document: dict[str, Any]) -> Iterator[tuple[Operation, dict[str, Any]]]:
    """Every operation of an OpenAPI document, with its definition."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch"}:
                yield (method.upper(), path), operation


def declared_scope(operation: dict[str, Any]) -> tuple[bool, Scope | None]:
    """Whether an operation declares security at all, and the OAuth2 scope it names."""
    requirements = operation.get("security") or []
    scopes = [scope for entry in requirements for scope in entry.get("OAuth2", [])]
    assert len(scopes) <= 1, f"more than one scope declared: {scopes}"
    return bool(requirements), Scope(scopes[0]) if scopes else None


def with_guard(*guards: Guard) -> list[Operation]:
    """The operations guarded by any of ``guards``, in a stable order (pytest ids)."""
    return sorted(op for op, rule in RULES.items() if rule.guard in guards)
