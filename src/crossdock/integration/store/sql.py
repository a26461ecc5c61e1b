"""``SqlStore``: the store port over SQLAlchemy Core, for SQLite and PostgreSQL alike.

Dialect differences stay in this package (:mod:`.engine` and the ``sql_*`` repository modules):
``INSERT … ON CONFLICT DO NOTHING`` (both dialects spell it the same way through their own
``insert``), ``FOR UPDATE SKIP LOCKED`` (PostgreSQL locks rows; SQLite's ``BEGIN IMMEDIATE``
already serialises writers). ``docs/store.md`` compares the two.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from crossdock.core.errors import RetryableError
from crossdock.integration.store.engine import build_engine, is_sqlite
from crossdock.integration.store.schema import metadata
from crossdock.integration.store.sql_deliveries import SqlDeliveryRepository, SqlOutboxRepository
from crossdock.integration.store.sql_inventory import SqlInventoryRepository
from crossdock.integration.store.sql_masterdata import SqlMasterDataRepository
from crossdock.integration.store.sql_operations import (
    SqlBindingRepository,
    SqlExceptionRepository,
    SqlSystemStateRepository,
)
from crossdock.integration.store.sql_orders import SqlInboxRepository, SqlOrderRepository
from crossdock.integration.store.sql_partner_documents import SqlPartnerDocumentRepository
from crossdock.integration.store.sql_timeline import SqlTimelineRepository, SqlTimerRepository

T = TypeVar("T")

POSTGRES_THREADS = 8
"""Store threads per process on PostgreSQL: steps, claims and records of one worker overlap,
each in its own transaction on its own pooled connection (``POSTGRES_POOL_SIZE`` ≥ this)."""


class SqlUnitOfWork:
    """One transaction over every repository."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.orders = SqlOrderRepository(connection)
        self.inbox = SqlInboxRepository(connection)
        self.deliveries = SqlDeliveryRepository(connection)
        self.outbox = SqlOutboxRepository(connection)
        self.timers = SqlTimerRepository(connection)
        self.timeline = SqlTimelineRepository(connection)
        self.inventory = SqlInventoryRepository(connection)
        self.masterdata = SqlMasterDataRepository(connection)
        self.exceptions = SqlExceptionRepository(connection)
        self.bindings = SqlBindingRepository(connection)
        self.systems = SqlSystemStateRepository(connection)
        self.partner_documents = SqlPartnerDocumentRepository(connection)


class SqlStore:
    """Opens units of work on one database."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or build_engine(url)
        self.sqlite = is_sqlite(url)
        # SQLite has one writer at a time. Queueing writers on a lock in this process is far
        # cheaper than letting them spin in SQLite's busy handler.
        self._write_lock = threading.Lock() if self.sqlite else None
        self.threads = 1 if self.sqlite else POSTGRES_THREADS
        """Worker threads of :meth:`run` (fewer than the engine's pool: none waits for one)."""
        self._executor = ThreadPoolExecutor(
            max_workers=self.threads, thread_name_prefix="crossdock-store"
        )

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Run blocking store work on the store's worker thread(s)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    def create_schema(self) -> None:
        """Create every table (tests and benchmarks; production runs ``crossdock migrate``)."""
        metadata.create_all(self.engine)

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[SqlUnitOfWork]:
        """A transaction: commits on a clean exit, rolls back on an exception."""
        lock = self._write_lock if write and self._write_lock else nullcontext()
        options = {} if write or not self.sqlite else {"sqlite_begin": "DEFERRED"}
        with lock:
            try:
                with (
                    self.engine.connect().execution_options(**options) as connection,
                    connection.begin(),
                ):
                    yield SqlUnitOfWork(connection)
            except SQLAlchemyError as exc:
                raise RetryableError(f"store: {exc.__class__.__name__}: {exc}") from exc

    def durable_commit_rate(self, commits: int) -> float:
        """Commits per second of one tiny row each: the database's own ceiling on this disk."""
        import time

        from sqlalchemy import Column, Integer, MetaData, Table, insert

        probe = Table("bench_probe", MetaData(), Column("n", Integer, primary_key=True))
        probe.create(self.engine, checkfirst=True)
        started = time.perf_counter()
        for n in range(commits):
            with self.unit_of_work() as uow:
                uow.connection.execute(insert(probe).values(n=n))
        elapsed = time.perf_counter() - started
        probe.drop(self.engine)
        return commits / elapsed

    def close(self) -> None:
        """Finish queued work and dispose of pooled connections."""
        self._executor.shutdown(wait=True)
        self.engine.dispose()
