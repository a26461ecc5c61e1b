"""API credentials for tests: an operator's admin key, or a partner's key with chosen scopes.

Keys are made through the real access store, exactly as ``crossdock partners`` makes them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from crossdock.integration.access.principal import Scope
from crossdock.integration.access.records import AccessError
from crossdock.integration.access.store import AccessStore

OPERATOR = "ops"
PARTNER_SCOPES = (Scope.ORDERS_READ, Scope.ORDERS_WRITE)


def admin_key(access: AccessStore, partner_id: str = OPERATOR) -> str:
    """A fresh admin key of the operator partner (registered on first use)."""
    with contextlib.suppress(AccessError):  # registered by an earlier call
        access.add_partner(partner_id, name="Operations", admin=True)
    return access.create_key(partner_id, [Scope.ADMIN], label="tests").secret


def partner_key(
    access: AccessStore,
    partner_id: str,
    customers: Iterable[str],
    scopes: Iterable[Scope] = PARTNER_SCOPES,
) -> str:
    """A fresh key of a trading partner reaching ``customers`` (registered on first use)."""
    with contextlib.suppress(AccessError):  # registered by an earlier call
        access.add_partner(partner_id, customer_ids=customers)
    return access.create_key(partner_id, scopes, label="tests").secret


def bearer(key: str) -> dict[str, str]:
    """The header that presents ``key``."""
    return {"Authorization": f"Bearer {key}"}
