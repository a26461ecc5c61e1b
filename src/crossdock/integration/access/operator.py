"""The operator's own key: what our own tools (the demo, the cluster harness) call the API with."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from crossdock.integration.access.principal import Scope
from crossdock.integration.access.records import AccessError
from crossdock.integration.access.store import AccessStore

OPERATOR_PARTNER = "operator"
"""The admin partner our own tools act as, registered on first use."""
OPERATOR_KEY_LIFETIME = timedelta(hours=12)
"""A tool's key outlives its run by a margin, and then stops working on its own."""
OPERATOR_RATE_LIMIT = "100/second"
"""Our tools poll (every order's timeline, after a demo): more than a partner's default."""


def mint_operator_key(access: AccessStore, *, label: str) -> str:
    """A new admin key of :data:`OPERATOR_PARTNER` (registered when missing); ``label`` says
    which tool holds it, in key lists and the audit log."""
    with contextlib.suppress(AccessError):  # registered already
        access.add_partner(
            OPERATOR_PARTNER, name="Operators", admin=True, rate_limit=OPERATOR_RATE_LIMIT
        )
    expires_at = access.clock.now() + OPERATOR_KEY_LIFETIME
    return access.create_key(
        OPERATOR_PARTNER, [Scope.ADMIN], label=label, expires_at=expires_at
    ).secret
