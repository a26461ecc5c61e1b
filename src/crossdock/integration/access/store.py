"""The access store: partners, API keys, OAuth2 tokens and the audit log, in the hub's database.

It lives beside the engine's store, in the same database (SQLite or PostgreSQL), so a key created
by ``crossdock partners keys create`` on one machine is accepted by every API process at once, and
a revocation takes effect on the next request everywhere. Every method is one short transaction;
call them from a worker thread in async code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from limits import parse_many
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from crossdock.integration.access.credentials import (
    compose_key,
    digest,
    matches,
    new_key_id,
    new_secret,
    new_token,
    split_key,
)
from crossdock.integration.access.principal import Principal, Scope, parse_scopes
from crossdock.integration.access.records import (
    AccessError,
    ApiKey,
    AuditEntry,
    AuditQuery,
    AuthenticationFailed,
    IssuedKey,
    IssuedToken,
    Partner,
)
from crossdock.integration.store import schema as t
from crossdock.integration.store.engine import transaction
from crossdock.orchestration.clock import Clock

PARTNER_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,47}$")
"""Partner ids: lower case letters, digits, ``_ . -``, at most 48; they appear in URLs, logs and
the channel of the partner's orders (``api:<partner>``)."""
TOKEN_TTL = timedelta(hours=1)
"""How long an OAuth2 access token lives."""
USE_RECORD_EVERY = timedelta(seconds=60)
"""A key's ``last_used_at`` is written at most this often (reads must not all become writes)."""
NAME_LENGTH = 200
"""The longest partner name or key label (the width of their columns)."""
RATE_LIMIT_LENGTH = 64
"""The longest rate limit text (the width of its column)."""


def _scopes(stored: str) -> frozenset[Scope]:
    return parse_scopes(json.loads(stored))


def _encode_scopes(scopes: Iterable[Scope]) -> str:
    return json.dumps(sorted(scope.value for scope in scopes))


def _partner(row: Any) -> Partner:
    return Partner(
        partner_id=row.partner_id,
        name=row.name,
        customer_ids=frozenset(json.loads(row.customer_ids)),
        admin=bool(row.admin),
        rate_limit=row.rate_limit,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def _key(row: Any) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        partner_id=row.partner_id,
        scopes=_scopes(row.scopes),
        label=row.label,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        last_used_from=row.last_used_from,
    )


def _audit(row: Any) -> AuditEntry:
    return AuditEntry(
        audit_id=int(row.audit_id),
        at=row.at,
        partner_id=row.partner_id,
        key_id=row.key_id,
        action=row.action,
        target=row.target,
        outcome=row.outcome,
        remote=row.remote,
        detail=json.loads(row.detail),
    )


class AccessStore:
    """Partners, keys, tokens and the audit log (see the module docstring)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def _tx(self) -> AbstractContextManager[Connection]:
        return transaction(self.engine, "access store")

    # --- partners -----------------------------------------------------------------------------

    def add_partner(
        self,
        partner_id: str,
        *,
        name: str = "",
        customer_ids: Iterable[str] = (),
        admin: bool = False,
        rate_limit: str = "",
    ) -> Partner:
        """Register a partner; AccessError when the id is taken or malformed."""
        if not PARTNER_ID.match(partner_id):
            raise AccessError(
                f"partner id {partner_id!r} must match {PARTNER_ID.pattern}", field="partner_id"
            )
        _fits(name, "name", NAME_LENGTH)
        _fits(rate_limit, "rate_limit", RATE_LIMIT_LENGTH)
        if rate_limit:
            validate_rate_limit(rate_limit)
        now = self.clock.now()
        values = {
            "partner_id": partner_id,
            "name": name or partner_id,
            "customer_ids": json.dumps(sorted(set(customer_ids))),
            "admin": admin,
            "rate_limit": rate_limit,
            "created_at": now,
        }
        try:
            with self._tx() as c:
                c.execute(insert(t.api_partners).values(**values))
        except IntegrityError:
            raise AccessError(
                f"partner {partner_id!r} already exists", field="partner_id", status=409
            ) from None
        return self.partner(partner_id)

    def partner(self, partner_id: str) -> Partner:
        """One partner; AccessError (404) when there is none."""
        with self._tx() as c:
            row = c.execute(
                select(t.api_partners).where(t.api_partners.c.partner_id == partner_id)
            ).one_or_none()
        if row is None:
            raise AccessError(f"no partner {partner_id!r}", field="partner_id", status=404)
        return _partner(row)

    def partners(self) -> list[Partner]:
        """Every partner, by id."""
        with self._tx() as c:
            rows = c.execute(select(t.api_partners).order_by(t.api_partners.c.partner_id))
            return [_partner(row) for row in rows]

    def disable_partner(self, partner_id: str) -> Partner:
        """Cut a partner off, in one transaction: it is marked disabled, every key it holds is
        revoked with its tokens, and its webhook subscriptions stop (queued deliveries to them
        are dropped). Its data stays; disabling twice changes nothing more."""
        now = self.clock.now()
        self.partner(partner_id)  # AccessError (404) when there is none
        with self._tx() as c:
            c.execute(
                update(t.api_partners)
                .where(
                    t.api_partners.c.partner_id == partner_id,
                    t.api_partners.c.disabled_at.is_(None),
                )
                .values(disabled_at=now)
            )
            c.execute(
                update(t.api_keys)
                .where(t.api_keys.c.partner_id == partner_id, t.api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            c.execute(delete(t.api_tokens).where(t.api_tokens.c.partner_id == partner_id))
            subscriptions = t.webhook_subscriptions
            c.execute(
                update(subscriptions)
                .where(subscriptions.c.partner_id == partner_id, subscriptions.c.active.is_(True))
                .values(active=False, disabled_at=now)
            )
        return self.partner(partner_id)

    # --- keys ---------------------------------------------------------------------------------

    def create_key(
        self,
        partner_id: str,
        scopes: Iterable[Scope],
        *,
        label: str = "",
        expires_at: datetime | None = None,
        rotate: str | None = None,
        overlap: timedelta = timedelta(hours=24),
    ) -> IssuedKey:
        """A new key for ``partner_id``. ``rotate`` names a key of the same partner that keeps
        working for ``overlap`` more (then expires), so clients can switch without downtime. With
        ``rotate`` and no ``expires_at``, the new key lives as long, from now, as the rotated one
        was set to live (created to expiry), or never expires when it did not."""
        partner = self.partner(partner_id)
        _fits(label, "label", NAME_LENGTH)
        wanted = frozenset(scopes)
        if not wanted:
            raise AccessError("a key needs at least one scope", field="scopes")
        if Scope.ADMIN in wanted and not partner.admin:
            raise AccessError(
                f"partner {partner_id!r} is not an admin partner: the admin scope is refused",
                field="scopes",
            )
        if partner.disabled_at is not None:
            raise AccessError(f"partner {partner_id!r} is disabled", field="partner_id")
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise AccessError("a key cannot expire before it is issued", field="expires_at")
        key_id, secret = new_key_id(), new_secret()
        with self._tx() as c:
            if rotate is not None:
                old = c.execute(
                    select(t.api_keys).where(t.api_keys.c.key_id == rotate).with_for_update()
                ).one_or_none()
                if old is None or old.partner_id != partner_id:
                    raise AccessError(
                        f"partner {partner_id!r} has no key {rotate!r}", field="rotate", status=404
                    )
                if old.revoked_at is not None:
                    raise AccessError(f"key {rotate!r} is revoked", field="rotate", status=409)
                if expires_at is None and old.expires_at is not None:
                    # A rotation renews the key; it must not turn a key that expires into one
                    # that never does.
                    expires_at = now + (old.expires_at - old.created_at)
                until = now + overlap
                if old.expires_at is None or old.expires_at > until:
                    c.execute(
                        update(t.api_keys)
                        .where(t.api_keys.c.key_id == rotate)
                        .values(expires_at=until)
                    )
            c.execute(
                insert(t.api_keys).values(
                    key_id=key_id,
                    partner_id=partner_id,
                    secret_hash=digest(secret),
                    scopes=_encode_scopes(wanted),
                    label=label,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return IssuedKey(key=self.key(key_id), secret=compose_key(key_id, secret))

    def key(self, key_id: str) -> ApiKey:
        """One key; AccessError (404) when there is none."""
        with self._tx() as c:
            row = c.execute(select(t.api_keys).where(t.api_keys.c.key_id == key_id)).one_or_none()
        if row is None:
            raise AccessError(f"no key {key_id!r}", field="key_id", status=404)
        return _key(row)

    def keys(self, partner_id: str | None = None) -> list[ApiKey]:
        """Keys (of one partner), oldest first."""
        statement = select(t.api_keys).order_by(t.api_keys.c.created_at, t.api_keys.c.key_id)
        if partner_id is not None:
            statement = statement.where(t.api_keys.c.partner_id == partner_id)
        with self._tx() as c:
            return [_key(row) for row in c.execute(statement)]

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key now, and every token issued to it; revoking twice changes nothing."""
        now = self.clock.now()
        with self._tx() as c:
            result = c.execute(
                update(t.api_keys)
                .where(t.api_keys.c.key_id == key_id, t.api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            if result.rowcount:
                c.execute(delete(t.api_tokens).where(t.api_tokens.c.key_id == key_id))
        return self.key(key_id)

    # --- authentication -----------------------------------------------------------------------

    def authenticate(self, presented: str, *, remote: str = "") -> Principal:
        """The caller a key or an access token belongs to; AuthenticationFailed says why not."""
        if presented.startswith("cdt_"):
            return self._authenticate_token(presented)
        parts = split_key(presented)
        if parts is None:
            raise AuthenticationFailed("malformed credential")
        now = self.clock.now()
        with self._tx() as c:
            row = c.execute(
                select(t.api_keys).where(t.api_keys.c.key_id == parts.key_id)
            ).one_or_none()
            if row is None or not matches(parts.secret, row.secret_hash):
                raise AuthenticationFailed("unknown key or wrong secret", key_id=parts.key_id)
            key = _key(row)
            state = key.state(now)
            if state in ("revoked", "expired"):
                raise AuthenticationFailed(
                    f"key {state}", key_id=key.key_id, partner_id=key.partner_id
                )
            partner = _partner(
                c.execute(
                    select(t.api_partners).where(t.api_partners.c.partner_id == key.partner_id)
                ).one()
            )
            if partner.disabled_at is not None:
                raise AuthenticationFailed(
                    "partner disabled", key_id=key.key_id, partner_id=key.partner_id
                )
            if key.last_used_at is None or now - key.last_used_at >= USE_RECORD_EVERY:
                c.execute(
                    update(t.api_keys)
                    .where(t.api_keys.c.key_id == key.key_id)
                    .values(last_used_at=now, last_used_from=remote[:64])
                )
        return Principal(
            partner_id=partner.partner_id,
            key_id=key.key_id,
            scopes=key.scopes,
            customer_ids=partner.customer_ids,
            rate_limit=partner.rate_limit,
        )

    def issue_token(
        self, client_id: str, client_secret: str, scopes: Iterable[str] = (), *, remote: str = ""
    ) -> IssuedToken:
        """OAuth2 client credentials: a key (its id as client id, the whole key or its secret
        as client secret) exchanged for a short-lived token with the scopes asked for (a subset
        of the key's; none asked: all of them)."""
        presented = (
            client_secret
            if client_secret.startswith(client_id)
            else compose_key(client_id, client_secret)
        )
        principal = self.authenticate(presented, remote=remote)
        if principal.key_id != client_id:
            raise AuthenticationFailed("client id does not match the secret", key_id=client_id)
        asked = parse_scopes(scopes) if scopes else principal.scopes
        if not asked <= principal.scopes:
            extra = ", ".join(sorted(s.value for s in asked - principal.scopes))
            raise AccessError(f"the key does not carry: {extra}", field="scope", status=400)
        token, now = new_token(), self.clock.now()
        with self._tx() as c:
            key_expires_at = c.execute(
                select(t.api_keys.c.expires_at).where(t.api_keys.c.key_id == principal.key_id)
            ).scalar_one()
            # A token never outlives its key (a rotated key's overlap ends for its tokens too).
            expires_at = min(now + TOKEN_TTL, key_expires_at or now + TOKEN_TTL)
            c.execute(delete(t.api_tokens).where(t.api_tokens.c.expires_at <= now))
            c.execute(
                insert(t.api_tokens).values(
                    token_hash=digest(token),
                    key_id=principal.key_id,
                    partner_id=principal.partner_id,
                    scopes=_encode_scopes(asked),
                    issued_at=now,
                    expires_at=expires_at,
                )
            )
        return IssuedToken(
            token=token, scopes=asked, expires_at=expires_at, partner_id=principal.partner_id
        )

    def _authenticate_token(self, token: str) -> Principal:
        now = self.clock.now()
        with self._tx() as c:
            row = c.execute(
                select(t.api_tokens).where(t.api_tokens.c.token_hash == digest(token))
            ).one_or_none()
            if row is None:
                raise AuthenticationFailed("unknown or revoked token")
            if row.expires_at <= now:
                raise AuthenticationFailed(
                    "token expired", key_id=row.key_id, partner_id=row.partner_id
                )
            # A token lives no longer than its key: a rotation that ended the key's overlap
            # after the token was issued ends the token too.
            key = _key(c.execute(select(t.api_keys).where(t.api_keys.c.key_id == row.key_id)).one())
            if key.state(now) in ("revoked", "expired"):
                raise AuthenticationFailed(
                    f"token of a key {key.state(now)}", key_id=key.key_id, partner_id=key.partner_id
                )
            partner = _partner(
                c.execute(
                    select(t.api_partners).where(t.api_partners.c.partner_id == row.partner_id)
                ).one()
            )
        if partner.disabled_at is not None:
            raise AuthenticationFailed("partner disabled", key_id=row.key_id)
        return Principal(
            partner_id=partner.partner_id,
            key_id=row.key_id,
            scopes=_scopes(row.scopes),
            customer_ids=partner.customer_ids,
            via="oauth2",
            rate_limit=partner.rate_limit,
        )

    # --- audit log ----------------------------------------------------------------------------

    def record(
        self,
        action: str,
        *,
        outcome: str,
        partner_id: str = "",
        key_id: str = "",
        target: str = "",
        remote: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry to the audit log."""
        with self._tx() as c:
            c.execute(
                insert(t.audit_log).values(
                    at=self.clock.now(),
                    partner_id=_column_text(partner_id, 64),
                    key_id=_column_text(key_id, 32),
                    action=_column_text(action, 64),
                    target=_column_text(target, 256),
                    outcome=_column_text(outcome, 32),
                    remote=_column_text(remote, 64),
                    detail=json.dumps(detail or {}, default=str),
                )
            )

    def audit(self, query: AuditQuery) -> list[AuditEntry]:
        """Audit entries matching every filter given, newest first."""
        a = t.audit_log
        statement = select(a).order_by(a.c.audit_id.desc()).limit(query.limit)
        for column, value in (
            (a.c.partner_id, query.partner_id),
            (a.c.key_id, query.key_id),
            (a.c.action, query.action),
            (a.c.outcome, query.outcome),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if query.since is not None:
            statement = statement.where(a.c.at >= query.since)
        if query.until is not None:
            statement = statement.where(a.c.at < query.until)
        if query.before is not None:
            statement = statement.where(a.c.audit_id < query.before)
        with self._tx() as c:
            return [_audit(row) for row in c.execute(statement)]


def _fits(value: str, field: str, length: int) -> str:
    """``value``, when a column of ``length`` can hold it; else AccessError naming ``field``. Too
    long, or holding a NUL (which PostgreSQL refuses), is the caller's mistake to be told about,
    not a database failure."""
    if len(value) > length:
        raise AccessError(f"{field} is longer than {length} characters", field=field)
    if "\x00" in value:
        raise AccessError(f"{field} must not contain a NUL character", field=field)
    return value


def _column_text(value: str, length: int) -> str:
    """Caller-controlled text (a path, a client id) as an audit column holds it: cut to the
    column's length, with NULs replaced (PostgreSQL refuses them; a refusal must still be logged).
    """
    return value.replace("\x00", "\ufffd")[:length]


def validate_rate_limit(text: str) -> str:
    """A rate limit in the ``limits`` notation (``120/minute``), or AccessError."""

    try:
        parse_many(text)
    except ValueError as exc:
        raise AccessError(f"rate limit {text!r}: {exc}", field="rate_limit") from None
    return text


def scope_names(scopes: Sequence[Scope] | frozenset[Scope]) -> list[str]:
    """Scopes as sorted names, for output."""
    return sorted(scope.value for scope in scopes)
