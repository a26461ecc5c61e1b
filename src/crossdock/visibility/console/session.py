"""The console's sessions: a signed cookie naming the admin key an operator logged in with, and
the CSRF token every form of that session carries.

The cookie is ``<payload>.<signature>``: the payload (partner, key id, when it was issued) in
base64url JSON, the signature an HMAC-SHA256 of it under the console's secret. It is HttpOnly and
SameSite=Strict and lives :data:`SESSION_TTL`. The key is looked up again on every request, so
revoking it (or disabling its partner) ends its console sessions at once.

CSRF is a double submit bound to the session: the token is an HMAC of the cookie's value, written
into every form; a POST whose token does not match the cookie it arrives with is refused. An
attacker's page can neither read the cookie nor compute the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from crossdock.integration.access.principal import Scope
from crossdock.integration.access.records import AccessError, AuthenticationFailed
from crossdock.integration.access.store import AccessStore
from crossdock.orchestration.clock import Clock

COOKIE = "crossdock_console"
"""The session cookie's name."""
SESSION_TTL = timedelta(hours=8)
"""How long a console session lasts after login."""


class LoginRefused(Exception):
    """The key presented at login is unknown, revoked, expired, or does not carry ``admin``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Operator:
    """Who is logged in to the console: an admin partner, through one key."""

    partner_id: str
    key_id: str
    issued_at: datetime
    csrf: str
    """The token every POST of this session must carry."""

    @property
    def name(self) -> str:
        """How the desks' ``by`` fields and the audit log name this operator."""
        return f"{self.partner_id}/{self.key_id}"


class ConsoleSessions:
    """Issues and checks console sessions (see the module docstring)."""

    def __init__(self, access: AccessStore, clock: Clock, secret: bytes | None = None) -> None:
        """``secret`` signs the cookies; without one a random secret is drawn, so sessions end
        when the process does and are not shared between processes (configure one for more)."""
        self.access = access
        self.clock = clock
        self._secret = secret or secrets.token_bytes(32)

    def login(self, presented_key: str, *, remote: str = "") -> str:
        """A session cookie value for an admin key; :class:`LoginRefused` otherwise."""
        try:
            principal = self.access.authenticate(presented_key.strip(), remote=remote)
        except AuthenticationFailed as exc:
            raise LoginRefused(exc.reason) from None
        if not principal.is_admin or principal.via != "api_key":
            raise LoginRefused("the key does not carry the admin scope")
        payload = {
            "p": principal.partner_id,
            "k": principal.key_id,
            "t": self.clock.now().isoformat(),
        }
        body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def operator(self, cookie: str | None) -> Operator | None:
        """The operator a cookie value belongs to, or None when it is missing, forged, expired,
        or its key no longer works."""
        if not cookie or "." not in cookie:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            partner_id, key_id = str(payload["p"]), str(payload["k"])
            issued_at = datetime.fromisoformat(str(payload["t"]))
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        now = self.clock.now()
        if now - issued_at >= SESSION_TTL or not self._key_works(partner_id, key_id, now):
            return None
        return Operator(
            partner_id=partner_id,
            key_id=key_id,
            issued_at=issued_at,
            csrf=self.csrf_token(cookie),
        )

    def csrf_token(self, cookie: str) -> str:
        """The CSRF token of the session whose cookie value is ``cookie``."""
        return self._sign(f"csrf:{cookie}")

    def csrf_matches(self, cookie: str | None, token: str) -> bool:
        """Whether ``token`` is the CSRF token of the session ``cookie`` names."""
        return bool(cookie and token) and hmac.compare_digest(token, self.csrf_token(cookie or ""))

    def _key_works(self, partner_id: str, key_id: str, now: datetime) -> bool:
        try:
            key = self.access.key(key_id)
            partner = self.access.partner(partner_id)
        except AccessError:
            return False
        return (
            key.partner_id == partner_id
            and key.state(now) in ("active", "expiring")
            and Scope.ADMIN in key.scopes
            and partner.disabled_at is None
        )

    def _sign(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()
