"""Fixtures: a hub (the real engine, fake ERP and WMS) with partners, subscriptions and a
partner's webhook endpoint stubbed through ``httpx.MockTransport``; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from postgres import DATABASES, empty_database, postgres_schema

from .world import World


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: the fan-out must behave the same on both stores."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    built = World(database_url)
    yield built
    built.close()


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    built = World(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


@pytest.fixture
def postgres_world() -> Iterator[World]:
    with postgres_schema() as url:  # skips (or fails in CI) without a server
        built = World(url)
        yield built
        built.close()
