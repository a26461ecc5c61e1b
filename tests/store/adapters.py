"""Every adapter of the store port, as a way to get a fresh, empty database for one test.

The contract suite runs once per entry of :data:`ADAPTERS`. A new adapter (say a second
PostgreSQL driver) is one more entry: a name and a function that prepares an empty database and
returns its URL, or skips with the reason it cannot run here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crossdock.integration.store.memory import MemoryDatabase, MemoryStore
from crossdock.integration.store.migrate import upgrade
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.store import Store
from postgres import create_postgres_schema, drop_postgres_schema


@dataclass(frozen=True, slots=True)
class StoreAdapter:
    """One way of standing up the store's database."""

    name: str
    prepare: Callable[[Path], str]
    """Create an empty database with the full schema (under the test's ``tmp_path`` if it is a
    file) and return its URL; call ``pytest.skip`` when the adapter cannot run here."""
    shared: bool = True
    """Whether more than one store (or process) can open the same database by its URL."""
    dispose: Callable[[str], None] | None = None
    """Remove what ``prepare`` made outside ``tmp_path`` (a server-side schema), given its URL."""
    connect: Callable[[str], Store] = SqlStore
    """Open a store on the database ``prepare`` made (each call: one more store on that data)."""
    shares_across_processes: bool = True
    """Whether another process can open the database by its URL (not one that lives in memory)."""


def _sqlite_created(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/s.db"
    store = SqlStore(url)
    store.create_schema()
    store.close()
    return url


def _sqlite_migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/migrated.db"
    upgrade(url)
    return url


def _postgres_created(_tmp_path: Path) -> str:
    # A schema of its own per test (see tests/postgres.py): parallel and repeated runs never meet.
    url = create_postgres_schema()
    store = SqlStore(url)
    try:
        store.create_schema()
    finally:
        store.close()
    return url


def _postgres_migrated(_tmp_path: Path) -> str:
    url = create_postgres_schema()
    upgrade(url)
    return url


_MEMORY_DATABASES: dict[str, MemoryDatabase] = {}
"""In-memory databases by URL, so that several stores (and threads) of one test share one."""


def _memory_created(tmp_path: Path) -> str:
    url = f"memory://{tmp_path}"
    _MEMORY_DATABASES[url] = MemoryDatabase()
    return url


def _memory_store(url: str) -> Store:
    return MemoryStore(_MEMORY_DATABASES[url])


def _memory_dropped(url: str) -> None:
    _MEMORY_DATABASES.pop(url, None)


ADAPTERS: tuple[StoreAdapter, ...] = (
    StoreAdapter("sqlite", _sqlite_created),
    # The same contract on a database built by the Alembic migrations instead of create_all:
    # if a migration drifts from the schema (a missing unique key, a partial index), this fails.
    StoreAdapter("sqlite-migrated", _sqlite_migrated, shared=False),
    StoreAdapter("postgresql", _postgres_created, dispose=drop_postgres_schema),
    StoreAdapter(
        "postgresql-migrated", _postgres_migrated, shared=False, dispose=drop_postgres_schema
    ),
    # The reference of the port's semantics, and the store of fast tests.
    StoreAdapter(
        "memory",
        _memory_created,
        dispose=_memory_dropped,
        connect=_memory_store,
        shares_across_processes=False,
    ),
)
