"""``/api/v1/edi/…``: partner profiles, the archive of every file, and files taken in by upload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from crossdock.rig import Rig, in_process_rig
from edi.test_partner_flow import PARTNER, orders_of, partner_estate, purchase_order


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with in_process_rig(data_dir=tmp_path, estate=partner_estate(tmp_path)) as running:
        yield running


@pytest.fixture
async def api(rig: Rig) -> AsyncIterator[httpx.AsyncClient]:
    async with rig.operator_client() as client:
        yield client


async def test_partner_profiles_are_served_as_the_estate_declares_them(
    api: httpx.AsyncClient,
) -> None:
    partners = (await api.get("/api/v1/edi/partners")).json()
    assert [p["name"] for p in partners] == [PARTNER]
    one = (await api.get(f"/api/v1/edi/partners/{PARTNER}")).json()
    assert one["partner"]["isa_id"] == "ACMERETAIL"
    assert one["version"] == "004010"

    missing = await api.get("/api/v1/edi/partners/nobody")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_an_uploaded_file_is_archived_byte_for_byte_and_linked_to_its_order(
    api: httpx.AsyncClient, rig: Rig
) -> None:
    raw = purchase_order("PO-5001", 51)
    response = await api.post(
        "/api/v1/edi/inbound", params={"partner": PARTNER, "name": "po.edi"}, content=raw
    )

    assert response.status_code == 202
    receipt = response.json()
    assert receipt["status"] == "accepted"
    [order_id] = receipt["order_ids"]
    assert orders_of(rig) == [order_id]
    content = await api.get(f"/api/v1/edi/files/{receipt['file_id']}/content")
    assert content.content == raw
    assert content.headers["content-type"] == "application/edi-x12"

    linked = (await api.get(f"/api/v1/orders/{order_id}/documents")).json()
    assert receipt["file_id"] in [f["file_id"] for f in linked]
    # The 850 itself, and the 997 we owe for it (queued as the file was taken).
    assert {f["direction"] for f in linked} == {"in", "out"}


async def test_an_upload_for_an_unknown_partner_is_a_problem(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/v1/edi/inbound", params={"partner": "nobody"}, content=purchase_order("X", 1)
    )

    assert response.status_code == 404
    assert response.json()["detail"] == "no EDI partner is named 'nobody'"


async def test_an_interchange_from_an_unknown_sender_is_archived_and_refused(
    api: httpx.AsyncClient,
) -> None:
    raw = purchase_order("PO-5002", 52).replace(b"ACMERETAIL", b"STRANGER  ")
    receipt = (await api.post("/api/v1/edi/inbound", content=raw)).json()

    assert receipt["status"] == "rejected"
    assert "is not a known partner" in receipt["summary"]
    stored = (await api.get(f"/api/v1/edi/files/{receipt['file_id']}")).json()
    assert stored["status"] == "rejected"
    assert stored["size"] == len(raw)
