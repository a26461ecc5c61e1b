"""``crossdock api`` and ``worker`` refuse a database that lacks their revisions, never migrate."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crossdock.core.errors import ConfigurationError
from crossdock.integration.store.migrate import head, require_current_schema, upgrade


def test_a_database_never_migrated_is_refused_naming_the_fix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"

    with pytest.raises(ConfigurationError, match="run `crossdock migrate` first") as refused:
        require_current_schema(url)
    assert refused.value.key == "store.url"


def test_a_database_one_revision_behind_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")

    with pytest.raises(ConfigurationError, match=f"needs {head()}"):
        require_current_schema(url)


def test_a_database_at_head_is_accepted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    upgrade(url)

    require_current_schema(url)


def test_a_database_a_newer_release_migrated_is_accepted_for_a_rolling_upgrade(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()

    require_current_schema(url)
