"""Schema migrations with Alembic, run by ``crossdock migrate`` and at ``crossdock up``."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the database at ``url`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def head() -> str | None:
    """The newest revision the migrations know."""
    from alembic.script import ScriptDirectory

    revision: str | None = ScriptDirectory.from_config(
        alembic_config("sqlite://")
    ).get_current_head()
    return revision


def known_revisions() -> set[str]:
    """Every revision the migrations shipped with this code know."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {script.revision for script in scripts.walk_revisions()}


def require_current_schema(url: str) -> None:
    """Fail, naming the fix, when the database lacks revisions this code needs.

    A database at a revision this code does not know was migrated by a newer release. Releases
    keep migrations additive between neighbours, so a process of the previous release may still
    (re)start during a rolling upgrade; a breaking release says so in its notes.
    """
    from crossdock.core.errors import ConfigurationError

    at, newest = current(url), head()
    if at == newest:
        return
    if at is not None and at not in known_revisions():
        logging.getLogger("crossdock.migrate").warning(
            "the database is at revision %s, newer than this code's %s (rolling upgrade)",
            at,
            newest,
        )
        return
    raise ConfigurationError(
        "store.url",
        f"the database is at revision {at or 'none'}, this crossdock needs {newest}: "
        "run `crossdock migrate` first",
    )


def current(url: str) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    from crossdock.integration.store.engine import build_engine

    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            revision: str | None = MigrationContext.configure(connection).get_current_revision()
            return revision
    finally:
        engine.dispose()
