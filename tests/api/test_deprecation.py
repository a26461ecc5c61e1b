"""A deprecated route announces its sunset in every answer, then answers 410 Gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from fastapi import APIRouter

from crossdock.integration.api.deprecation import POLICY_URL, Deprecation, deprecated_route

from .estate import PROBLEM_JSON, Estate, client

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""Where the estate's fake clock starts."""
SINCE = NOW - timedelta(days=30)
SUNSET = SINCE + timedelta(days=240)


def old_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    retiring = Deprecation(since=SINCE, sunset=SUNSET, successor="/api/v1/new-things")

    @router.get("/old-things", **deprecated_route(retiring))
    async def old_things() -> list[str]:
        return ["still here"]

    return router


async def test_before_the_sunset_every_answer_carries_deprecation_sunset_and_links(
    estate: Estate,
) -> None:
    assert estate.clock.now() == NOW

    async with client(estate.app([old_router()])) as http:
        response = await http.get("/api/v1/old-things")

    assert response.status_code == 200
    assert response.json() == ["still here"]
    assert response.headers["deprecation"] == f"@{int(SINCE.timestamp())}"
    assert parsedate_to_datetime(response.headers["sunset"]) == SUNSET
    assert f'<{POLICY_URL}>; rel="deprecation"' in response.headers["link"]
    assert '</api/v1/new-things>; rel="successor-version"' in response.headers["link"]


async def test_from_the_sunset_on_the_route_is_gone_naming_its_successor(estate: Estate) -> None:
    estate.clock.advance(SUNSET - estate.clock.now())

    async with client(estate.app([old_router()])) as http:
        response = await http.get("/api/v1/old-things")

    assert response.status_code == 410
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == "urn:crossdock:problem:sunset"
    assert "/api/v1/new-things" in response.json()["detail"]
    assert parsedate_to_datetime(response.headers["sunset"]) == SUNSET


def test_the_openapi_document_marks_the_operation_deprecated(estate: Estate) -> None:
    document = estate.app([old_router()]).openapi()

    assert document["paths"]["/api/v1/old-things"]["get"]["deprecated"] is True


def test_a_sunset_without_six_months_notice_is_refused() -> None:
    with pytest.raises(ValueError, match="notice"):
        Deprecation(since=SINCE, sunset=SINCE + timedelta(days=30))
