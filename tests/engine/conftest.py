"""Fixtures: a hub with seeded master data and stock, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from postgres import postgres_schema

from .hub import Hub


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: the engine must behave the same on both stores."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/hub.db"
        return
    with postgres_schema() as url:  # skips (or fails in CI) without a server
        yield url


@pytest.fixture
def hub(database_url: str) -> Iterator[Hub]:
    built = Hub(database_url)
    yield built
    built.close()
