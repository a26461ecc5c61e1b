"""Shopify webhook signatures: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(secret, raw body)).

The signature covers the exact bytes Shopify sent; re-serialised JSON does not verify, so it is
checked before the body is parsed. Several secrets may be valid at once: after a rotation Shopify
keeps signing with the old secret for up to an hour.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from pydantic import SecretStr

from crossdock.core.errors import ConfigurationError

HEADER = "X-Shopify-Hmac-Sha256"


class ShopifySignature:
    """Verifies webhook signatures against every current secret."""

    def __init__(self, secrets: Sequence[str | SecretStr], *, setting: str = "storefront.secrets"):
        keys = [s.get_secret_value() if isinstance(s, SecretStr) else s for s in secrets]
        if not keys or not all(keys):
            raise ConfigurationError(setting, "at least one non-empty webhook secret is required")
        self._keys = tuple(key.encode() for key in keys)

    def sign(self, body: bytes) -> str:
        """The signature Shopify would send for ``body`` with the newest (first) secret."""
        return _sign(self._keys[0], body).decode()

    def verify(self, body: bytes, signature: str | None) -> bool:
        """Whether ``signature`` is the signature of ``body`` under any current secret."""
        if not signature:
            return False
        given = signature.strip().encode()
        matches = [hmac.compare_digest(_sign(key, body), given) for key in self._keys]
        return any(matches)


def _sign(key: bytes, body: bytes) -> bytes:
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest())
