"""Storefront: a Shopify-shaped shop that places orders into the hub through signed webhooks."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crossdock.sandbox.catalog import Customer, money
from crossdock.sandbox.clock import Clock
from crossdock.sandbox.database import MEMORY
from crossdock.sandbox.faults import FaultConfig
from crossdock.sandbox.retry import RetryPolicy
from crossdock.sandbox.service import SandboxService, read_model
from crossdock.sandbox.shopify_webhook import ShopifyWebhook

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    shopify_id INTEGER UNIQUE,
    webhook_id TEXT
);
"""
NAMESPACE = uuid.UUID("6f1c1c0e-2b7e-4c47-9a4e-2f0d5c0c7d11")


class StorefrontFaults(FaultConfig):
    """Faults of the storefront, on top of the common ones."""

    duplicate_webhook_rate: float = Field(
        0,
        ge=0,
        le=1,
        description="Probability a delivered webhook is sent again with the same webhook id.",
    )


class StorefrontConfig(BaseModel):
    """How the storefront behaves."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(7, description="Seeds the catalog and the orders it generates.")
    faults: StorefrontFaults = Field(default_factory=StorefrontFaults)
    shop_domain: str = Field("crossdock-sandbox.myshopify.com", description="Sent as a header.")
    api_version: str = Field("2026-01", description="`X-Shopify-API-Version`.")
    webhook_path: str = Field("/webhooks/shopify", description="Appended to the hub URL.")
    retry: RetryPolicy = Field(
        default_factory=lambda: RetryPolicy(initial_s=0.2, max_s=5, max_attempts=8),
        description="Backoff while the hub refuses a webhook; bounded, like Shopify's.",
    )
    order_id_base: int | None = Field(
        None,
        description="Order ids are this plus the order number; None derives it from the "
        "clock at construction so a fresh sandbox never reuses a previous run's ids.",
    )


@dataclass(kw_only=True)
class PlacedOrder:
    """An order the storefront placed and what the hub answered."""

    order_id: int
    name: str
    customer_id: str
    email: str
    legal_entity: str
    webhook_id: str
    lines: list[dict[str, str]]
    total_price: str
    status_code: int | None = None
    hub_order_id: str | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PlaceIn(BaseModel):
    count: int = Field(ge=1, le=10_000)
    concurrency: int = Field(1, ge=1, le=256)


class Storefront(SandboxService):
    """Generates orders (deterministic from the seed) and posts `orders/create` webhooks.

    Each delivery is retried with the same `X-Shopify-Webhook-Id` on a non-2xx answer or a
    transport error; `duplicate_webhook_rate` re-sends a delivered webhook.
    """

    name = "storefront"

    def __init__(
        self,
        config: StorefrontConfig,
        db_path: str | Path = MEMORY,
        hub_client: httpx.AsyncClient | None = None,
        hub_url: str = "http://127.0.0.1:8000",
        secret: str = "storefront-secret",
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        super().__init__(seed=config.seed, faults=config.faults, db_path=db_path, clock=clock)
        self.db.executescript(SCHEMA)
        self._hub_client = hub_client
        self._hub_url = hub_url.rstrip("/") + config.webhook_path
        self._secret = secret
        self.id_base = config.order_id_base
        if self.id_base is None:
            self.id_base = int(self.clock.now().timestamp()) * 1000

    def routes(self) -> list[BaseRoute]:
        return [Route("/_sandbox/orders", self._place, methods=["POST"])]

    async def _place(self, request: Request) -> Response:
        order = await read_model(request, _PlaceIn)
        placed = await self.place_orders(order.count, concurrency=order.concurrency)
        return JSONResponse({"placed": [asdict(p) | {"delivered": p.delivered} for p in placed]})

    async def place_orders(self, count: int, *, concurrency: int = 1) -> list[PlacedOrder]:
        """Generate `count` orders and deliver each webhook; returns them in order."""
        if self._hub_client is not None:
            return await self._place_with(self._hub_client, count, concurrency)
        async with httpx.AsyncClient(timeout=10) as client:
            return await self._place_with(client, count, concurrency)

    async def _place_with(
        self, client: httpx.AsyncClient, count: int, concurrency: int
    ) -> list[PlacedOrder]:
        limit = asyncio.Semaphore(concurrency)

        async def one() -> PlacedOrder:
            async with limit:
                placed, webhook = self._generate()
                await self._deliver(client, placed, webhook)
                return placed

        return list(await asyncio.gather(*(one() for _ in range(count))))

    # -- generating an order -----------------------------------------------------------------

    def _generate(self) -> tuple[PlacedOrder, ShopifyWebhook]:
        now = self.clock.now()
        with self.db.transaction() as conn:
            n = conn.execute("INSERT INTO orders DEFAULT VALUES").lastrowid
            assert n is not None
            assert self.id_base is not None
            order_id = self.id_base + n
            webhook_id = str(uuid.uuid5(NAMESPACE, f"{order_id}:webhook"))
            conn.execute(
                "UPDATE orders SET shopify_id = ?, webhook_id = ? WHERE n = ?",
                (order_id, webhook_id, n),
            )
            rng = random.Random(f"{self.seed}:order:{n}")
            customer = rng.choice(self.catalog.customers)
            order = self._order(rng, n, order_id, customer, now.isoformat())
            placed = PlacedOrder(
                order_id=order_id,
                name=order["name"],
                customer_id=customer.customer_id,
                email=customer.email,
                legal_entity=customer.legal_entity,
                webhook_id=webhook_id,
                total_price=order["total_price"],
                lines=[
                    {"sku": li["sku"], "quantity": str(li["quantity"]), "price": li["price"]}
                    for li in order["line_items"]
                ],
            )
            self.ledger.record(
                conn,
                kind="order",
                doc_id=str(order_id),
                external_ref=order["name"],
                at=now,
                body=self._ledger_body(order, placed),
            )
        webhook = ShopifyWebhook(
            body=orjson.dumps(order),
            webhook_id=webhook_id,
            event_id=str(uuid.uuid5(NAMESPACE, f"{order_id}:event")),
            triggered_at=now.isoformat(),
        )
        return placed, webhook

    def _order(
        self, rng: random.Random, n: int, order_id: int, customer: Customer, created_at: str
    ) -> dict[str, Any]:
        products = rng.sample(self.catalog.products, rng.randint(1, 4))
        items = []
        subtotal = Decimal(0)
        for i, product in enumerate(products, start=1):
            qty = rng.randint(1, 5)
            price = self.catalog.list_price(product.sku) or Decimal(0)
            subtotal += price * qty
            items.append(
                {
                    "id": order_id * 10 + i,
                    "sku": product.sku,
                    "quantity": qty,
                    "price": money(price),
                    "title": product.description,
                    "requires_shipping": True,
                    "taxable": True,
                }
            )
        address = customer.bill_to
        return {
            "id": order_id,
            "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
            "name": f"#{1000 + n}",
            "order_number": 1000 + n,
            "email": customer.email,
            "created_at": created_at,
            "updated_at": created_at,
            "currency": customer.currency,
            "financial_status": "paid",
            "fulfillment_status": None,
            "note_attributes": [{"name": "po_number", "value": f"PO-{order_id % 10**8:08d}"}],
            "line_items": items,
            "shipping_address": {
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "name": address.name,
                "company": customer.name,
                "address1": address.address1,
                "address2": address.address2,
                "city": address.city,
                "province_code": address.province_code,
                "zip": address.zip,
                "country_code": address.country_code,
            },
            "customer": {
                "id": 7_000_000 + int(customer.customer_id[1:]),
                "email": customer.email,
                "first_name": customer.first_name,
                "last_name": customer.last_name,
            },
            "subtotal_price": money(subtotal),
            "total_tax": "0.00",
            "total_price": money(subtotal),
        }

    # -- delivering it -----------------------------------------------------------------------

    async def _deliver(
        self, client: httpx.AsyncClient, placed: PlacedOrder, webhook: ShopifyWebhook
    ) -> None:
        await self._deliver_until_answered(client, placed, webhook)
        rng = random.Random(f"{self.seed}:order:{placed.order_id}:duplicate")
        faults = self.faults
        assert isinstance(faults, StorefrontFaults)
        if placed.delivered and rng.random() < faults.duplicate_webhook_rate:
            await self._deliver_until_answered(client, placed, webhook, duplicate=True)
        with self.db.transaction() as conn:
            order = orjson.loads(webhook.body)
            self.ledger.amend(
                conn,
                kind="order",
                doc_id=str(placed.order_id),
                body=self._ledger_body(order, placed),
            )

    async def _deliver_until_answered(
        self,
        client: httpx.AsyncClient,
        placed: PlacedOrder,
        webhook: ShopifyWebhook,
        *,
        duplicate: bool = False,
    ) -> None:
        policy = self.config.retry
        headers = webhook.headers(
            secret=self._secret,
            shop_domain=self.config.shop_domain,
            api_version=self.config.api_version,
        )
        attempt = 0
        while True:
            attempt += 1
            record: dict[str, Any] = {
                "attempt": attempt,
                "duplicate": duplicate,
                "at": self.clock.now().isoformat(),
            }
            try:
                response = await client.post(self._hub_url, content=webhook.body, headers=headers)
            except httpx.HTTPError as exc:
                record |= {"status_code": None, "error": f"{type(exc).__name__}: {exc}"}
                success = False
            else:
                record |= {"status_code": response.status_code, "response": _json(response)}
                success = response.is_success
                if not duplicate or success:
                    placed.status_code = response.status_code
                answer = record["response"]
                if success and isinstance(answer, dict) and answer.get("order_id") is not None:
                    placed.hub_order_id = str(answer["order_id"])
            placed.deliveries.append(record)
            if success or policy.gives_up_after(attempt):
                return
            delay = policy.delay_after(attempt)
            if delay > 0:
                await asyncio.sleep(delay)

    @staticmethod
    def _ledger_body(order: dict[str, Any], placed: PlacedOrder) -> dict[str, Any]:
        return {
            "order": order,
            "webhook_id": placed.webhook_id,
            "status_code": placed.status_code,
            "hub_order_id": placed.hub_order_id,
            "deliveries": placed.deliveries,
        }


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
