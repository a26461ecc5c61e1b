"""The Shopify ``orders/create`` fixture: its exact bytes and the headers it was delivered with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crossdock.channels.storefront.signature import ShopifySignature

FIXTURES = Path(__file__).parent / "fixtures"
BODY = (FIXTURES / "shopify_orders_create.json").read_bytes()


def _headers() -> dict[str, str]:
    lines = (FIXTURES / "shopify_orders_create.headers.txt").read_text().splitlines()
    headers: dict[str, str] = {}
    for line in lines[1:]:  # the first line is the request line
        if not line.strip() or line.startswith("#"):
            continue
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return headers


HEADERS = _headers()


def document(**changes: Any) -> dict[str, Any]:
    """The fixture's order object with some fields changed."""
    order: dict[str, Any] = json.loads(BODY)
    order.update(changes)
    return order


def signed(order: dict[str, Any], *, secret: str = "hush", **headers: str) -> dict[str, Any]:
    """Request arguments for ``order``, re-encoded and signed as Shopify would sign it."""
    return signed_bytes(json.dumps(order).encode(), secret=secret, **headers)


def signed_bytes(raw: bytes, *, secret: str = "hush", **headers: str) -> dict[str, Any]:
    """Request arguments for a raw body, signed as Shopify would sign it."""
    signature = ShopifySignature([secret]).sign(raw)
    return {"content": raw, "headers": {**HEADERS, "X-Shopify-Hmac-Sha256": signature, **headers}}
