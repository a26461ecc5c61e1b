"""ShopifyWebhook: one `orders/create` delivery, signed the way Shopify signs it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass


def shopify_signature(secret: str, body: bytes) -> str:
    """`X-Shopify-Hmac-Sha256`: base64 of the HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass(frozen=True, kw_only=True)
class ShopifyWebhook:
    """A delivery. Its `webhook_id` stays the same on every retry of the delivery."""

    body: bytes
    webhook_id: str
    event_id: str
    triggered_at: str
    topic: str = "orders/create"

    def headers(self, *, secret: str, shop_domain: str, api_version: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": self.topic,
            "X-Shopify-Hmac-Sha256": shopify_signature(secret, self.body),
            "X-Shopify-Shop-Domain": shop_domain,
            "X-Shopify-API-Version": api_version,
            "X-Shopify-Webhook-Id": self.webhook_id,
            "X-Shopify-Event-Id": self.event_id,
            "X-Shopify-Triggered-At": self.triggered_at,
        }
