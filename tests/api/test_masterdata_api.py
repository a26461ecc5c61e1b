"""Customers, products and prices over HTTP: each partner sees its own, with ETags.

Two trading partners share the hub: ``north`` serves customers C-1 and C-2, ``south`` serves
C-3. Products and list prices are the shared catalog; customers and contract prices are not.
"""

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
from crossdock.core.catalog import Price, Product
from crossdock.core.party import Address, Customer
from crossdock.integration.access.principal import Scope
from crossdock.integration.api import create_app
from crossdock.integration.api.app import API_PREFIX

from .estate import Estate, build_estate, client, problem_fields

D = Decimal


def customer(customer_id: str, name: str) -> Customer:
    return Customer(customer_id=customer_id, name=name, legal_entity="A", region="east")


CUSTOMERS = (
    customer("C-1", "Acme Hardware").model_copy(
        update={
            "bill_to": Address(
                name="Acme", line1="1 Dock Road", city="Newark", postal_code="07102", country="US"
            )
        }
    ),
    customer("C-2", "Bolt Barn"),
    customer("C-3", "Southern Fixings"),
)
PRODUCTS = (
    Product(sku="BOLT", description="Hex bolt"),
    Product(sku="NUT", description="Nut"),
    Product(sku="WASHER", description="Washer", uom="BX"),
)
PRICES = (
    Price(sku="BOLT", currency="USD", unit_price=D("3.00")),
    Price(sku="NUT", currency="USD", unit_price=D("12.00")),
    Price(sku="BOLT", currency="USD", unit_price=D("2.50"), customer_id="C-1"),
    Price(sku="BOLT", currency="USD", unit_price=D("2.40"), customer_id="C-3"),
)


@dataclass
class CatalogHub:
    """The hub with its master data loaded, and a key per caller."""

    estate: Estate
    app: FastAPI
    north: str
    south: str
    admin: str

    def caller(self, key: str | None) -> httpx.AsyncClient:
        return client(self.app, key=key)

    async def get(self, key: str | None, path: str, **kwargs: Any) -> httpx.Response:
        async with self.caller(key) as http:
            return await http.get(f"{API_PREFIX}{path}", **kwargs)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[CatalogHub]:
    estate = build_estate(tmp_path)
    estate.seed(customers=CUSTOMERS, products=PRODUCTS, prices=PRICES)
    app = create_app(desk=estate.desk, access=estate.access)
    yield CatalogHub(
        estate=estate,
        app=app,
        north=partner_key(estate.access, "north", ["C-1", "C-2"], [Scope.CATALOG_READ]),
        south=partner_key(estate.access, "south", ["C-3"], [Scope.CATALOG_READ]),
        admin=admin_key(estate.access),
    )
    estate.store.close()


def ids(response: httpx.Response, name: str = "customer_id") -> list[str]:
    assert response.status_code == 200, response.text
    return [item[name] for item in response.json()["items"]]


# ------------------------------------------------------------------ customers


async def test_each_partner_lists_only_its_own_customers_and_an_admin_lists_all(
    hub: CatalogHub,
) -> None:
    assert ids(await hub.get(hub.north, "/customers")) == ["C-1", "C-2"]
    assert ids(await hub.get(hub.south, "/customers")) == ["C-3"]
    assert ids(await hub.get(hub.admin, "/customers")) == ["C-1", "C-2", "C-3"]


async def test_a_partner_reads_its_own_customer(hub: CatalogHub) -> None:
    response = await hub.get(hub.north, "/customers/C-1")

    assert response.status_code == 200
    assert response.json() == {
        "customer_id": "C-1",
        "name": "Acme Hardware",
        "email": "",
        "legal_entity": "A",
        "region": "east",
        "currency": "USD",
        "bill_to": {
            "name": "Acme",
            "line1": "1 Dock Road",
            "line2": "",
            "city": "Newark",
            "region": "",
            "postal_code": "07102",
            "country": "US",
        },
        "active": True,
    }


async def test_another_partners_customer_answers_as_one_that_does_not_exist(
    hub: CatalogHub,
) -> None:
    foreign = await hub.get(hub.south, "/customers/C-1")
    unknown = await hub.get(hub.south, "/customers/C-9")

    assert (foreign.status_code, unknown.status_code) == (404, 404)
    assert problem_fields(foreign) == problem_fields(unknown) == ["customer_id"]
    assert foreign.json()["detail"] == unknown.json()["detail"].replace("C-9", "C-1")
    assert "ETag" not in foreign.headers


async def test_an_admin_reads_any_customer(hub: CatalogHub) -> None:
    response = await hub.get(hub.admin, "/customers/C-3")

    assert response.status_code == 200
    assert response.json()["name"] == "Southern Fixings"


async def test_customers_are_read_one_page_at_a_time(hub: CatalogHub) -> None:
    first = await hub.get(hub.north, "/customers", params={"limit": 1})
    second = await hub.get(
        hub.north, "/customers", params={"limit": 1, "after": first.json()["next"]}
    )

    assert (ids(first), first.json()["next"]) == (["C-1"], "C-1")
    assert (ids(second), second.json()["next"]) == (["C-2"], None)


# ------------------------------------------------------------------ products


async def test_products_are_one_catalog_shared_by_every_partner(hub: CatalogHub) -> None:
    north = await hub.get(hub.north, "/products")
    south = await hub.get(hub.south, "/products")
    washer = await hub.get(hub.south, "/products/WASHER")

    assert ids(north, "sku") == ["BOLT", "NUT", "WASHER"]
    assert south.json() == north.json()
    assert south.headers["ETag"] == north.headers["ETag"]
    assert washer.json() == {"sku": "WASHER", "description": "Washer", "uom": "BX", "active": True}


async def test_an_unknown_product_is_not_found(hub: CatalogHub) -> None:
    response = await hub.get(hub.north, "/products/GHOST")

    assert response.status_code == 404
    assert problem_fields(response) == ["sku"]


async def test_products_are_read_one_page_at_a_time(hub: CatalogHub) -> None:
    first = await hub.get(hub.north, "/products", params={"limit": 2})
    rest = await hub.get(hub.north, "/products", params={"after": first.json()["next"]})

    assert ids(first, "sku") == ["BOLT", "NUT"]
    assert (ids(rest, "sku"), rest.json()["next"]) == (["WASHER"], None)


# ------------------------------------------------------------------ prices


def price_keys(response: httpx.Response) -> list[tuple[str, str | None, str]]:
    assert response.status_code == 200, response.text
    return [(p["sku"], p["customer_id"], p["unit_price"]) for p in response.json()["items"]]


async def test_a_partner_sees_list_prices_and_its_own_customers_contract_prices(
    hub: CatalogHub,
) -> None:
    north = await hub.get(hub.north, "/prices")
    south = await hub.get(hub.south, "/prices")
    admin = await hub.get(hub.admin, "/prices")

    assert price_keys(north) == [
        ("BOLT", None, "3.00"),
        ("BOLT", "C-1", "2.50"),
        ("NUT", None, "12.00"),
    ]
    assert price_keys(south) == [
        ("BOLT", None, "3.00"),
        ("BOLT", "C-3", "2.40"),
        ("NUT", None, "12.00"),
    ]
    assert len(price_keys(admin)) == 4


async def test_the_prices_of_one_customer_and_sku_are_its_contract_and_the_list_price(
    hub: CatalogHub,
) -> None:
    response = await hub.get(hub.north, "/prices", params={"sku": "BOLT", "customer": "C-1"})
    other = await hub.get(hub.north, "/prices", params={"customer": "C-2"})

    assert price_keys(response) == [("BOLT", None, "3.00"), ("BOLT", "C-1", "2.50")]
    assert price_keys(other) == [("BOLT", None, "3.00"), ("NUT", None, "12.00")]


async def test_asking_for_another_partners_customer_prices_is_not_found(hub: CatalogHub) -> None:
    foreign = await hub.get(hub.north, "/prices", params={"customer": "C-3"})
    unknown = await hub.get(hub.admin, "/prices", params={"customer": "C-9"})

    assert (foreign.status_code, unknown.status_code) == (404, 404)
    assert problem_fields(foreign) == problem_fields(unknown) == ["customer"]


async def test_prices_are_read_one_page_at_a_time_with_an_opaque_cursor(hub: CatalogHub) -> None:
    walked: list[tuple[str, str | None, str]] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = await hub.get(hub.admin, "/prices", params=params)
        walked += price_keys(page)
        if page.json()["next"] is None:
            break
        params["after"] = page.json()["next"]

    assert walked == price_keys(await hub.get(hub.admin, "/prices"))
    assert len(walked) == 4


# ------------------------------------------------------------------ request problems


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/customers", {"limit": 0}, "limit"),
        ("/products", {"limit": "many"}, "limit"),
        ("/prices", {"currency": "usd"}, "currency"),
        ("/prices", {"after": "not-a-cursor"}, "after"),
        ("/prices", {"after": "WyJCT0xUIl0"}, "after"),  # a list of one string
    ],
)
async def test_an_invalid_query_parameter_is_a_problem_naming_it(
    hub: CatalogHub, path: str, params: dict[str, Any], field: str
) -> None:
    response = await hub.get(hub.north, path, params=params)

    assert response.status_code == 422
    assert problem_fields(response) == [field]


async def test_unknown_query_parameters_are_ignored(hub: CatalogHub) -> None:
    response = await hub.get(hub.north, "/customers", params={"colour": "red"})

    assert ids(response) == ["C-1", "C-2"]


async def test_a_key_without_catalog_read_is_forbidden(hub: CatalogHub) -> None:
    orders_only = partner_key(hub.estate.access, "north", [], [Scope.ORDERS_READ])

    for path in ("/customers", "/customers/C-1", "/products", "/products/BOLT", "/prices"):
        response = await hub.get(orders_only, path)
        assert response.status_code == 403, path
        assert "catalog:read" in response.json()["detail"]


async def test_no_credential_is_unauthorized(hub: CatalogHub) -> None:
    for path in ("/customers", "/customers/C-1", "/products", "/prices"):
        response = await hub.get(None, path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


# ------------------------------------------------------------------ ETags


async def test_an_unchanged_customer_answers_not_modified_to_its_etag(hub: CatalogHub) -> None:
    first = await hub.get(hub.north, "/customers/C-1")
    tag = first.headers["ETag"]

    again = await hub.get(hub.north, "/customers/C-1", headers={"If-None-Match": tag})

    assert first.headers["Cache-Control"] == "private, no-cache"
    assert not tag.startswith("W/")  # strong: byte for byte the same representation
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == tag
    assert again.headers["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize(
    "if_none_match",
    ["{tag}", "W/{tag}", '"stale", {tag}', '"stale",W/{tag} ,', "*"],
    ids=["strong", "weak", "list", "list-with-weak", "any"],
)
async def test_if_none_match_compares_weakly_and_accepts_lists_and_any(
    hub: CatalogHub, if_none_match: str
) -> None:
    tag = (await hub.get(hub.south, "/prices")).headers["ETag"]

    response = await hub.get(
        hub.south, "/prices", headers={"If-None-Match": if_none_match.format(tag=tag)}
    )

    assert response.status_code == 304
    assert response.headers["ETag"] == tag


async def test_a_tag_that_does_not_match_gets_the_representation(hub: CatalogHub) -> None:
    response = await hub.get(hub.north, "/products", headers={"If-None-Match": '"stale", junk'})

    assert response.status_code == 200
    assert ids(response, "sku") == ["BOLT", "NUT", "WASHER"]


async def test_the_etag_is_the_representations_each_caller_has_its_own_page(
    hub: CatalogHub,
) -> None:
    north = await hub.get(hub.north, "/customers")
    south = await hub.get(hub.south, "/customers")

    cross = await hub.get(hub.south, "/customers", headers={"If-None-Match": north.headers["ETag"]})

    assert north.headers["ETag"] != south.headers["ETag"]
    assert cross.status_code == 200
    assert ids(cross) == ["C-3"]


async def test_a_resync_that_changes_a_customer_changes_its_etag(hub: CatalogHub) -> None:
    single = (await hub.get(hub.north, "/customers/C-1")).headers["ETag"]
    listed = (await hub.get(hub.north, "/customers")).headers["ETag"]
    renamed = CUSTOMERS[0].model_copy(update={"name": "Acme Hardware Inc."})
    with hub.estate.store.unit_of_work() as uow:
        uow.masterdata.upsert_customers([renamed])

    one = await hub.get(hub.north, "/customers/C-1", headers={"If-None-Match": single})
    page = await hub.get(hub.north, "/customers", headers={"If-None-Match": listed})

    assert one.status_code == 200
    assert one.json()["name"] == "Acme Hardware Inc."
    assert one.headers["ETag"] != single
    assert page.status_code == 200
    assert page.headers["ETag"] != listed


async def test_a_resync_that_changes_nothing_keeps_the_etag(hub: CatalogHub) -> None:
    tag = (await hub.get(hub.north, "/prices")).headers["ETag"]
    with hub.estate.store.unit_of_work() as uow:
        uow.masterdata.upsert_prices(PRICES)

    response = await hub.get(hub.north, "/prices", headers={"If-None-Match": tag})

    assert response.status_code == 304


async def test_a_new_contract_price_for_another_partner_leaves_this_ones_etag(
    hub: CatalogHub,
) -> None:
    north = (await hub.get(hub.north, "/prices")).headers["ETag"]
    south = (await hub.get(hub.south, "/prices")).headers["ETag"]
    with hub.estate.store.unit_of_work() as uow:
        uow.masterdata.upsert_prices(
            [Price(sku="NUT", currency="USD", unit_price=D("10.00"), customer_id="C-3")]
        )

    unchanged = await hub.get(hub.north, "/prices", headers={"If-None-Match": north})
    changed = await hub.get(hub.south, "/prices", headers={"If-None-Match": south})

    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert ("NUT", "C-3", "10.00") in price_keys(changed)


async def test_a_missing_resource_is_not_found_even_to_if_none_match_any(hub: CatalogHub) -> None:
    response = await hub.get(hub.north, "/products/GHOST", headers={"If-None-Match": "*"})

    assert response.status_code == 404


# ------------------------------------------------------------------ OpenAPI


async def test_openapi_describes_the_typed_answers_and_their_etags(hub: CatalogHub) -> None:
    async with hub.caller(None) as http:
        document = (await http.get(f"{API_PREFIX}/openapi.json")).json()

    customers = document["paths"][f"{API_PREFIX}/customers"]["get"]["responses"]
    ok = customers["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CustomerPage"
    }
    assert "ETag" in ok["headers"]
    assert "304" in customers
    price = document["components"]["schemas"]["PriceView"]["properties"]
    assert set(price) == {"sku", "currency", "unit_price", "customer_id", "valid_from"}
