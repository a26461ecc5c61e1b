"""``SqlStore`` itself on PostgreSQL: its worker threads and its connection pool fit together."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import text

from crossdock.integration.store.sql import SqlStore
from postgres import postgres_schema


async def test_every_store_thread_holds_a_transaction_at_once_on_postgresql() -> None:
    with postgres_schema() as url:
        store = SqlStore(url)
        barrier = threading.Barrier(store.threads)

        def hold_a_transaction() -> int:
            with store.unit_of_work() as uow:
                barrier.wait(30)  # every thread is inside its own transaction now
                return int(uow.connection.execute(text("SELECT pg_backend_pid()")).scalar_one())

        try:
            pids = await asyncio.gather(
                *(store.run(hold_a_transaction) for _ in range(store.threads))
            )
        finally:
            store.close()

    assert store.threads > 1
    assert store.threads <= store.engine.pool.size()
    assert len(set(pids)) == store.threads
