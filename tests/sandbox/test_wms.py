import hashlib
import hmac
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx

from crossdock.sandbox.catalog import seed_catalog
from crossdock.sandbox.clock import ManualClock
from crossdock.sandbox.retry import RetryPolicy
from crossdock.sandbox.shipment_plan import gs1_check_digit
from crossdock.sandbox.wms import Wms, WmsConfig, WmsFaults
from waiting import eventually

from .conftest import Delivery, HubStub, serving

SECRET = "wms-test-secret"
FAST_RETRY = RetryPolicy(initial_s=0.01, max_s=0.02)


def wms(hub_client: httpx.AsyncClient, clock: ManualClock | None = None, **settings: Any) -> Wms:
    faults = WmsFaults(**settings.pop("faults", {}))
    config = WmsConfig(faults=faults, retry=FAST_RETRY, **settings)
    return Wms(config, hub_client=hub_client, hub_url="http://hub", secret=SECRET, clock=clock)


def fulfilment(order_id: str = "ORD-1", lines: list[tuple[str, str]] | None = None) -> Any:
    lines = lines or [("SKU-0001", "4")]
    return {
        "order_id": order_id,
        "location": "WH-EAST",
        "ship_to_name": "Ada Archer",
        "lines": [{"line_no": i, "sku": sku, "quantity": q} for i, (sku, q) in enumerate(lines, 1)],
    }


def milestones(deliveries: list[Delivery]) -> list[str]:
    return [d.json["milestone"] for d in deliveries]


def shipped_quantities(deliveries: list[Delivery]) -> Counter[str]:
    total: Counter[str] = Counter()
    for d in deliveries:
        if d.json["milestone"] == "shipped":
            for line in d.json["lines"]:
                total[line["sku"]] += int(Decimal(line["quantity"]))
    return total


async def test_an_accepted_fulfilment_is_reported_picked_packed_shipped_with_a_valid_signature(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    async with serving(wms(hub_client)) as client:
        accepted = await client.post("/api/fulfilments", json=fulfilment())
        deliveries = await hub.wait_until(lambda d: len(d) >= 3)

    assert accepted.status_code == 201
    assert accepted.json() == {
        "fulfilment_id": "F-000001",
        "order_id": "ORD-1",
        "status": "accepted",
    }
    assert milestones(deliveries) == ["picked", "packed", "shipped"]
    for d in deliveries:
        expected = hmac.new(SECRET.encode(), d.body, hashlib.sha256).hexdigest()
        assert d.path == "/webhooks/wms"
        assert d.headers["x-crossdock-signature"] == f"sha256={expected}"
        assert d.headers["x-event-id"] == d.json["event_id"]
    shipped = deliveries[-1].json
    assert shipped["lines"] == [{"line_no": 1, "sku": "SKU-0001", "quantity": "4"}]
    assert shipped["final"] is True
    assert shipped["carrier"] == "UPSN"
    assert shipped["tracking_number"].startswith("1Z")
    for carton in shipped["cartons"]:
        sscc = carton["carton_id"]
        assert len(sscc) == 18
        assert sscc[-1] == gs1_check_digit(sscc[:-1])


async def test_events_are_retried_in_order_while_the_hub_answers_503(
    hub_client: httpx.AsyncClient, hub: HubStub
) -> None:
    hub.refuse = 2
    service = wms(hub_client)
    async with serving(service) as client:
        await client.post("/api/fulfilments", json=fulfilment())
        deliveries = await hub.wait_until(lambda d: len(d) >= 5)
        await eventually(lambda: service.outbox.backlog() == 0)

    assert milestones(deliveries) == ["picked", "picked", "picked", "packed", "shipped"]
    assert len({d.json["event_id"] for d in deliveries[:3]}) == 1


async def test_a_split_order_ships_twice_summing_to_the_order_and_only_the_last_is_final(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    ordered = [("SKU-0001", "2"), ("SKU-0002", "1"), ("SKU-0003", "5")]
    async with serving(wms(hub_client, faults={"split_rate": 1.0})) as client:
        await client.post("/api/fulfilments", json=fulfilment("ORD-A", ordered))
        await client.post("/api/fulfilments", json=fulfilment("ORD-B", [("SKU-0004", "5")]))
        deliveries = await hub.wait_until(lambda d: len(d) >= 12)

    for order_id, lines in (("ORD-A", ordered), ("ORD-B", [("SKU-0004", "5")])):
        events = [d for d in deliveries if d.json["order_id"] == order_id]
        shipped = [d.json for d in events if d.json["milestone"] == "shipped"]
        assert len({e["shipment_id"] for e in shipped}) == 2
        assert [e["final"] for e in shipped] == [False, True]
        assert shipped_quantities(events) == Counter({sku: int(q) for sku, q in lines})


async def test_a_short_shipment_ships_less_than_ordered_on_one_line(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    async with serving(wms(hub_client, faults={"short_ship_rate": 1.0})) as client:
        await client.post("/api/fulfilments", json=fulfilment("ORD-S", [("SKU-0001", "4")]))
        deliveries = await hub.wait_until(lambda d: len(d) >= 3)

    assert shipped_quantities(deliveries) == Counter({"SKU-0001": 3})
    assert deliveries[-1].json["final"] is True


async def test_duplicate_events_reuse_the_event_id(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    async with serving(wms(hub_client, faults={"duplicate_event_rate": 1.0})) as client:
        await client.post("/api/fulfilments", json=fulfilment())
        deliveries = await hub.wait_until(lambda d: len(d) >= 6)

    assert milestones(deliveries) == ["picked", "picked", "packed", "packed", "shipped", "shipped"]
    assert Counter(d.headers["x-event-id"] for d in deliveries).most_common()[-1][1] == 2


async def test_cancelling_after_shipping_is_refused_with_409(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    async with serving(wms(hub_client)) as client:
        fid = (await client.post("/api/fulfilments", json=fulfilment())).json()["fulfilment_id"]
        await hub.wait_until(lambda d: len(d) >= 3)
        response = await client.post(f"/api/fulfilments/{fid}/cancel")

    assert response.status_code == 409
    assert response.json() == {"error": "already shipped"}


async def test_cancelling_before_shipping_stops_the_remaining_milestones(
    hub_client: httpx.AsyncClient,
) -> None:
    async with serving(wms(hub_client, pick_delay_s=3600)) as client:
        fid = (await client.post("/api/fulfilments", json=fulfilment())).json()["fulfilment_id"]
        cancelled = await client.post(f"/api/fulfilments/{fid}/cancel")
        state = (await client.get(f"/api/fulfilments/{fid}")).json()

    assert cancelled.json()["status"] == "cancelled"
    assert state["status"] == "cancelled"
    assert {s["status"] for s in state["shipments"]} == {"cancelled"}


async def test_a_second_request_for_the_same_order_returns_the_existing_fulfilment(
    hub_client: httpx.AsyncClient,
) -> None:
    async with serving(wms(hub_client, pick_delay_s=3600)) as client:
        first = await client.post(
            "/api/fulfilments", json=fulfilment(), headers={"Idempotency-Key": "f-1"}
        )
        replay = await client.post(
            "/api/fulfilments", json=fulfilment(), headers={"Idempotency-Key": "f-1"}
        )
        same_order = await client.post(
            "/api/fulfilments", json=fulfilment(), headers={"Idempotency-Key": "f-2"}
        )
        other_body = await client.post(
            "/api/fulfilments", json=fulfilment("ORD-2"), headers={"Idempotency-Key": "f-1"}
        )
        ledger = (await client.get("/_sandbox/ledger")).json()

    assert (first.status_code, replay.status_code, same_order.status_code) == (201, 201, 200)
    assert first.json() == replay.json()
    assert same_order.json()["fulfilment_id"] == first.json()["fulfilment_id"]
    assert other_body.status_code == 422
    assert [d["kind"] for d in ledger["documents"]] == ["fulfilment"]


async def test_shipping_decrements_on_hand_at_the_shipping_location(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    start = {(p.sku, p.location): p.on_hand for p in seed_catalog().inventory}
    service = wms(hub_client)
    async with serving(service) as client:
        await client.post("/api/fulfilments", json=fulfilment(lines=[("SKU-0001", "4")]))
        await hub.wait_until(lambda d: len(d) >= 3)
        items = (await client.get("/api/inventory")).json()["items"]

    on_hand = {(i["sku"], i["location"]): Decimal(i["on_hand"]) for i in items}
    assert on_hand[("SKU-0001", "WH-EAST")] == start[("SKU-0001", "WH-EAST")] - 4
    assert on_hand[("SKU-0001", "WH-WEST")] == start[("SKU-0001", "WH-WEST")]


async def test_an_unknown_location_or_sku_is_refused(hub_client: httpx.AsyncClient) -> None:
    async with serving(wms(hub_client)) as client:
        location = await client.post(
            "/api/fulfilments", json=fulfilment() | {"location": "WH-MOON"}
        )
        sku = await client.post("/api/fulfilments", json=fulfilment(lines=[("NOPE", "1")]))

    assert (location.status_code, location.json()["field"]) == (422, "location")
    assert (sku.status_code, sku.json()["field"]) == (422, "lines.0.sku")


NATURAL = ["picked", "packed", "shipped"]


async def test_reordered_events_reach_the_hub_out_of_order_and_all_of_them_arrive(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    service = wms(hub_client, faults={"reorder_events_rate": 1.0})
    async with serving(service) as client:
        await client.post("/api/fulfilments", json=fulfilment())
        deliveries = await hub.wait_until(lambda d: len(d) >= 3)
        await eventually(lambda: service.outbox.backlog() == 0)

    assert milestones(deliveries) != NATURAL
    assert sorted(milestones(deliveries), key=NATURAL.index) == NATURAL
    assert shipped_quantities(deliveries) == Counter({"SKU-0001": 4})


async def test_reordering_is_decided_per_order_from_the_seed_and_spares_the_others() -> None:
    orders = [f"ORD-{n}" for n in range(1, 9)]

    async def run() -> dict[str, list[str]]:
        hub = HubStub()
        async with hub.client() as hub_client:
            service = wms(hub_client, faults={"reorder_events_rate": 0.5})
            async with serving(service) as client:
                for order_id in orders:
                    await client.post("/api/fulfilments", json=fulfilment(order_id))
                deliveries = await hub.wait_until(lambda d: len(d) >= 3 * len(orders))
        return {o: milestones([d for d in deliveries if d.json["order_id"] == o]) for o in orders}

    first = await run()

    assert first == await run()
    assert {tuple(m) == tuple(NATURAL) for m in first.values()} == {True, False}
    assert all(sorted(m, key=NATURAL.index) == NATURAL for m in first.values())


async def test_reordered_events_are_duplicated_too_with_the_same_event_id(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    faults = {"reorder_events_rate": 1.0, "duplicate_event_rate": 1.0}
    async with serving(wms(hub_client, faults=faults)) as client:
        await client.post("/api/fulfilments", json=fulfilment())
        deliveries = await hub.wait_until(lambda d: len(d) >= 6)

    arrived = milestones(deliveries)
    assert arrived != sorted(arrived, key=NATURAL.index)
    assert Counter(arrived) == Counter({"picked": 2, "packed": 2, "shipped": 2})
    assert set(Counter(d.headers["x-event-id"] for d in deliveries).values()) == {2}


async def test_a_split_order_reordered_mixes_both_shipments_and_only_one_is_final(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    faults = {"reorder_events_rate": 1.0, "split_rate": 1.0}
    ordered = [("SKU-0001", "2"), ("SKU-0002", "3")]
    async with serving(wms(hub_client, faults=faults)) as client:
        await client.post("/api/fulfilments", json=fulfilment("ORD-A", ordered))
        deliveries = await hub.wait_until(lambda d: len(d) >= 6)

    natural = [f"F-000001-S{k}.{m}" for k in (1, 2) for m in NATURAL]
    arrived = [d.json["event_id"] for d in deliveries]
    assert arrived != natural
    assert sorted(arrived) == sorted(natural)
    assert [d.json["final"] for d in deliveries].count(True) == 1
    assert shipped_quantities(deliveries) == Counter({"SKU-0001": 2, "SKU-0002": 3})


async def test_cancelling_releases_the_events_held_back_for_reordering(
    hub: HubStub, hub_client: httpx.AsyncClient
) -> None:
    clock = ManualClock()
    service = wms(hub_client, clock, pack_delay_s=3600, faults={"reorder_events_rate": 1.0})
    async with serving(service) as client:
        fid = (await client.post("/api/fulfilments", json=fulfilment())).json()["fulfilment_id"]
        await eventually(lambda: service.outbox.backlog() == 1)
        held = list(hub.deliveries)
        cancelled = await client.post(f"/api/fulfilments/{fid}/cancel")
        deliveries = await hub.wait_until(lambda d: len(d) >= 1)
        await eventually(lambda: service.outbox.backlog() == 0)

    assert held == []
    assert cancelled.status_code == 200
    assert milestones(deliveries) == ["picked"]
