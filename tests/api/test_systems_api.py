"""The systems over HTTP: breaker, pause and backlog of each; pausing and resuming one."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from crossdock.core.order import OrderStatus
from crossdock.orchestration.system_desk import SystemStatus
from engine.hub import SYSTEMS

from .estate import client, problem_fields
from .operator_hub import BOOK, LEGACY, OperatorHub

SYSTEMS_PATH = "/api/v1/systems"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[OperatorHub]:
    built = OperatorHub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


@pytest.fixture
async def api(hub: OperatorHub) -> AsyncIterator[httpx.AsyncClient]:
    async with client(hub.app(), key=hub.admin_key()) as http:
        yield http


async def test_every_system_of_the_estate_is_listed_with_its_breaker_backlog_and_exceptions(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    await hub.refused_booking("O-1")

    response = await api.get(SYSTEMS_PATH)

    assert response.status_code == 200
    systems = {item["system"]: item for item in response.json()}
    assert sorted(systems) == sorted(SYSTEMS)
    legacy = systems[LEGACY]
    assert set(legacy) == {f.name for f in dataclasses.fields(SystemStatus)}
    assert (legacy["breaker"], legacy["paused"]) == ("closed", False)
    assert (legacy["failed"], legacy["open_exceptions"], legacy["pending"]) == (1, 1, 0)
    assert systems["cloud_erp"]["open_exceptions"] == 0
    one = await api.get(f"{SYSTEMS_PATH}/{LEGACY}")
    assert one.json() == legacy


async def test_a_paused_system_keeps_its_deliveries_waiting_and_resuming_drains_them(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    paused = await api.post(
        f"{SYSTEMS_PATH}/{LEGACY}/pause", json={"by": "jane", "reason": "ERP upgrade"}
    )
    assert paused.status_code == 200
    assert (paused.json()["paused"], paused.json()["paused_by"]) == (True, "jane")
    assert paused.json()["paused_reason"] == "ERP upgrade"

    hub.submit("O-1")
    await hub.drain()

    assert hub.gateways[LEGACY].keys(BOOK) == []
    assert hub.status("O-1") is OrderStatus.ROUTED
    waiting = (await api.get(f"{SYSTEMS_PATH}/{LEGACY}")).json()
    assert (waiting["pending"], waiting["failed"]) == (1, 0)

    resumed = await api.post(f"{SYSTEMS_PATH}/{LEGACY}/resume", json={"by": "jane"})
    assert resumed.status_code == 200
    assert (resumed.json()["paused"], resumed.json()["paused_by"]) == (False, "")
    assert resumed.json()["last_change"] == f"{LEGACY} resumed by jane"
    await hub.drain()

    assert hub.gateways[LEGACY].keys(BOOK) == ["O-1:create_sales_order"]
    assert hub.status("O-1") is OrderStatus.RELEASED
    assert (await api.get(f"{SYSTEMS_PATH}/{LEGACY}")).json()["pending"] == 0


async def test_resume_needs_no_body_and_records_the_api_as_who_acted(
    api: httpx.AsyncClient,
) -> None:
    await api.post(f"{SYSTEMS_PATH}/{LEGACY}/pause", json={})

    response = await api.post(f"{SYSTEMS_PATH}/{LEGACY}/resume")

    assert response.status_code == 200
    assert response.json()["last_change"] == f"{LEGACY} resumed by api"


async def test_an_unknown_system_is_a_404_problem_naming_it(api: httpx.AsyncClient) -> None:
    responses = [
        await api.get(f"{SYSTEMS_PATH}/sap"),
        await api.post(f"{SYSTEMS_PATH}/sap/pause", json={"by": "jane"}),
        await api.post(f"{SYSTEMS_PATH}/sap/resume", json={"by": "jane"}),
    ]

    for response in responses:
        assert response.status_code == 404
        assert problem_fields(response) == ["name"]
        assert "'sap'" in response.json()["detail"]


async def test_a_pause_with_an_unknown_field_or_an_empty_by_is_a_422_naming_it_and_changes_nothing(
    api: httpx.AsyncClient,
) -> None:
    misspelt = await api.post(f"{SYSTEMS_PATH}/{LEGACY}/pause", json={"reasn": "upgrade"})
    anonymous = await api.post(f"{SYSTEMS_PATH}/{LEGACY}/pause", json={"by": ""})

    assert (misspelt.status_code, anonymous.status_code) == (422, 422)
    assert problem_fields(misspelt) == ["reasn"]
    assert problem_fields(anonymous) == ["by"]
    assert (await api.get(f"{SYSTEMS_PATH}/{LEGACY}")).json()["paused"] is False


async def test_the_openapi_document_tags_the_operator_routes(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/api/v1/openapi.json")).json()["paths"]

    assert paths["/api/v1/systems/{name}/pause"]["post"]["tags"] == ["systems"]
    assert paths["/api/v1/exceptions"]["get"]["tags"] == ["exceptions"]
    assert paths["/api/v1/replays"]["post"]["tags"] == ["exceptions"]
