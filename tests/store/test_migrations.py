"""The Alembic migrations build the schema the code declares; the contract suite runs on it too."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from crossdock.integration.store.engine import build_engine
from crossdock.integration.store.migrate import alembic_config, current, upgrade
from crossdock.integration.store.schema import metadata


def test_a_migrated_database_has_exactly_the_declared_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/migrated.db"
    upgrade(url)

    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()

    assert differences == []


def test_upgrading_twice_leaves_the_database_at_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/migrated.db"
    assert current(url) is None

    upgrade(url)
    upgrade(url)

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert current(url) == head
