"""Building SQLAlchemy engines for the store: SQLite tuned for durability, PostgreSQL as given."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool, StaticPool

from crossdock.core.errors import RetryableError

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # FULL: a committed step survives a power cut, not only a process crash (D1).
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-65536",
)


POSTGRES_POOL_SIZE = 10
"""Connections a PostgreSQL engine keeps open: at least the store's worker threads (see
``SqlStore``), so each finds one, with room for work run outside them (the API's own threads)."""
POSTGRES_MAX_OVERFLOW = 10
"""Extra connections opened under a burst and closed once returned."""


def is_sqlite(url: str) -> bool:
    """Whether a database URL names SQLite."""
    return url.startswith("sqlite")


def build_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``.

    SQLite: WAL, ``synchronous=FULL``, and every transaction opened with ``BEGIN IMMEDIATE`` so a
    writer takes the lock up front instead of failing to upgrade a read lock later (the pysqlite
    driver's own transaction handling is switched off so SQLAlchemy's savepoints work).
    """
    if not is_sqlite(url):
        return create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=POSTGRES_POOL_SIZE,
            max_overflow=POSTGRES_MAX_OVERFLOW,
        )
    memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    kwargs["poolclass"] = StaticPool if memory else NullPool if ":memory:" in url else None
    if kwargs["poolclass"] is None:
        del kwargs["poolclass"]
    engine = create_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            if memory and "journal_mode" in pragma:
                continue
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def transaction(engine: Engine, what: str) -> Iterator[Connection]:
    """One transaction on ``engine`` for the stores beside the engine's own (access, idempotency
    records, subscriptions): commits on a clean exit. A database that cannot answer is a
    :class:`RetryableError` naming ``what`` (a 503 at the API); an ``IntegrityError`` passes
    through, for the caller to read as "already there"."""
    try:
        with engine.begin() as connection:
            yield connection
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise RetryableError(f"{what}: {exc.__class__.__name__}: {exc}") from exc
