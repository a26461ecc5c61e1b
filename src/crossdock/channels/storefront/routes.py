"""``POST /webhooks/shopify``: Shopify's signed ``orders/create`` webhook.

The signature is checked on the raw bytes before anything is parsed, and nothing is stored for a
request that fails it. Shopify retries a delivery until it gets a 2xx within a few seconds, so the
route only stores the order (one transaction) and answers; the workflow does the rest. Retries
carry the same ``X-Shopify-Webhook-Id``, which is the dedupe key, and the order's ``name`` is its
channel order number, so however often Shopify delivers, one order is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, SecretStr

from crossdock.channels.storefront.mapping import CustomerDirectory, ShopifyOrder, parse, to_order
from crossdock.channels.storefront.signature import HEADER, ShopifySignature
from crossdock.core.party import Customer
from crossdock.integration.api.identifiers import new_order_id
from crossdock.integration.api.problems import PROBLEM_RESPONSES, problem_doc
from crossdock.integration.api.webhooks import bad_signature, json_document
from crossdock.orchestration.intake import OrderDesk, Submitted
from crossdock.orchestration.store import Store

ORDERS_CREATE = "orders/create"
DEDUPE_PREFIX = "shopify"
"""Dedupe keys are ``shopify:<X-Shopify-Webhook-Id>``."""


class ShopifyReceipt(BaseModel):
    """The answer to Shopify: the order stored, or the topic ignored."""

    order_id: str | None = None
    ignored: str | None = None
    """The topic, when it is not one crossdock takes."""


def customers_in(store: Store) -> CustomerDirectory:
    """A customer directory reading the store's customer master."""

    def find(email: str) -> Customer | None:
        with store.unit_of_work(write=False) as uow:
            return uow.masterdata.customer_by_email(email)

    return find


def storefront_router(
    desk: OrderDesk,
    secrets: Sequence[str | SecretStr],
    *,
    system: str = "shopify",
    customers: CustomerDirectory | None = None,
    path: str = "/webhooks/shopify",
) -> APIRouter:
    """The Shopify webhook route.

    ``secrets`` are the app's client secrets, newest first (several during a rotation);
    ``system`` is the storefront's name in the estate (the source on the order's timeline);
    ``customers`` finds the buyer by email (default: the desk's customer master).
    """
    signature = ShopifySignature(secrets)
    directory = customers or customers_in(desk.store)
    router = APIRouter(tags=["webhooks"])

    def accept(shopify: ShopifyOrder, webhook_id: str | None) -> Submitted:
        buyer = directory(shopify.email) if shopify.email else None
        if buyer is not None and not buyer.active:
            buyer = None
        now = desk.clock.now()
        order = to_order(shopify, order_id=new_order_id(now), customer=buyer, received_at=now)
        dedupe_key = f"{DEDUPE_PREFIX}:{webhook_id}" if webhook_id else None
        return desk.submit(
            order, source=system, dedupe_key=dedupe_key, key_field="X-Shopify-Webhook-Id"
        )

    @router.post(
        path,
        status_code=HTTPStatus.CREATED,
        response_model_exclude_none=True,
        responses={
            **PROBLEM_RESPONSES,
            200: {"model": ShopifyReceipt, "description": "A repeat, or a topic not taken"},
            401: problem_doc("Missing or wrong signature"),
        },
    )
    async def shopify_webhook(
        request: Request,
        response: Response,
        x_shopify_hmac_sha256: Annotated[str | None, Header()] = None,
        x_shopify_topic: Annotated[str | None, Header()] = None,
        x_shopify_webhook_id: Annotated[str | None, Header()] = None,
    ) -> ShopifyReceipt:
        """Take a new storefront order (201), or answer a repeat with the stored one (200)."""
        raw = await request.body()
        if not signature.verify(raw, x_shopify_hmac_sha256):
            raise bad_signature(HEADER)
        topic = x_shopify_topic or ""
        if topic != ORDERS_CREATE:
            response.status_code = HTTPStatus.OK
            return ShopifyReceipt(ignored=topic)
        shopify = parse(json_document(raw))
        submitted = await desk.run(accept, shopify, x_shopify_webhook_id)
        if not submitted.created:
            response.status_code = HTTPStatus.OK
        return ShopifyReceipt(order_id=submitted.order_id)

    return router
