"""The hub's database for the EDI flow tests: a SQLite file, and a PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from postgres import postgres_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_database(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None: the rig's SQLite file; else a throwaway PostgreSQL schema's URL."""
    if request.param == "sqlite":
        yield None
        return
    with postgres_schema() as url:
        yield url
