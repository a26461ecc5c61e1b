import base64
import hashlib
import hmac
from pathlib import Path
from typing import Any

import httpx

from crossdock.sandbox.catalog import seed_catalog
from crossdock.sandbox.clock import ManualClock
from crossdock.sandbox.retry import RetryPolicy
from crossdock.sandbox.shopify_webhook import shopify_signature
from crossdock.sandbox.storefront import Storefront, StorefrontConfig, StorefrontFaults

from .conftest import HubStub, serving

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "shop-secret"


def storefront(hub_client: httpx.AsyncClient, **settings: Any) -> Storefront:
    faults = StorefrontFaults(**settings.pop("faults", {}))
    config = StorefrontConfig(
        faults=faults,
        retry=RetryPolicy(initial_s=0, max_attempts=5),
        order_id_base=5_000_000,
        **settings,
    )
    return Storefront(
        config, hub_client=hub_client, hub_url="http://hub", secret=SECRET, clock=ManualClock()
    )


def fixture_headers() -> dict[str, str]:
    lines = (FIXTURES / "shopify_orders_create.headers.txt").read_text().splitlines()
    return {
        k: v.strip()
        for k, _, v in (ln.partition(":") for ln in lines[1:] if ": " in ln)
        if not k.startswith("#")
    }


def test_the_signer_reproduces_the_shopify_fixture_signature() -> None:
    body = (FIXTURES / "shopify_orders_create.json").read_bytes()

    assert shopify_signature("hush", body) == fixture_headers()["X-Shopify-Hmac-Sha256"]
    assert shopify_signature("hush", body + b" ") != fixture_headers()["X-Shopify-Hmac-Sha256"]


async def test_an_order_arrives_as_a_signed_shopify_orders_create_webhook(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    shop = storefront(hub_client)
    async with serving(shop):
        [placed] = await shop.place_orders(1)

    [delivery] = hub.deliveries
    order = delivery.json
    customer = next(c for c in seed_catalog().customers if c.email == order["email"])
    expected = base64.b64encode(hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).digest())
    assert delivery.path == "/webhooks/shopify"
    assert delivery.headers["x-shopify-hmac-sha256"] == expected.decode()
    assert delivery.headers["x-shopify-topic"] == "orders/create"
    assert delivery.headers["x-shopify-api-version"] == "2026-01"
    assert delivery.headers["x-shopify-webhook-id"] == placed.webhook_id
    assert (order["id"], order["name"], order["order_number"]) == (5_000_001, "#1001", 1001)
    assert placed.customer_id == customer.customer_id
    assert order["customer"]["email"] == customer.email
    assert order["note_attributes"][0]["name"] == "po_number"
    assert order["note_attributes"][0]["value"].startswith("PO-")
    assert 1 <= len(order["line_items"]) <= 4
    for item in order["line_items"]:
        assert item["price"] == str(seed_catalog().list_price(item["sku"]))
        assert 1 <= item["quantity"] <= 5
    assert order["shipping_address"]["zip"] == customer.bill_to.zip
    assert (placed.status_code, placed.hub_order_id) == (202, "ORD-00001")


async def test_a_retry_reuses_the_webhook_id_until_the_hub_accepts(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    hub.refuse = 2
    shop = storefront(hub_client)
    async with serving(shop) as client:
        [placed] = await shop.place_orders(1)
        ledger = (await client.get("/_sandbox/ledger")).json()

    assert [d.headers["x-shopify-webhook-id"] for d in hub.deliveries] == [placed.webhook_id] * 3
    assert len({d.body for d in hub.deliveries}) == 1
    assert [d["status_code"] for d in placed.deliveries] == [503, 503, 202]
    [document] = ledger["documents"]
    assert document["body"]["status_code"] == 202
    assert document["body"]["hub_order_id"] == "ORD-00003"


async def test_a_duplicated_webhook_is_sent_again_with_the_same_id(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    shop = storefront(hub_client, faults={"duplicate_webhook_rate": 1.0})
    async with serving(shop):
        await shop.place_orders(2)

    ids = [d.headers["x-shopify-webhook-id"] for d in hub.deliveries]
    assert len(ids) == 4
    assert ids[0] == ids[1] != ids[2] == ids[3]


async def test_orders_are_the_same_for_the_same_seed() -> None:
    async def place() -> list[tuple[str, list[dict[str, str]]]]:
        hub = HubStub()
        async with hub.client() as client:
            shop = storefront(client)
            async with serving(shop):
                return [(p.customer_id, p.lines) for p in await shop.place_orders(5)]

    assert await place() == await place()


async def test_orders_can_be_placed_over_http(hub: HubStub, hub_client: httpx.AsyncClient) -> None:
    async with serving(storefront(hub_client)) as client:
        response = await client.post("/_sandbox/orders", json={"count": 3})

    assert [p["delivered"] for p in response.json()["placed"]] == [True, True, True]
    assert len(hub.deliveries) == 3


async def test_a_transport_error_is_retried_with_the_same_webhook_id() -> None:
    seen: list[str] = []

    def hub(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["X-Shopify-Webhook-Id"])
        if len(seen) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"order_id": "ORD-7"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(hub)) as client:
        shop = storefront(client)
        async with serving(shop):
            [placed] = await shop.place_orders(1)

    assert seen == [placed.webhook_id, placed.webhook_id]
    assert (placed.status_code, placed.hub_order_id) == (200, "ORD-7")
    assert placed.deliveries[0]["error"].startswith("ConnectError")
