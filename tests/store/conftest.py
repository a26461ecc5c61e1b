"""Fixtures: a fresh store per test, once per adapter in :data:`.adapters.ADAPTERS`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock

from .adapters import ADAPTERS, StoreAdapter


@pytest.fixture(params=ADAPTERS, ids=[adapter.name for adapter in ADAPTERS])
def adapter(request: pytest.FixtureRequest) -> StoreAdapter:
    chosen: StoreAdapter = request.param
    return chosen


@pytest.fixture
def database_url(adapter: StoreAdapter, tmp_path: Path) -> str:
    """An empty database with the full schema."""
    return adapter.prepare(tmp_path)


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    opened = SqlStore(database_url)
    yield opened
    opened.close()


@pytest.fixture(
    params=[a for a in ADAPTERS if a.shared], ids=[a.name for a in ADAPTERS if a.shared]
)
def shared_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database that several stores, threads and processes may open at once."""
    chosen: StoreAdapter = request.param
    return chosen.prepare(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
