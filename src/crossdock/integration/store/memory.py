"""``MemoryStore``: the store port in memory, for fast tests and as the reference of its semantics.

It passes the same contract suite as ``SqlStore`` on SQLite and PostgreSQL. Transactions::

    MemoryDatabase      committed snapshot (immutable) + one writer lock
     └── MemoryStore    units of work and a worker thread; several stores may share a database
          └── MemoryUnitOfWork
                write=True   holds the writer lock; works on a copy-on-write fork of the snapshot;
                             a clean exit publishes the fork (one assignment), an exception drops it
                write=False  no lock: reads the snapshot committed when it began, refuses writes

Writers are serialised, so every write transaction is serializable; a reader sees one consistent
snapshot however long it reads. Nothing survives the process: a database shared by processes
needs SQLite or PostgreSQL.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from crossdock.integration.store.memory_deliveries import (
    MemoryDeliveryRepository,
    MemoryOutboxRepository,
)
from crossdock.integration.store.memory_inventory import MemoryInventoryRepository
from crossdock.integration.store.memory_masterdata import MemoryMasterDataRepository
from crossdock.integration.store.memory_operations import (
    MemoryBindingRepository,
    MemoryExceptionRepository,
    MemorySystemStateRepository,
)
from crossdock.integration.store.memory_orders import MemoryInboxRepository, MemoryOrderRepository
from crossdock.integration.store.memory_partner_documents import MemoryPartnerDocumentRepository
from crossdock.integration.store.memory_tables import MemoryTables
from crossdock.integration.store.memory_timeline import (
    MemoryTimelineRepository,
    MemoryTimerRepository,
)

T = TypeVar("T")


class MemoryDatabase:
    """The data that one or more :class:`MemoryStore` share, as a file is for SQLite."""

    def __init__(self) -> None:
        self._committed = MemoryTables()
        self._committed.seal()
        self._writer = threading.Lock()
        self._writer_thread: int | None = None

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[MemoryTables]:
        """The tables one unit of work sees; a write transaction publishes them on a clean exit."""
        if not write:
            # Reading the reference is atomic: the reader keeps this snapshot to the end.
            yield self._committed.fork(writable=False)
            return
        if self._writer_thread == threading.get_ident():
            # The SQL adapters would wait forever for their own lock (SQLite) or row (PostgreSQL).
            raise RuntimeError("a write unit of work is already open on this thread")
        with self._writer:
            self._writer_thread = threading.get_ident()
            working = self._committed.fork(writable=True)
            try:
                yield working
                working.seal()
                self._committed = working
            finally:
                working.seal()
                self._writer_thread = None


class MemoryUnitOfWork:
    """One transaction over every repository; unusable once it ended."""

    def __init__(self, tables: MemoryTables) -> None:
        self._open = True
        self._orders = MemoryOrderRepository(tables)
        self._inbox = MemoryInboxRepository(tables)
        self._deliveries = MemoryDeliveryRepository(tables)
        self._outbox = MemoryOutboxRepository(tables)
        self._timers = MemoryTimerRepository(tables)
        self._timeline = MemoryTimelineRepository(tables)
        self._inventory = MemoryInventoryRepository(tables)
        self._masterdata = MemoryMasterDataRepository(tables)
        self._exceptions = MemoryExceptionRepository(tables)
        self._bindings = MemoryBindingRepository(tables)
        self._systems = MemorySystemStateRepository(tables)
        self._partner_documents = MemoryPartnerDocumentRepository(tables)

    def end(self) -> None:
        """The transaction is over: committed, rolled back, or read."""
        self._open = False

    def _check(self) -> None:
        if not self._open:
            raise RuntimeError("this unit of work has ended; open a new one")

    @property
    def orders(self) -> MemoryOrderRepository:
        """The orders repository of this transaction."""
        self._check()
        return self._orders

    @property
    def inbox(self) -> MemoryInboxRepository:
        """The inbox repository of this transaction."""
        self._check()
        return self._inbox

    @property
    def deliveries(self) -> MemoryDeliveryRepository:
        """The deliveries repository of this transaction."""
        self._check()
        return self._deliveries

    @property
    def outbox(self) -> MemoryOutboxRepository:
        """The outbox repository of this transaction."""
        self._check()
        return self._outbox

    @property
    def timers(self) -> MemoryTimerRepository:
        """The timers repository of this transaction."""
        self._check()
        return self._timers

    @property
    def timeline(self) -> MemoryTimelineRepository:
        """The timeline repository of this transaction."""
        self._check()
        return self._timeline

    @property
    def inventory(self) -> MemoryInventoryRepository:
        """The inventory repository of this transaction."""
        self._check()
        return self._inventory

    @property
    def masterdata(self) -> MemoryMasterDataRepository:
        """The masterdata repository of this transaction."""
        self._check()
        return self._masterdata

    @property
    def exceptions(self) -> MemoryExceptionRepository:
        """The exception queue of this transaction."""
        self._check()
        return self._exceptions

    @property
    def bindings(self) -> MemoryBindingRepository:
        """The bindings repository of this transaction."""
        self._check()
        return self._bindings

    @property
    def systems(self) -> MemorySystemStateRepository:
        """The shared system states of this transaction."""
        self._check()
        return self._systems

    @property
    def partner_documents(self) -> MemoryPartnerDocumentRepository:
        """Archived partner files, control numbers and outbound documents of this transaction."""
        self._check()
        return self._partner_documents


class MemoryStore:
    """Opens units of work on a :class:`MemoryDatabase` (a new, empty one unless given)."""

    def __init__(self, database: MemoryDatabase | None = None) -> None:
        self.database = database if database is not None else MemoryDatabase()
        # One thread, like SQLite's: writers are serialised anyway.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crossdock-memory")

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[MemoryUnitOfWork]:
        """A transaction: commits on a clean exit, rolls back on an exception."""
        with self.database.transaction(write=write) as tables:
            uow = MemoryUnitOfWork(tables)
            try:
                yield uow
            finally:
                uow.end()

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Run blocking store work on the store's worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    def close(self) -> None:
        """Finish queued work. The database and its data stay for other stores that share it."""
        self._executor.shutdown(wait=True)
