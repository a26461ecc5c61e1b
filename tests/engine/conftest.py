"""Fixtures: a hub with seeded master data and stock, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from postgres import DATABASES, empty_database

from .hub import Hub


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: the engine must behave the same on both stores."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def hub(database_url: str) -> Iterator[Hub]:
    built = Hub(database_url)
    yield built
    built.close()
