"""The Alembic migrations build the schema the code declares; the contract suite runs on it too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from crossdock.integration.store.engine import build_engine
from crossdock.integration.store.migrate import alembic_config, current, upgrade
from crossdock.integration.store.schema import metadata
from postgres import DATABASES, empty_database


@pytest.fixture(params=DATABASES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, not even Alembic's version table."""
    with empty_database(request.param, tmp_path) as url:
        yield url


def test_a_migrated_database_has_exactly_the_declared_schema(empty_url: str) -> None:
    upgrade(empty_url)

    engine = build_engine(empty_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()

    assert differences == []


def test_upgrading_twice_leaves_the_database_at_head(empty_url: str) -> None:
    assert current(empty_url) is None

    upgrade(empty_url)
    upgrade(empty_url)

    head = ScriptDirectory.from_config(alembic_config(empty_url)).get_current_head()
    assert current(empty_url) == head
