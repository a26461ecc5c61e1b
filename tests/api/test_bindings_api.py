"""An order's bindings over HTTP: the id each system gave its documents."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from .estate import client, problem_fields
from .operator_hub import LEGACY, OperatorHub


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[OperatorHub]:
    built = OperatorHub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


@pytest.fixture
async def api(hub: OperatorHub) -> AsyncIterator[httpx.AsyncClient]:
    async with client(hub.app(), key=hub.admin_key()) as http:
        yield http


async def test_a_booked_and_released_order_is_bound_to_its_sales_order_and_fulfilment(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    hub.submit("O-1")
    await hub.drain()

    response = await api.get("/api/v1/orders/O-1/bindings")

    assert response.status_code == 200
    bindings = {(b["system"], b["kind"]): b for b in response.json()}
    assert sorted(bindings) == [(LEGACY, "sales_order"), ("wms", "fulfilment")]
    assert bindings[LEGACY, "sales_order"]["external_id"] == "SO-O-1"
    assert bindings["wms", "fulfilment"]["external_id"] == "F-O-1"
    assert bindings[LEGACY, "sales_order"]["bound_at"] == "2026-01-05T09:00:00Z"


async def test_an_order_nothing_accepted_yet_has_no_bindings(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    await hub.refused_booking("O-1")

    response = await api.get("/api/v1/orders/O-1/bindings")

    assert (response.status_code, response.json()) == (200, [])


async def test_the_bindings_of_an_unknown_order_are_a_404_problem(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/orders/ord_nope/bindings")

    assert response.status_code == 404
    assert problem_fields(response) == []
    assert "ord_nope" in response.json()["detail"]
