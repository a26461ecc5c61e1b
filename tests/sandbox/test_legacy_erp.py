from decimal import Decimal
from typing import Any

import pytest

from crossdock.sandbox.catalog import seed_catalog
from crossdock.sandbox.legacy_erp import LegacyErp, LegacyErpConfig, LegacyErpFaults

from .conftest import serving

CATALOG = seed_catalog()
ENTITY_A = next(c for c in CATALOG.customers if c.legal_entity == "A")
ENTITY_B = next(c for c in CATALOG.customers if c.legal_entity == "B")


def sales_order(ref: str = "ORD-1", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_ref": ref,
        "customer_id": ENTITY_A.customer_id,
        "currency": "USD",
        "ship_to": {"name": "Dock 4"},
        "lines": [{"line_no": 1, "sku": "SKU-0001", "quantity": "3", "unit_price": "0.01"}],
    }
    return body | changes


def erp(**faults: Any) -> LegacyErp:
    return LegacyErp(LegacyErpConfig(faults=LegacyErpFaults(**faults)))


async def test_a_repeated_post_creates_a_second_sales_order_and_the_ledger_shows_both() -> None:
    async with serving(erp()) as client:
        first = await client.post("/api/sales-orders", json=sales_order())
        second = await client.post("/api/sales-orders", json=sales_order())
        ledger = (await client.get("/_sandbox/ledger")).json()

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["number"] != second.json()["number"]
    orders = [d for d in ledger["documents"] if d["kind"] == "sales_order"]
    assert ledger["system"] == "legacy_erp"
    assert [d["external_ref"] for d in orders] == ["ORD-1", "ORD-1"]


async def test_the_booked_price_is_the_erps_list_price_not_the_price_sent() -> None:
    async with serving(erp()) as client:
        booked = (await client.post("/api/sales-orders", json=sales_order())).json()

    assert booked["number"] == "SO-100001"
    assert booked["status"] == "open"
    assert booked["lines"][0]["unit_price"] == str(CATALOG.list_price("SKU-0001"))
    assert booked["tax"] == {"code": "US-EAST", "rate": "0.0825"}


async def test_a_lost_response_still_commits_and_a_lookup_finds_the_order() -> None:
    async with serving(erp(lost_response_rate=1.0)) as client:
        lost = await client.post("/api/sales-orders", json=sales_order("ORD-LOST"))
        found = await client.get("/api/sales-orders", params={"external_ref": "ORD-LOST"})
        other = await client.get("/api/sales-orders", params={"external_ref": "ORD-OTHER"})

    assert lost.status_code == 504
    assert [so["external_ref"] for so in found.json()["items"]] == ["ORD-LOST"]
    assert other.json()["items"] == []


async def test_price_drift_raises_the_list_price_of_some_skus_by_five_percent() -> None:
    service = erp(price_drift_rate=0.5)
    async with serving(service) as client:
        prices = {
            p["sku"]: Decimal(p["unit_price"])
            for p in (await client.get("/api/prices")).json()["items"]
        }

    drifted = [sku for sku, price in prices.items() if price != CATALOG.list_price(sku)]
    assert 10 < len(drifted) < 50
    for sku in drifted:
        expected = (CATALOG.list_price(sku) or Decimal(0)) * Decimal("1.05")
        assert prices[sku] == expected.quantize(Decimal("0.01"))
    assert erp(price_drift_rate=0.5).list_price(drifted[0]) == prices[drifted[0]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_id": "C9999"}, "customer_id"),
        ({"customer_id": ENTITY_B.customer_id}, "customer_id"),
        ({"lines": [{"line_no": 1, "sku": "NOPE", "quantity": "1"}]}, "lines.0.sku"),
        ({"lines": [{"line_no": 1, "sku": "SKU-0001", "quantity": "0"}]}, "lines.0.quantity"),
    ],
)
async def test_an_order_it_cannot_book_is_refused_naming_the_field(
    change: dict[str, Any], field: str
) -> None:
    async with serving(erp()) as client:
        response = await client.post("/api/sales-orders", json=sales_order(**change))
        ledger = (await client.get("/_sandbox/ledger")).json()

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert ledger["documents"] == []


async def test_cancel_marks_the_order_cancelled_and_an_unknown_number_is_404() -> None:
    async with serving(erp()) as client:
        number = (await client.post("/api/sales-orders", json=sales_order())).json()["number"]
        cancelled = await client.post(f"/api/sales-orders/{number}/cancel")
        unknown = await client.post("/api/sales-orders/SO-999999/cancel")
        again = (await client.get("/api/sales-orders", params={"external_ref": "ORD-1"})).json()

    assert cancelled.json() == {"number": number, "status": "cancelled"}
    assert unknown.status_code == 404
    assert again["items"][0]["status"] == "cancelled"


async def test_an_invoice_is_posted_without_idempotency_and_checks_its_sums() -> None:
    async with serving(erp()) as client:
        number = (await client.post("/api/sales-orders", json=sales_order())).json()["number"]
        invoice = {
            "external_ref": "INV-ORD-1",
            "sales_order_number": number,
            "currency": "USD",
            "lines": [
                {
                    "line_no": 1,
                    "sku": "SKU-0001",
                    "quantity": "2",
                    "unit_price": "10.00",
                    "amount": "20.00",
                }
            ],
            "subtotal": "20.00",
            "tax_amount": "1.65",
            "total": "21.65",
        }
        first = await client.post("/api/invoices", json=invoice)
        second = await client.post("/api/invoices", json=invoice)
        wrong = await client.post("/api/invoices", json=invoice | {"total": "30.00"})
        found = await client.get("/api/invoices", params={"external_ref": "INV-ORD-1"})

    assert first.status_code == second.status_code == 201
    assert [first.json()["number"], second.json()["number"]] == ["INV-200001", "INV-200002"]
    assert (wrong.status_code, wrong.json()["field"]) == (422, "total")
    assert len(found.json()["items"]) == 2


async def test_a_poison_postal_code_is_refused_for_good_and_nothing_is_written() -> None:
    poison = {"field": "ship_to.postal_code", "equals": "00000"}
    bad = sales_order("ORD-P", ship_to={"name": "Dock 4", "postal_code": "00000"})
    fixed = sales_order("ORD-P", ship_to={"name": "Dock 4", "postal_code": "10001"})
    async with serving(erp(reject_when=[poison])) as client:
        refused = [await client.post("/api/sales-orders", json=bad) for _ in range(3)]
        found = await client.get("/api/sales-orders", params={"external_ref": "ORD-P"})
        ledger = (await client.get("/_sandbox/ledger")).json()
        booked = await client.post("/api/sales-orders", json=fixed)

    assert [r.status_code for r in refused] == [422, 422, 422]
    assert refused[0].json() == {
        "error": "ship_to.postal_code 00000 is not a valid postal code",
        "field": "ship_to.postal_code",
    }
    assert found.json() == {"items": []}
    assert ledger["documents"] == []
    assert booked.status_code == 201


async def test_a_poison_rule_set_at_runtime_can_match_any_line_and_name_it() -> None:
    rule = {"field": "lines.*.sku", "equals": "SKU-0003", "message": "SKU-0003 is blocked"}
    lines = [
        {"line_no": 1, "sku": "SKU-0001", "quantity": "1"},
        {"line_no": 2, "sku": "SKU-0003", "quantity": "1"},
    ]
    async with serving(erp()) as client:
        before = await client.post("/api/sales-orders", json=sales_order("ORD-1", lines=lines))
        changed = await client.put("/_sandbox/faults", json={"reject_when": [rule]})
        after = await client.post("/api/sales-orders", json=sales_order("ORD-2", lines=lines))
        clean = await client.post("/api/sales-orders", json=sales_order("ORD-3"))
        invalid = await client.put("/_sandbox/faults", json={"reject_when": [{"field": "x"}]})

    assert before.status_code == 201
    assert changed.json()["reject_when"] == [rule]
    assert (after.status_code, after.json()) == (
        422,
        {"error": "SKU-0003 is blocked", "field": "lines.1.sku"},
    )
    assert clean.status_code == 201
    assert (invalid.status_code, invalid.json()["field"]) == (422, "reject_when.0.equals")
