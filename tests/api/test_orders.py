"""The order API: submitting, reading back, listing, timelines, cancelling and releasing."""

from __future__ import annotations

import httpx

from credentials import partner_key

from .estate import Estate, client, new_order, problem_fields

ORDERS = "/api/v1/orders"


async def submit(api: httpx.AsyncClient, key: str | None = None, **changes: object) -> str:
    headers = {"Idempotency-Key": key} if key else {}
    response = await api.post(ORDERS, json=new_order(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["order_id"])


# ---------------------------------------------------------------- submitting


async def test_a_valid_order_is_created_and_can_be_read_back(api: httpx.AsyncClient) -> None:
    response = await api.post(ORDERS, json=new_order())

    assert response.status_code == 201
    body = response.json()
    order_id = body["order_id"]
    assert order_id.startswith("ord_")
    assert len(order_id) == len("ord_") + 26
    assert body["status"] == "received"
    assert body["links"] == {
        "self": f"{ORDERS}/{order_id}",
        "timeline": f"{ORDERS}/{order_id}/timeline",
    }
    assert response.headers["location"] == f"{ORDERS}/{order_id}"

    read = await api.get(response.headers["location"])
    assert read.status_code == 200
    view = read.json()
    assert view["status"] == "received"
    assert view["channel"] == "api:ops"  # each partner's orders are a channel of their own
    assert view["customer_po"] == "PO-77"
    assert view["route"] is None
    order = view["order"]
    assert order["legal_entity"] == "A"  # filled from the customer master
    assert order["region"] == "east"
    assert [(line["line_no"], line["sku"], line["quantity"]) for line in order["lines"]] == [
        (1, "BOLT", "10"),
        (2, "NUT", "4"),
    ]
    assert order["received_at"].startswith("2026-01-05T09:00:00")


async def test_the_same_idempotency_key_replays_the_first_answer_with_the_same_order(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    headers = {"Idempotency-Key": "k-123"}
    first = await api.post(ORDERS, json=new_order(), headers=headers)
    second = await api.post(ORDERS, json=new_order(), headers=headers)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert estate.order_count() == 1


async def test_the_same_channel_order_number_answers_200_with_the_same_order(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    first = await api.post(ORDERS, json=new_order())
    second = await api.post(ORDERS, json=new_order(customer_po="PO-other"))

    assert second.status_code == 200
    assert second.json()["order_id"] == first.json()["order_id"]
    assert estate.order_count() == 1


async def test_an_idempotency_key_reused_for_another_order_is_refused_and_stores_nothing(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    await submit(api, key="k-1")
    response = await api.post(
        ORDERS, json=new_order(channel_order_number="API-2"), headers={"Idempotency-Key": "k-1"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem_fields(response) == ["Idempotency-Key"]
    assert estate.order_count() == 1


async def test_malformed_json_is_a_400_problem_naming_the_body(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    response = await api.post(
        ORDERS, content=b'{"channel_order_number": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert problem_fields(response) == ["body"]
    assert response.json()["instance"] == ORDERS
    assert estate.order_count() == 0


async def test_a_negative_quantity_and_a_missing_sku_are_each_named(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    lines = [
        {"sku": "BOLT", "quantity": "-1", "uom": "EA", "unit_price": "2.50"},
        {"quantity": 4, "uom": "EA", "unit_price": 12},
    ]
    response = await api.post(ORDERS, json=new_order(lines=lines, currency="dollars"))

    assert response.status_code == 422
    assert sorted(problem_fields(response)) == ["currency", "lines[0].quantity", "lines[1].sku"]
    assert estate.order_count() == 0


async def test_an_unknown_field_is_named_rather_than_ignored(api: httpx.AsyncClient) -> None:
    lines = [{"sku": "BOLT", "quantity": 1, "unit_price": 1, "colour": "red"}]
    response = await api.post(ORDERS, json=new_order(lines=lines))

    assert response.status_code == 422
    assert problem_fields(response) == ["lines[0].colour"]


async def test_an_unknown_sku_is_named_by_its_line_and_nothing_is_stored(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    lines = [
        {"sku": "BOLT", "quantity": 1, "unit_price": "2.50"},
        {"sku": "WIDGET", "quantity": 1, "unit_price": "9.99"},
    ]
    response = await api.post(ORDERS, json=new_order(lines=lines))

    assert response.status_code == 422
    assert problem_fields(response) == ["lines[1].sku"]
    assert "WIDGET" in response.json()["errors"][0]["message"]
    assert estate.order_count() == 0


async def test_an_unknown_customer_is_named(api: httpx.AsyncClient, estate: Estate) -> None:
    response = await api.post(ORDERS, json=new_order(customer_id="C-404"))

    assert response.status_code == 422
    assert problem_fields(response) == ["customer_id"]
    assert estate.order_count() == 0


async def test_a_too_long_idempotency_key_is_named(api: httpx.AsyncClient) -> None:
    response = await api.post(ORDERS, json=new_order(), headers={"Idempotency-Key": "k" * 300})

    assert response.status_code == 400
    assert problem_fields(response) == ["Idempotency-Key"]


# ---------------------------------------------------------------- reading


async def test_an_unknown_order_is_a_404_problem(api: httpx.AsyncClient) -> None:
    for path in (f"{ORDERS}/ord_nope", f"{ORDERS}/ord_nope/timeline"):
        response = await api.get(path)
        assert response.status_code == 404
        assert problem_fields(response) == []
        assert "ord_nope" in response.json()["detail"]


async def test_the_timeline_shows_the_inbound_message_once_the_workflow_ran(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    order_id = await submit(api)
    estate.run_steps()

    response = await api.get(f"{ORDERS}/{order_id}/timeline")

    assert response.status_code == 200
    timeline = response.json()
    assert timeline["order_id"] == order_id
    first = timeline["entries"][0]
    assert first["kind"] == "inbound"
    assert first["system"] == "api:ops"
    assert first["summary"] == "order_received from api:ops"
    assert first["correlation_id"] == order_id
    assert first["detail"]["body"]["order"]["channel_order_number"] == "API-1001"
    assert any(entry["kind"] == "decision" for entry in timeline["entries"])


async def test_each_decision_names_the_inbound_entry_that_caused_it(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    order_id = await submit(api)
    estate.run_steps()

    entries = (await api.get(f"{ORDERS}/{order_id}/timeline")).json()["entries"]

    by_id = {entry["entry_id"]: entry for entry in entries}
    assert len(by_id) == len(entries)
    [inbound] = [entry for entry in entries if entry["kind"] == "inbound"]
    decisions = [entry for entry in entries if entry["kind"] == "decision"]
    assert decisions
    assert all(entry["caused_by"] == inbound["entry_id"] for entry in decisions)
    assert all(
        entry["causation_id"] == f"msg-{inbound['detail']['message_id']}" for entry in decisions
    )
    assert inbound["caused_by"] is None


async def test_the_order_shows_its_route_once_the_workflow_routed_it(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    estate.stock("BOLT", "100")
    estate.stock("NUT", "100")
    order_id = await submit(api)
    estate.run_steps()

    view = (await api.get(f"{ORDERS}/{order_id}")).json()

    assert view["status"] == "routed"
    assert view["route"] == {"system": "legacy_erp", "rule": "entity-A"}
    assert view["sales_order"] is None
    assert view["shipments"] == []
    assert view["hold_reasons"] == []


async def test_the_list_filters_by_status_and_po(api: httpx.AsyncClient, estate: Estate) -> None:
    first = await submit(api, channel_order_number="A-1", customer_po="PO-1")
    second = await submit(api, channel_order_number="A-2", customer_po="PO-2")
    estate.run_steps()  # both are now backordered: there is no stock
    third = await submit(api, channel_order_number="A-3", customer_po="PO-2")

    async def ids(**params: str) -> list[str]:
        response = await api.get(ORDERS, params=params)
        assert response.status_code == 200, response.text
        return [item["order_id"] for item in response.json()["items"]]

    assert await ids(status="received") == [third]
    assert sorted(await ids(status="backordered")) == sorted([first, second])
    assert sorted(await ids(po="PO-2")) == sorted([second, third])
    assert await ids(po="PO-2", status="received") == [third]
    assert await ids(channel_order_number="A-1") == [first]
    assert sorted(await ids(customer="C-1")) == sorted([first, second, third])
    assert await ids(customer="C-404") == []


async def test_the_list_pages_with_a_cursor_until_next_is_null(api: httpx.AsyncClient) -> None:
    created = {await submit(api, channel_order_number=f"P-{n}") for n in range(3)}

    page = (await api.get(ORDERS, params={"limit": 2})).json()
    assert len(page["items"]) == 2
    assert page["next"] == page["items"][-1]["order_id"]
    rest = (await api.get(ORDERS, params={"limit": 2, "after": page["next"]})).json()

    assert rest["next"] is None
    assert {item["order_id"] for item in page["items"] + rest["items"]} == created


async def test_an_unknown_status_filter_is_named(api: httpx.AsyncClient) -> None:
    response = await api.get(ORDERS, params={"status": "lost", "limit": 0})

    assert response.status_code == 422
    assert sorted(problem_fields(response)) == ["limit", "status"]


# ---------------------------------------------------------------- cancelling and releasing


async def test_a_cancellation_is_accepted_and_the_workflow_cancels_the_order(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    order_id = await submit(api)
    estate.run_steps()

    response = await api.post(f"{ORDERS}/{order_id}/cancel", json={"reason": "customer changed"})
    assert response.status_code == 202
    assert response.json() == {"order_id": order_id, "accepted": True}
    estate.run_steps()

    view = (await api.get(f"{ORDERS}/{order_id}")).json()
    assert view["status"] == "cancelled"
    assert view["cancel_reason"] == "customer changed"


async def test_cancelling_or_releasing_an_unknown_order_is_a_404_problem(
    api: httpx.AsyncClient,
) -> None:
    cancel = await api.post(f"{ORDERS}/ord_nope/cancel", json={"reason": "x"})
    release = await api.post(f"{ORDERS}/ord_nope/release-hold", json={"released_by": "ops"})

    assert (cancel.status_code, release.status_code) == (404, 404)
    assert problem_fields(cancel) == problem_fields(release) == []


async def test_a_cancellation_without_a_reason_is_named(api: httpx.AsyncClient) -> None:
    order_id = await submit(api)

    response = await api.post(f"{ORDERS}/{order_id}/cancel", json={})

    assert response.status_code == 422
    assert problem_fields(response) == ["reason"]


async def test_a_hold_release_is_accepted_and_reaches_the_timeline(
    api: httpx.AsyncClient, estate: Estate
) -> None:
    order_id = await submit(api)
    estate.run_steps()

    response = await api.post(
        f"{ORDERS}/{order_id}/release-hold", json={"released_by": "ops@acme", "note": "checked"}
    )
    assert response.status_code == 202
    estate.run_steps()

    entries = (await api.get(f"{ORDERS}/{order_id}/timeline")).json()["entries"]
    inbound = [entry["summary"] for entry in entries if entry["kind"] == "inbound"]
    assert inbound == ["order_received from api:ops", "hold_released from ops@acme"]


async def test_two_partners_with_the_same_order_number_each_get_their_own_order(
    estate: Estate,
) -> None:
    # Both partners order for C-1 (it is both their customer, as a buying group's member can be).
    north = partner_key(estate.access, "north", ["C-1"])
    south = partner_key(estate.access, "south", ["C-1"])
    app = estate.app()

    async with client(app, key=north) as http:
        first = await http.post(ORDERS, json=new_order(channel_order_number="PO-1"))
    async with client(app, key=south) as http:
        second = await http.post(ORDERS, json=new_order(channel_order_number="PO-1"))

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["order_id"] != second.json()["order_id"]
    assert estate.order_count() == 2
