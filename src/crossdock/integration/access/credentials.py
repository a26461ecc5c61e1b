"""API keys and access tokens as secrets: how they look, how they are generated and hashed.

A key reads ``cdk_<key id>_<secret>``. The key id is its visible prefix (shown in lists, logs
and the audit log); the secret is 256 random bits, shown once and stored only as a SHA-256 hash.
Both are high-entropy random strings, so a fast hash is the right one: nothing can be guessed
from it, and checking a key costs microseconds, not a password hash's hundred milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_PREFIX = "cdk_"
TOKEN_PREFIX = "cdt_"
_KEY_ID_BYTES = 6
_SECRET_BYTES = 32
_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True, slots=True)
class PresentedKey:
    """A key as a caller presented it, split into its id and its secret."""

    key_id: str
    secret: str


def new_key_id() -> str:
    """A fresh visible key id (``cdk_`` and 12 hex digits)."""
    return KEY_PREFIX + secrets.token_hex(_KEY_ID_BYTES)


def looks_like_key_id(text: str) -> bool:
    """``text`` has the shape of a key id (so it may be logged: it holds no secret)."""
    return (
        len(text) == len(KEY_PREFIX) + 2 * _KEY_ID_BYTES
        and text.startswith(KEY_PREFIX)
        and _HEX.fullmatch(text[len(KEY_PREFIX) :]) is not None
    )


def new_secret() -> str:
    """A fresh secret (43 URL-safe characters)."""
    return secrets.token_urlsafe(_SECRET_BYTES)


def compose_key(key_id: str, secret: str) -> str:
    """The key a partner is given, once: ``<key id>_<secret>``."""
    return f"{key_id}_{secret}"


def split_key(presented: str) -> PresentedKey | None:
    """A presented key's id and secret; None when it is not shaped like one of ours."""
    if not presented.startswith(KEY_PREFIX):
        return None
    key_id_length = len(KEY_PREFIX) + 2 * _KEY_ID_BYTES
    key_id, separator, secret = (
        presented[:key_id_length],
        presented[key_id_length : key_id_length + 1],
        presented[key_id_length + 1 :],
    )
    if separator != "_" or not secret or not _HEX.fullmatch(key_id[len(KEY_PREFIX) :]):
        # The id must be ours before it goes near a query (PostgreSQL refuses a NUL, for one).
        return None
    return PresentedKey(key_id=key_id, secret=secret)


def new_token() -> str:
    """A fresh opaque access token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def digest(secret: str) -> str:
    """What is stored in place of a secret or token: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    """The secret hashes to the stored digest (compared in constant time)."""
    return hmac.compare_digest(digest(secret), stored_digest)
