"""Fixtures: the engine hub (real workflow, store and desks, fake gateways) with the console
mounted, and a browser logged in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from credentials import admin_key

from .console_hub import ConsoleHub


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[ConsoleHub]:
    built = ConsoleHub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


@pytest.fixture
async def operator(hub: ConsoleHub) -> AsyncIterator[httpx.AsyncClient]:
    """A browser (a client with a cookie jar) logged in to the console with an admin key."""
    transport = httpx.ASGITransport(app=hub.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post(
            "/console/login", data={"key": admin_key(hub.access), "next": "/console"}
        )
        assert response.status_code == 303
        yield http
