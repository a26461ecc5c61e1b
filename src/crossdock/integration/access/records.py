"""What the access store keeps: partners, their keys, and audit entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crossdock.integration.access.principal import Scope


class AccessError(Exception):
    """A partner or key operation that cannot be done; ``field`` names what was wrong."""

    def __init__(self, message: str, *, field: str = "", status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


class AuthenticationFailed(Exception):
    """A presented key or token was not accepted; ``reason`` says why (for the audit log only)."""

    def __init__(self, reason: str, *, key_id: str = "", partner_id: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.key_id = key_id
        self.partner_id = partner_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Partner:
    """A party that calls the API: a trading partner (its customers' data) or an operator."""

    partner_id: str
    name: str
    customer_ids: frozenset[str]
    admin: bool
    rate_limit: str
    """Requests per key, in the ``limits`` notation (``120/minute``); empty: the default."""
    created_at: datetime
    disabled_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    """One key of a partner; its secret is never kept, only its hash."""

    key_id: str
    partner_id: str
    scopes: frozenset[Scope]
    label: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    last_used_from: str = ""

    def state(self, now: datetime) -> str:
        """``active``, ``expiring`` (inside a rotation's overlap), ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None:
            return "expired" if self.expires_at <= now else "expiring"
        return "active"


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedKey:
    """A key just created: the only time its full secret exists outside the caller's hands."""

    key: ApiKey
    secret: str
    """The whole key to hand to the partner (``cdk_…_…``); shown once, never stored."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedToken:
    """An OAuth2 access token just issued."""

    token: str
    scopes: frozenset[Scope]
    expires_at: datetime
    partner_id: str = ""
    """The partner of the key the token was issued to."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """Who did what, when, from where, and how it ended."""

    audit_id: int
    at: datetime
    partner_id: str
    key_id: str
    action: str
    target: str
    outcome: str
    remote: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    """Filters for reading the audit log, newest first."""

    partner_id: str | None = None
    key_id: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None
    """Keyset pagination: only entries older than this audit id."""
    limit: int = 100
