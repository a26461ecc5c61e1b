from typing import Any

from crossdock.sandbox.catalog import seed_catalog
from crossdock.sandbox.clock import ManualClock
from crossdock.sandbox.cloud_erp import CloudErp, CloudErpConfig, CloudErpFaults

from .conftest import serving

CATALOG = seed_catalog()
ENTITY_B = next(c for c in CATALOG.customers if c.legal_entity == "B")


def sales_order(ref: str = "ORD-1", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "externalReference": ref,
        "customerNumber": ENTITY_B.customer_id,
        "currency": "USD",
        "shipTo": {"name": "Dock 9"},
        "lines": [
            {"lineNumber": 1, "itemNumber": "SKU-0002", "quantity": "2", "unitPrice": "1.00"}
        ],
    }
    return body | changes


async def test_the_same_key_and_body_replays_the_response_and_creates_nothing() -> None:
    async with serving(CloudErp(CloudErpConfig())) as client:
        key = {"Idempotency-Key": "k-1"}
        first = await client.post("/v1/salesOrders", json=sales_order(), headers=key)
        replay = await client.post("/v1/salesOrders", json=sales_order(), headers=key)
        ledger = (await client.get("/_sandbox/ledger")).json()

    assert first.status_code == replay.status_code == 201
    assert first.json() == replay.json()
    assert first.json()["documentNumber"] == "CSO-000001"
    assert first.json()["lines"][0]["unitPrice"] == str(CATALOG.list_price("SKU-0002"))
    assert first.json()["tax"] == {"taxCode": "US-WEST", "rate": "0.0725"}
    assert len(ledger["documents"]) == 1


async def test_the_same_key_with_another_body_is_refused_with_422() -> None:
    async with serving(CloudErp(CloudErpConfig())) as client:
        key = {"Idempotency-Key": "k-1"}
        await client.post("/v1/salesOrders", json=sales_order(), headers=key)
        other = await client.post("/v1/salesOrders", json=sales_order("ORD-2"), headers=key)
        ledger = (await client.get("/_sandbox/ledger")).json()

    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert len(ledger["documents"]) == 1


async def test_a_post_without_a_key_is_refused_with_400() -> None:
    async with serving(CloudErp(CloudErpConfig())) as client:
        response = await client.post("/v1/salesOrders", json=sales_order())

    assert response.status_code == 400


async def test_an_unknown_item_is_a_problem_naming_the_field_and_is_not_remembered() -> None:
    bad = sales_order(lines=[{"lineNumber": 1, "itemNumber": "NOPE", "quantity": "1"}])
    async with serving(CloudErp(CloudErpConfig())) as client:
        key = {"Idempotency-Key": "k-bad"}
        refused = await client.post("/v1/salesOrders", json=bad, headers=key)
        fixed = await client.post("/v1/salesOrders", json=bad, headers=key)

    assert refused.status_code == fixed.status_code == 422
    assert refused.json()["errors"] == [{"field": "lines.0.itemNumber", "detail": "unknown item"}]


async def test_cancel_and_invoice_are_idempotent_too() -> None:
    async with serving(CloudErp(CloudErpConfig())) as client:
        order = (
            await client.post(
                "/v1/salesOrders", json=sales_order(), headers={"Idempotency-Key": "so"}
            )
        ).json()
        cancel = [
            await client.post(
                f"/v1/salesOrders/{order['id']}/cancel", headers={"Idempotency-Key": "c"}
            )
            for _ in range(2)
        ]
        invoice = {
            "externalReference": "INV-1",
            "salesOrderNumber": order["documentNumber"],
            "currency": "USD",
            "lines": [
                {
                    "lineNumber": 1,
                    "itemNumber": "SKU-0002",
                    "quantity": "2",
                    "unitPrice": "5.00",
                    "amount": "10.00",
                }
            ],
            "subtotal": "10.00",
            "taxAmount": "0.73",
            "total": "10.73",
        }
        invoices = [
            await client.post("/v1/invoices", json=invoice, headers={"Idempotency-Key": "i"})
            for _ in range(2)
        ]
        kinds = [d["kind"] for d in (await client.get("/_sandbox/ledger")).json()["documents"]]

    assert [r.json()["status"] for r in cancel] == ["Cancelled", "Cancelled"]
    assert [r.status_code for r in invoices] == [201, 201]
    assert invoices[0].json()["documentNumber"] == invoices[1].json()["documentNumber"]
    assert kinds == ["sales_order", "sales_order_cancellation", "invoice"]


async def test_above_the_rate_limit_it_answers_a_429_problem_until_a_token_is_back() -> None:
    clock = ManualClock()
    config = CloudErpConfig(faults=CloudErpFaults(rate_limit_per_s=2, rate_limit_burst=2))
    async with serving(CloudErp(config, clock=clock)) as client:
        statuses = [(await client.get("/v1/salesOrders")).status_code for _ in range(3)]
        limited = await client.get("/v1/salesOrders")
        clock.advance(0.5)
        after = await client.get("/v1/salesOrders")

    assert statuses == [200, 200, 429]
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["status"] == 429
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["X-RateLimit-Reset-After"] == "0.500"
    assert after.status_code == 200


async def test_a_poison_value_is_a_422_problem_and_a_corrected_retry_may_reuse_the_key() -> None:
    poison = {"field": "shipTo.postalCode", "equals": "00000"}
    config = CloudErpConfig(faults=CloudErpFaults(reject_when=[poison]))
    bad = sales_order(shipTo={"name": "Dock 9", "postalCode": "00000"})
    fixed = sales_order(shipTo={"name": "Dock 9", "postalCode": "94107"})
    async with serving(CloudErp(config)) as client:
        key = {"Idempotency-Key": "k-poison"}
        refused = [await client.post("/v1/salesOrders", json=bad, headers=key) for _ in range(2)]
        nothing = (await client.get("/_sandbox/ledger")).json()["documents"]
        booked = await client.post("/v1/salesOrders", json=fixed, headers=key)
        other_ref = await client.post(
            "/v1/salesOrders",
            json=bad | {"externalReference": "ORD-2"},
            headers={"Idempotency-Key": "k-2"},
        )

    assert [r.status_code for r in refused] == [422, 422]
    assert refused[0].headers["content-type"] == "application/problem+json"
    assert refused[0].json()["errors"] == [
        {
            "field": "shipTo.postalCode",
            "detail": "shipTo.postalCode 00000 is not a valid postal code",
        }
    ]
    assert nothing == []
    assert booked.status_code == 201
    assert booked.json()["shipTo"]["postalCode"] == "94107"
    assert other_ref.status_code == 422
