"""The app itself: health, the OpenAPI document, and problem+json for every kind of failure."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import APIRouter

from crossdock.core.errors import RetryableError

from .estate import Estate, build_estate, client, new_order, problem_fields


async def test_healthz_answers_ok(api: httpx.AsyncClient) -> None:
    response = await api.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_openapi_document_is_3_1_under_api_v1(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/v1/orders", "/api/v1/orders/{order_id}/timeline"} <= set(document["paths"])
    assert "Problem" in document["components"]["schemas"]


async def test_an_unknown_route_is_a_404_problem(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert problem_fields(response) == []
    assert response.json()["type"] == "about:blank"
    assert response.json()["title"] == "Not Found"


async def test_a_wrong_method_is_a_405_problem_that_says_what_is_allowed(
    api: httpx.AsyncClient,
) -> None:
    response = await api.delete("/api/v1/orders")

    assert response.status_code == 405
    assert problem_fields(response) == []
    assert "GET" in response.headers["allow"]


async def test_an_unexpected_error_is_a_500_problem_that_leaks_nothing(estate: Estate) -> None:
    broken = APIRouter()

    @broken.get("/broken")
    async def fail() -> None:
        raise RuntimeError("password=hunter2 at /srv/secret.py line 12")

    async with client(estate.app([broken]), raise_app_exceptions=False) as http:
        response = await http.get("/broken")

    assert response.status_code == 500
    assert problem_fields(response) == []
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text


async def test_a_store_that_cannot_answer_is_a_503_problem_with_retry_after(
    tmp_path: Path,
) -> None:
    hub = build_estate(tmp_path, schema=False)  # no tables: every query fails in the store

    # Even checking the key needs the store: that too is a 503, not a 500 or a 401.
    async with client(hub.app(), key="cdk_0123456789ab_secret") as http:
        response = await http.post("/api/v1/orders", json=new_order())

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert problem_fields(response) == []
    assert "no such table" not in response.text
    hub.store.close()


async def test_retry_after_rounds_up_what_the_store_asked_for(estate: Estate) -> None:
    busy = APIRouter()

    @busy.get("/busy")
    async def wait() -> None:
        raise RetryableError("locked", retry_after=2.5)

    async with client(estate.app([busy])) as http:
        response = await http.get("/busy")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
