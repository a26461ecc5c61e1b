"""Order ids: ``ord_`` and a ULID, so ids sort in the order they were issued."""

from __future__ import annotations

import secrets
from datetime import datetime

ORDER_ID_PREFIX = "ord_"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_order_id(now: datetime) -> str:
    """A fresh order id: 48 bits of milliseconds since the epoch, then 80 random bits.

    Keyset pagination over order ids therefore lists orders roughly in arrival order.
    """
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return ORDER_ID_PREFIX + "".join(reversed(chars))
