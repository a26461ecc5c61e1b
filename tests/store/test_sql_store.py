"""``SqlStore`` itself on PostgreSQL: its worker threads and its connection pool fit together, and
concurrent writers of one row do not lose each other's changes."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from sqlalchemy import text

from crossdock.integration.store.migrate import upgrade
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.store_ops import ExceptionChange, ExceptionRecord
from postgres import postgres_schema
from waiting import eventually


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


async def test_two_changes_of_one_exception_at_once_both_stand_on_postgresql() -> None:
    # An operator resolves an exception while the SLA sweep writes its alert's bookkeeping: the
    # second writer must see the first one's change, not write back what it read before it.
    with postgres_schema() as url:
        upgrade(url)
        store, other = SqlStore(url), SqlStore(url)
        with store.unit_of_work() as uow:
            raised = uow.exceptions.raise_exception(_an_exception())
        resolving = threading.Event()
        release = threading.Event()

        def resolve() -> None:
            with store.unit_of_work() as uow:
                uow.exceptions.change(raised.exception_id, ExceptionChange(status="resolved"), T1)
                resolving.set()
                release.wait(30)  # hold the row until the other writer is waiting for it

        def tag() -> None:
            resolving.wait(30)
            with other.unit_of_work() as uow:
                uow.exceptions.change(raised.exception_id, ExceptionChange(tags=("vip",)), T1)

        def waiting_for_a_lock() -> bool:
            with store.engine.connect() as connection:
                return bool(
                    connection.execute(
                        text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    ).scalar_one()
                )

        try:
            first = asyncio.get_running_loop().run_in_executor(None, resolve)
            second = asyncio.get_running_loop().run_in_executor(None, tag)
            await eventually(waiting_for_a_lock, timeout_s=10, what="the tagger waiting")
            release.set()
            await asyncio.gather(first, second)
            with store.unit_of_work(write=False) as uow:
                stored = uow.exceptions.get(raised.exception_id)
        finally:
            release.set()
            store.close()
            other.close()

    assert stored is not None
    assert (stored.status, stored.tags) == ("resolved", ("vip",))


T1 = datetime(2026, 1, 2, tzinfo=UTC)


def _an_exception() -> ExceptionRecord:
    return ExceptionRecord(
        exception_id="",
        order_id="O-1",
        system="erp",
        operation="create_sales_order",
        source="delivery",
        delivery_id="d-1",
        request={"kind": "create_sales_order", "order_id": "O-1"},
        error="erp answered 422",
        error_type="http_422",
        attempts=1,
        first_seen=T1,
        last_seen=T1,
    )
