from crossdock.sandbox.customer_service import CustomerService, CustomerServiceConfig

from .conftest import serving

UPDATE = {
    "order_id": "ORD-1",
    "channel_order_number": "#1001",
    "customer_po": "PO-1",
    "status": "shipped",
    "detail": {"tracking_number": "1Z..."},
}


async def test_a_repeated_key_answers_200_with_the_first_record_and_stores_nothing() -> None:
    async with serving(CustomerService(CustomerServiceConfig())) as client:
        first = await client.post(
            "/api/status-updates", json=UPDATE, headers={"Idempotency-Key": "u-1"}
        )
        again = await client.post(
            "/api/status-updates",
            json=UPDATE | {"status": "closed"},
            headers={"Idempotency-Key": "u-1"},
        )
        listed = await client.get("/api/status-updates", params={"order_id": "ORD-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert [u["status"] for u in listed.json()["items"]] == ["shipped"]
