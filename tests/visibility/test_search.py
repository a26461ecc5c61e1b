"""Order search over HTTP: any number anyone holds for an order leads back to it.

A real engine (``OperatorHub``: real workflow and store, fake gateways) books, releases, ships and
invoices an order, so that every system's number exists as production would record it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.estate import client
from api.operator_hub import LEGACY, OperatorHub
from credentials import partner_key
from crossdock.integration.api import create_app
from crossdock.orchestration.store import Store
from crossdock.visibility.search import search_orders, search_router
from postgres import DATABASES, empty_database


@pytest.fixture(params=DATABASES)
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OperatorHub]:
    with empty_database(request.param, tmp_path) as url:
        built = OperatorHub(url)
        yield built
        built.close()


def app(hub: OperatorHub) -> FastAPI:
    return create_app(
        desk=hub.desk, access=hub.access, exceptions=hub.exceptions, routers=[search_router()]
    )


@pytest.fixture
async def shipped(hub: OperatorHub) -> OperatorHub:
    """O-1 (customer C-A) booked, shipped as S-0 and invoiced; O-2 (C-B) only booked."""
    hub.submit("O-1", customer="C-A")
    hub.submit("O-2", customer="C-B")
    await hub.drain()
    assert hub.report("O-1", "evt-O-1", shipment_id="S-0")
    await hub.drain()
    return hub


@pytest.fixture
async def admin(shipped: OperatorHub) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app(shipped), key=shipped.admin_key()) as http:
        yield http


@pytest.mark.parametrize(
    ("number", "matched_on", "system"),
    [
        ("O-1", "order_id", ""),
        ("#O-1", "channel_order_number", ""),
        ("PO-O-1", "customer_po", ""),
        ("SO-O-1", "sales_order", LEGACY),
        ("F-O-1", "fulfilment", "wms"),
        ("S-0", "shipment", "wms"),
        ("1Z-S-0", "tracking", "UPS"),
        ("INV-S-0", "invoice", LEGACY),
    ],
)
async def test_every_number_of_a_shipped_and_invoiced_order_finds_it(
    admin: httpx.AsyncClient, number: str, matched_on: str, system: str
) -> None:
    response = await admin.get("/api/v1/search", params={"q": number})

    assert response.status_code == 200
    assert response.json() == [
        {
            "order_id": "O-1",
            "matched_on": matched_on,
            "value": number,
            "system": system,
            "status": "closed",
            "links": {"self": "/api/v1/orders/O-1", "timeline": "/api/v1/orders/O-1/timeline"},
        }
    ]


async def test_a_number_nobody_gave_finds_nothing(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/api/v1/search", params={"q": "SO-NOPE"})

    assert (response.status_code, response.json()) == (200, [])


async def test_a_number_is_matched_exactly_not_as_a_prefix(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/api/v1/search", params={"q": "SO-O-"})

    assert response.json() == []


async def test_a_partner_finds_its_own_customers_orders_and_nothing_of_anyone_elses(
    shipped: OperatorHub,
) -> None:
    key = partner_key(shipped.access, "bolt-partner", customers=["C-B"])
    async with client(app(shipped), key=key) as http:
        own = await http.get("/api/v1/search", params={"q": "PO-O-2"})
        others = [
            (await http.get("/api/v1/search", params={"q": number})).json()
            for number in ("O-1", "#O-1", "PO-O-1", "SO-O-1", "S-0", "1Z-S-0", "INV-S-0")
        ]

    assert [match["order_id"] for match in own.json()] == ["O-2"]
    assert others == [[]] * 7


async def test_search_needs_a_credential(shipped: OperatorHub) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app(shipped)), base_url="http://hub"
    ) as http:
        response = await http.get("/api/v1/search", params={"q": "O-1"})

    assert response.status_code == 401


async def test_a_number_two_orders_share_finds_both(shipped: OperatorHub) -> None:
    shipped.report("O-2", "evt-O-2", shipment_id="S-0")  # another order's shipment, same id
    await shipped.drain()
    store: Store = shipped.store

    found = search_orders(store, "S-0", customer_ids=None)

    assert [(m.order_id, m.matched_on) for m in found] == [("O-1", "shipment"), ("O-2", "shipment")]
