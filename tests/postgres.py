"""Throwaway PostgreSQL schemas for tests: one per test, so runs never see each other's rows.

Any suite that needs PostgreSQL (the store contract, the engine, multi-process tests) does::

    from postgres import postgres_schema

    with postgres_schema() as url:  # skips (or fails in CI) when there is no server
        store = SqlStore(url)
        ...

The server is ``CROSSDOCK_TEST_POSTGRES_URL``, by default the local
``postgresql+psycopg://postgres@127.0.0.1:5432/test``. When it cannot be reached the test is
skipped with how to enable it, unless ``CROSSDOCK_REQUIRE_SERVERS=1`` (set by CI), which turns
the skip into a failure so a missing server cannot pass silently.

Each schema is ``t_<random hex>``; the URL it yields carries ``options=-csearch_path=t_…``, so every
connection made from it — another store, Alembic, a spawned process given the URL — lands in that
schema and nowhere else. The schema is dropped with everything in it when the block exits.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

POSTGRES_URL_VARIABLE = "CROSSDOCK_TEST_POSTGRES_URL"
REQUIRE_SERVERS_VARIABLE = "CROSSDOCK_REQUIRE_SERVERS"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_S = 3


def postgres_server_url() -> str:
    """The PostgreSQL server tests use (``CROSSDOCK_TEST_POSTGRES_URL`` or the local default)."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or DEFAULT_POSTGRES_URL


@functools.cache
def _unreachable_because(url: str) -> str | None:
    """Why the server at ``url`` cannot be used, or None when it answers (probed once a run)."""
    engine = create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, ImportError) as exc:
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        engine.dispose()
    return None


def require_postgres() -> str:
    """The server URL; skips the test when it is unreachable (fails under REQUIRE_SERVERS=1)."""
    url = postgres_server_url()
    reason = _unreachable_because(url)
    if reason is None:
        return url
    where = make_url(url).render_as_string(hide_password=True)
    message = (
        f"PostgreSQL at {where} is unreachable ({reason}): start PostgreSQL on 127.0.0.1:5432 "
        f"or set {POSTGRES_URL_VARIABLE}"
    )
    if os.environ.get(REQUIRE_SERVERS_VARIABLE) == "1":
        pytest.fail(f"{message} ({REQUIRE_SERVERS_VARIABLE}=1 requires every server)")
    pytest.skip(message)


def schema_url(server_url: str, schema: str) -> str:
    """``server_url`` with every connection's ``search_path`` set to ``schema``."""
    url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def create_postgres_schema(prefix: str = "t") -> str:
    """A new empty schema ``<prefix>_<random>`` on the test server; returns a URL that uses it.

    Skips (or fails) like :func:`require_postgres`. Pair with :func:`drop_postgres_schema`.
    """
    server = require_postgres()
    schema = f"{prefix}_{secrets.token_hex(6)}"
    _execute(server, f'CREATE SCHEMA "{schema}"')
    return schema_url(server, schema)


def drop_postgres_schema(url: str) -> None:
    """Drop the schema a :func:`create_postgres_schema` URL names, and everything in it."""
    parsed = make_url(url)
    options = parsed.query.get("options", "")
    schema = str(options).removeprefix("-csearch_path=")
    if not schema or schema == options:
        raise ValueError(f"not a test schema URL: {parsed.render_as_string()}")
    server = parsed.difference_update_query(["options"]).render_as_string(hide_password=False)
    _execute(server, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def postgres_schema(prefix: str = "t") -> Iterator[str]:
    """A new empty schema on the test server for the block; yields its URL, drops it after."""
    url = create_postgres_schema(prefix)
    try:
        yield url
    finally:
        drop_postgres_schema(url)


DATABASES = ("sqlite", "postgresql")
"""The databases a hub runs on: fixtures parametrized over them run each case on both."""


@contextmanager
def empty_database(kind: str, directory: Path, *, prefix: str = "t") -> Iterator[str]:
    """An empty database's URL for the block: a SQLite file in ``directory`` (``kind``
    ``sqlite``) or a throwaway PostgreSQL schema (which skips, or fails in CI, without a
    server)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory}/hub.db"
        return
    with postgres_schema(prefix) as url:
        yield url


def _execute(server_url: str, statement: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
