"""Availability over HTTP: on hand − reserved − safety stock, per SKU and location, with ETags."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from credentials import admin_key, partner_key
from crossdock.core.inventory import InventoryPosition, ReservationLine
from crossdock.integration.access.principal import Scope
from crossdock.integration.api import create_app
from crossdock.integration.api.app import API_PREFIX

from .estate import Estate, build_estate, client, problem_fields

AVAILABILITY = f"{API_PREFIX}/inventory/availability"


@dataclass
class StockHub:
    """The hub with stock on hand and a reservation, and a key per caller."""

    estate: Estate
    app: FastAPI
    north: str
    south: str
    admin: str

    async def get(self, key: str | None, **kwargs: Any) -> httpx.Response:
        async with client(self.app, key=key) as http:
            return await http.get(AVAILABILITY, **kwargs)

    def reserve(self, order_id: str, sku: str, quantity: str, location: str = "WH1") -> None:
        line = ReservationLine(line_no=1, sku=sku, location=location, quantity=Decimal(quantity))
        with self.estate.store.unit_of_work() as uow:
            assert uow.inventory.reserve(order_id, [line])


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[StockHub]:
    estate = build_estate(tmp_path)
    estate.seed()
    estate.stock("NUT", "10")
    estate.stock("BOLT", "40", location="WH2")
    with estate.store.unit_of_work() as uow:
        uow.inventory.upsert_positions(
            [
                InventoryPosition(
                    sku="BOLT", location="WH1", on_hand=Decimal(100), safety_stock=Decimal(5)
                )
            ],
            estate.clock.now(),
        )
    app = create_app(desk=estate.desk, access=estate.access)
    built = StockHub(
        estate=estate,
        app=app,
        north=partner_key(estate.access, "north", ["C-1"], [Scope.INVENTORY_READ]),
        south=partner_key(estate.access, "south", ["C-3"], [Scope.INVENTORY_READ]),
        admin=admin_key(estate.access),
    )
    built.reserve("O-1", "BOLT", "20")
    yield built
    estate.store.close()


def availability(response: httpx.Response) -> list[tuple[str, str, str]]:
    assert response.status_code == 200, response.text
    return [(i["sku"], i["location"], i["available"]) for i in response.json()["items"]]


async def test_availability_is_on_hand_less_reserved_and_safety_stock_per_location(
    hub: StockHub,
) -> None:
    response = await hub.get(hub.north)

    assert availability(response) == [
        ("BOLT", "WH1", "75"),
        ("BOLT", "WH2", "40"),
        ("NUT", "WH1", "10"),
    ]
    assert response.json()["next"] is None


async def test_only_what_is_available_leaves_the_hub(hub: StockHub) -> None:
    response = await hub.get(hub.north, params={"sku": "BOLT", "location": "WH1"})

    assert response.json()["items"] == [{"sku": "BOLT", "location": "WH1", "available": "75"}]


async def test_availability_is_filtered_by_sku_and_by_location(hub: StockHub) -> None:
    bolts = await hub.get(hub.north, params={"sku": "BOLT"})
    at_wh1 = await hub.get(hub.north, params={"location": "WH1"})
    unknown = await hub.get(hub.north, params={"sku": "GHOST"})

    assert availability(bolts) == [("BOLT", "WH1", "75"), ("BOLT", "WH2", "40")]
    assert availability(at_wh1) == [("BOLT", "WH1", "75"), ("NUT", "WH1", "10")]
    assert availability(unknown) == []


async def test_stock_is_shared_every_caller_sees_the_same_availability(hub: StockHub) -> None:
    north = await hub.get(hub.north)
    south = await hub.get(hub.south)
    admin = await hub.get(hub.admin)

    assert north.json() == south.json() == admin.json()


async def test_availability_is_read_one_page_at_a_time(hub: StockHub) -> None:
    first = await hub.get(hub.north, params={"limit": 2})
    rest = await hub.get(hub.north, params={"limit": 2, "after": first.json()["next"]})

    assert availability(first) == [("BOLT", "WH1", "75"), ("BOLT", "WH2", "40")]
    assert (availability(rest), rest.json()["next"]) == ([("NUT", "WH1", "10")], None)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 501}, "limit"), ({"after": "%%%"}, "after"), ({"sku": ""}, "sku")],
)
async def test_an_invalid_query_parameter_is_a_problem_naming_it(
    hub: StockHub, params: dict[str, Any], field: str
) -> None:
    response = await hub.get(hub.north, params=params)

    assert response.status_code == 422
    assert problem_fields(response) == [field]


async def test_a_key_without_inventory_read_is_forbidden(hub: StockHub) -> None:
    catalog_only = partner_key(hub.estate.access, "north", [], [Scope.CATALOG_READ])

    response = await hub.get(catalog_only)

    assert response.status_code == 403
    assert "inventory:read" in response.json()["detail"]


async def test_no_credential_is_unauthorized(hub: StockHub) -> None:
    response = await hub.get(None)

    assert response.status_code == 401


async def test_unchanged_availability_answers_not_modified(hub: StockHub) -> None:
    first = await hub.get(hub.north, params={"sku": "BOLT"})

    again = await hub.get(
        hub.north, params={"sku": "BOLT"}, headers={"If-None-Match": first.headers["ETag"]}
    )

    assert first.headers["Cache-Control"] == "private, no-cache"
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == first.headers["ETag"]


async def test_a_reservation_changes_availability_and_its_etag(hub: StockHub) -> None:
    tag = (await hub.get(hub.north, params={"sku": "BOLT"})).headers["ETag"]
    hub.reserve("O-2", "BOLT", "15")

    response = await hub.get(hub.north, params={"sku": "BOLT"}, headers={"If-None-Match": tag})

    assert response.status_code == 200
    assert response.headers["ETag"] != tag
    assert availability(response)[0] == ("BOLT", "WH1", "60")


async def test_a_stock_report_for_another_sku_leaves_this_skus_etag(hub: StockHub) -> None:
    tag = (await hub.get(hub.north, params={"sku": "BOLT"})).headers["ETag"]
    hub.estate.stock("NUT", "99")

    response = await hub.get(hub.north, params={"sku": "BOLT"}, headers={"If-None-Match": tag})

    assert response.status_code == 304
