"""Fixtures: an access store on a fresh database, SQLite or PostgreSQL, driven by a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.integration.access.store import AccessStore
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from postgres import DATABASES, empty_database


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A store with the full schema on a temp SQLite file or a throwaway PostgreSQL schema."""
    with empty_database(request.param, tmp_path) as url:
        store = SqlStore(url)
        store.create_schema()
        yield store
        store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def access(database: SqlStore, clock: FakeClock) -> AccessStore:
    return AccessStore(database.engine, clock)
