"""``POST /webhooks/shopify``: signed orders/create deliveries become one canonical order each."""

from __future__ import annotations

import httpx

from .conftest import BOB, Hub
from .shopify import BODY, HEADERS, document, signed, signed_bytes

WEBHOOK = "/webhooks/shopify"


def problem_fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    assert response.json()["status"] == response.status_code
    return [error["field"] for error in response.json()["errors"]]


async def test_the_signed_fixture_becomes_an_order_with_the_buyer_and_the_items(
    http: httpx.AsyncClient, hub: Hub
) -> None:
    response = await http.post(WEBHOOK, content=BODY, headers=HEADERS)

    assert response.status_code == 201, response.text
    order_id = response.json()["order_id"]
    view = (await http.get(f"/api/v1/orders/{order_id}")).json()
    assert view["channel"] == "storefront"
    assert view["channel_order_number"] == "#1001"
    assert view["customer_id"] == BOB.customer_id
    order = view["order"]
    assert order["legal_entity"] == "B"
    assert order["currency"] == "USD"
    assert order["ship_to"] == {
        "name": "Bob Norman",
        "line1": "Chestnut Street 92",
        "line2": "",
        "city": "Louisville",
        "region": "KY",
        "postal_code": "40202",
        "country": "US",
    }
    assert [
        (li["line_no"], li["sku"], li["quantity"], li["unit_price"]) for li in order["lines"]
    ] == [
        (1, "IPOD2008GREEN", "1", "199.00"),
        (2, "IPOD2008RED", "1", "199.00"),
    ]


async def test_the_same_webhook_three_times_stores_one_order(
    http: httpx.AsyncClient, hub: Hub
) -> None:
    responses = [await http.post(WEBHOOK, content=BODY, headers=HEADERS) for _ in range(3)]

    assert [r.status_code for r in responses] == [201, 200, 200]
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert hub.order_count() == 1


async def test_a_wrong_signature_is_a_401_and_stores_nothing(
    http: httpx.AsyncClient, hub: Hub
) -> None:
    wrong = await http.post(WEBHOOK, **signed(document(), secret="not-the-secret"))
    tampered = await http.post(WEBHOOK, content=BODY.replace(b"#1001", b"#1002"), headers=HEADERS)
    unsigned_headers = {k: v for k, v in HEADERS.items() if k != "X-Shopify-Hmac-Sha256"}
    unsigned = await http.post(WEBHOOK, content=BODY, headers=unsigned_headers)

    assert [r.status_code for r in (wrong, tampered, unsigned)] == [401, 401, 401]
    assert problem_fields(wrong) == ["X-Shopify-Hmac-Sha256"]
    assert hub.order_count() == 0


async def test_a_body_of_the_wrong_shape_is_a_422_naming_its_fields(
    http: httpx.AsyncClient, hub: Hub
) -> None:
    order = document(currency="dollars")
    order["line_items"][0]["quantity"] = "lots"
    del order["name"]

    response = await http.post(WEBHOOK, **signed(order))

    assert response.status_code == 422
    assert problem_fields(response) == ["name", "currency", "line_items[0].quantity"]
    assert hub.order_count() == 0


async def test_a_signed_body_that_is_not_json_is_a_400(http: httpx.AsyncClient, hub: Hub) -> None:
    response = await http.post(WEBHOOK, **signed_bytes(b'{"id": 450789469, "name": '))

    assert response.status_code == 400
    assert problem_fields(response) == ["body"]
    assert hub.order_count() == 0


async def test_other_topics_are_acknowledged_and_ignored(http: httpx.AsyncClient, hub: Hub) -> None:
    response = await http.post(
        WEBHOOK, **signed(document(), **{"X-Shopify-Topic": "orders/updated"})
    )

    assert response.status_code == 200
    assert response.json() == {"ignored": "orders/updated"}
    assert hub.order_count() == 0


async def test_an_unknown_buyer_email_is_a_422_naming_email(
    http: httpx.AsyncClient, hub: Hub
) -> None:
    response = await http.post(WEBHOOK, **signed(document(email="stranger@example.com")))

    assert response.status_code == 422
    assert problem_fields(response) == ["email"]
    assert hub.order_count() == 0


async def test_an_unknown_sku_is_named_by_its_line(http: httpx.AsyncClient, hub: Hub) -> None:
    order = document()
    order["line_items"][1]["sku"] = "ZUNE2008BROWN"

    response = await http.post(WEBHOOK, **signed(order))

    assert response.status_code == 422
    assert problem_fields(response) == ["lines[1].sku"]
    assert hub.order_count() == 0


async def test_every_unmappable_field_is_named_at_once(http: httpx.AsyncClient, hub: Hub) -> None:
    order = document(email=None, shipping_address=None)
    order["line_items"][0]["sku"] = None
    order["line_items"][1]["quantity"] = 0

    response = await http.post(WEBHOOK, **signed(order))

    assert response.status_code == 422
    assert problem_fields(response) == [
        "email",
        "shipping_address",
        "line_items[0].sku",
        "line_items[1].quantity",
    ]
    assert hub.order_count() == 0


async def test_the_po_number_note_attribute_becomes_the_customer_po(
    http: httpx.AsyncClient,
) -> None:
    attributes = [{"name": "colour", "value": "green"}, {"name": "po_number", "value": "PO-4410"}]
    response = await http.post(WEBHOOK, **signed(document(note_attributes=attributes)))

    order_id = response.json()["order_id"]
    found = (await http.get("/api/v1/orders", params={"po": "PO-4410"})).json()["items"]
    assert [item["order_id"] for item in found] == [order_id]


async def test_the_order_reaches_its_workflow_from_the_shopify_system(
    http: httpx.AsyncClient, hub: Hub
) -> None:
    response = await http.post(WEBHOOK, content=BODY, headers=HEADERS)

    order_id = response.json()["order_id"]
    with hub.store.unit_of_work(write=False) as uow:
        waiting = uow.inbox.pending_for([order_id])
    assert [(m.kind, m.source) for m in waiting] == [("order_received", "shopify")]


async def test_a_webhook_id_reused_for_another_order_is_a_422_naming_the_header(
    http: httpx.AsyncClient, hub: Hub
) -> None:
    await http.post(WEBHOOK, content=BODY, headers=HEADERS)

    other = document(id=450789470, name="#1002", order_number=1002)
    response = await http.post(WEBHOOK, **signed(other))

    assert response.status_code == 422
    assert problem_fields(response) == ["X-Shopify-Webhook-Id"]
    assert "shopify:" not in response.text
    assert hub.order_count() == 1
