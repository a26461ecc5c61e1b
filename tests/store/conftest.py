"""Fixtures: a fresh store per test, once per adapter in :data:`.adapters.ADAPTERS`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.store import Store

from .adapters import ADAPTERS, StoreAdapter


@pytest.fixture(params=ADAPTERS, ids=[adapter.name for adapter in ADAPTERS])
def adapter(request: pytest.FixtureRequest) -> StoreAdapter:
    chosen: StoreAdapter = request.param
    return chosen


def _prepared(adapter: StoreAdapter, tmp_path: Path) -> Iterator[str]:
    url = adapter.prepare(tmp_path)
    try:
        yield url
    finally:
        if adapter.dispose is not None:
            adapter.dispose(url)


@pytest.fixture
def database_url(adapter: StoreAdapter, tmp_path: Path) -> Iterator[str]:
    """An empty database with the full schema."""
    yield from _prepared(adapter, tmp_path)


@pytest.fixture
def store(adapter: StoreAdapter, database_url: str) -> Iterator[Store]:
    opened = adapter.connect(database_url)
    yield opened
    opened.close()


@pytest.fixture(
    params=[a for a in ADAPTERS if a.shared], ids=[a.name for a in ADAPTERS if a.shared]
)
def shared_adapter(request: pytest.FixtureRequest) -> StoreAdapter:
    chosen: StoreAdapter = request.param
    return chosen


@pytest.fixture
def shared_database_url(shared_adapter: StoreAdapter, tmp_path: Path) -> Iterator[str]:
    """An empty database that several stores and threads may open at once."""
    yield from _prepared(shared_adapter, tmp_path)


@pytest.fixture
def process_shared_database_url(shared_adapter: StoreAdapter, tmp_path: Path) -> Iterator[str]:
    """An empty database that separate processes may open too."""
    if not shared_adapter.shares_across_processes:
        pytest.skip(
            f"{shared_adapter.name}: the database lives in one process; others cannot open it"
        )
    yield from _prepared(shared_adapter, tmp_path)


@pytest.fixture
def connect(shared_adapter: StoreAdapter) -> Callable[[str], Store]:
    """Opens one more store on the shared database, by its URL."""
    return shared_adapter.connect


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
