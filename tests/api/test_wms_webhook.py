"""The warehouse's milestone webhook: signed, deduplicated on the event id, fed to the workflow."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from credentials import admin_key
from crossdock.connectors.wms.webhook import WmsSignature, wms_router
from crossdock.core.errors import ConfigurationError

from .estate import Estate, client, new_order, problem_fields

SECRET = "wms-secret"
SIGNER = WmsSignature(SECRET)


@pytest.fixture
async def http(estate: Estate) -> AsyncIterator[httpx.AsyncClient]:
    app = estate.app([wms_router(estate.desk, system="wms", secret=SECRET)])
    async with client(app, key=admin_key(estate.access)) as session:
        yield session


@pytest.fixture
async def order_id(http: httpx.AsyncClient) -> str:
    response = await http.post("/api/v1/orders", json=new_order())
    return str(response.json()["order_id"])


def shipped(order_id: str, **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "evt-1",
        "fulfilment_id": "F-1",
        "order_id": order_id,
        "shipment_id": "S-1",
        "milestone": "shipped",
        "occurred_at": "2026-01-05T15:00:00Z",
        "lines": [{"line_no": 1, "sku": "BOLT", "quantity": "10"}],
        "cartons": [{"carton_id": "00012345600000000017", "weight_kg": "4.2"}],
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "final": False,
    }
    event.update(changes)
    return event


async def send(
    http: httpx.AsyncClient, event: dict[str, Any], *, signature: str | None = None
) -> httpx.Response:
    raw = json.dumps(event).encode()
    headers = {
        "content-type": "application/json",
        "X-Crossdock-Signature": signature or SIGNER.sign(raw),
        "X-Event-Id": str(event.get("event_id", "")),
    }
    return await http.post("/webhooks/wms", content=raw, headers=headers)


async def test_a_signed_milestone_is_accepted_and_reaches_the_order_timeline(
    http: httpx.AsyncClient, estate: Estate, order_id: str
) -> None:
    response = await send(http, shipped(order_id))

    assert response.status_code == 202
    assert response.json() == {"accepted": True}
    estate.run_steps()
    entries = (await http.get(f"/api/v1/orders/{order_id}/timeline")).json()["entries"]
    inbound = [e for e in entries if e["kind"] == "inbound" and e["system"] == "wms"]
    assert [e["summary"] for e in inbound] == ["milestone_reported from wms"]
    milestone = inbound[0]["detail"]["body"]["milestone"]
    assert milestone["tracking_number"] == "1Z999AA10123456784"
    assert milestone["cartons"] == [
        {"carton_id": "00012345600000000017", "weight_kg": "4.2", "lines": []}
    ]


async def test_the_same_event_twice_is_accepted_once(
    http: httpx.AsyncClient, order_id: str
) -> None:
    first = await send(http, shipped(order_id))
    second = await send(http, shipped(order_id))

    assert (first.status_code, second.status_code) == (202, 202)
    assert (first.json()["accepted"], second.json()["accepted"]) == (True, False)


async def test_an_event_for_an_unknown_order_is_a_404_problem(http: httpx.AsyncClient) -> None:
    response = await send(http, shipped("ord_nope"))

    assert response.status_code == 404
    assert problem_fields(response) == []


async def test_a_wrong_or_missing_signature_is_a_401_and_changes_nothing(
    http: httpx.AsyncClient, estate: Estate, order_id: str
) -> None:
    wrong = await send(http, shipped(order_id), signature="sha256=" + "0" * 64)
    forged = await send(http, shipped(order_id), signature=WmsSignature("guess").sign(b"{}"))
    missing = await http.post("/webhooks/wms", json=shipped(order_id))

    assert [r.status_code for r in (wrong, forged, missing)] == [401, 401, 401]
    assert problem_fields(wrong) == ["X-Crossdock-Signature"]
    estate.run_steps()
    entries = (await http.get(f"/api/v1/orders/{order_id}/timeline")).json()["entries"]
    assert all(entry["system"] != "wms" for entry in entries)
    # the refused deliveries did not use up the event id
    assert (await send(http, shipped(order_id))).json() == {"accepted": True}


async def test_a_bad_body_is_a_422_naming_every_bad_field(
    http: httpx.AsyncClient, order_id: str
) -> None:
    event = shipped(
        order_id,
        milestone="lost",
        occurred_at="2026-01-05T15:00:00",
        lines=[{"line_no": 1, "sku": "BOLT", "quantity": "-2"}],
    )
    del event["shipment_id"]

    response = await send(http, event)

    assert response.status_code == 422
    assert sorted(problem_fields(response)) == [
        "lines[0].quantity",
        "milestone",
        "occurred_at",
        "shipment_id",
    ]


async def test_a_body_that_is_not_json_is_a_400_problem(http: httpx.AsyncClient) -> None:
    raw = b"milestone=shipped"
    response = await http.post(
        "/webhooks/wms", content=raw, headers={"X-Crossdock-Signature": SIGNER.sign(raw)}
    )

    assert response.status_code == 400
    assert problem_fields(response) == ["body"]


async def test_an_event_id_that_contradicts_the_header_is_named(
    http: httpx.AsyncClient, order_id: str
) -> None:
    raw = json.dumps(shipped(order_id)).encode()
    headers = {"X-Crossdock-Signature": SIGNER.sign(raw), "X-Event-Id": "evt-other"}

    response = await http.post("/webhooks/wms", content=raw, headers=headers)

    assert response.status_code == 422
    assert problem_fields(response) == ["event_id"]


def test_an_empty_secret_fails_at_start_naming_the_setting(estate: Estate) -> None:
    with pytest.raises(ConfigurationError, match=r"wms\.webhook_secret"):
        wms_router(estate.desk, secret="")
