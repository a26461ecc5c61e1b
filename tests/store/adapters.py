"""Every adapter of the store port, as a way to get a fresh, empty database for one test.

The contract suite runs once per entry of :data:`ADAPTERS`. A new adapter (say a second
PostgreSQL driver) is one more entry: a name and a function that prepares an empty database and
returns its URL, or skips with the reason it cannot run here.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from crossdock.integration.store.migrate import upgrade
from crossdock.integration.store.schema import metadata
from crossdock.integration.store.sql import SqlStore

POSTGRES_URL_VARIABLE = "CROSSDOCK_TEST_POSTGRES_URL"


@dataclass(frozen=True, slots=True)
class StoreAdapter:
    """One way of standing up the store's database."""

    name: str
    prepare: Callable[[Path], str]
    """Create an empty database with the full schema (under the test's ``tmp_path`` if it is a
    file) and return its URL; call ``pytest.skip`` when the adapter cannot run here."""
    shared: bool = True
    """Whether more than one store (or process) can open the same database by its URL."""


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


def _postgres(_tmp_path: Path) -> str:
    url = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not url:
        pytest.skip(f"set {POSTGRES_URL_VARIABLE} to run the contract suite against PostgreSQL")
    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is None:
        pytest.skip("no PostgreSQL driver (psycopg) is installed")
    engine = create_engine(url)
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
    finally:
        engine.dispose()
    return url


ADAPTERS: tuple[StoreAdapter, ...] = (
    StoreAdapter("sqlite", _sqlite_created),
    # The same contract on a database built by the Alembic migrations instead of create_all:
    # if a migration drifts from the schema (a missing unique key, a partial index), this fails.
    StoreAdapter("sqlite-migrated", _sqlite_migrated, shared=False),
    StoreAdapter("postgresql", _postgres),
)
