"""Fixtures: a seeded hub on a temp SQLite file, and a client for its API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from credentials import admin_key

from .estate import Estate, build_estate, client


@pytest.fixture
def estate(tmp_path: Path) -> Iterator[Estate]:
    hub = build_estate(tmp_path)
    hub.seed()
    yield hub
    hub.store.close()


@pytest.fixture
async def api(estate: Estate) -> AsyncIterator[httpx.AsyncClient]:
    async with client(estate.app(), key=admin_key(estate.access)) as http:
        yield http
