"""Alembic environment: migrations run against crossdock's own engine settings."""

from __future__ import annotations

from alembic import context

from crossdock.integration.store.engine import build_engine
from crossdock.integration.store.schema import metadata

url = context.config.get_main_option("sqlalchemy.url") or "sqlite:///./crossdock.db"


def run_migrations_online() -> None:
    """Migrate with a live connection (SQLite batch mode lets ALTERs work there too)."""
    engine = build_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
