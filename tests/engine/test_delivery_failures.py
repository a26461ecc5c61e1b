"""What the engine does when an external system fails: back off, hold, resume, take over."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from crossdock.core.errors import PermanentError, RetryableError
from crossdock.core.order import OrderStatus
from crossdock.orchestration.retry import RetryPolicy

from .hub import Hub

S = OrderStatus
ERP = "legacy_erp"
BOOK = "create_sales_order"


async def test_a_retryable_failure_is_tried_again_only_after_its_backoff(hub: Hub) -> None:
    hub.gateways[ERP].fail(BOOK, RetryableError("503 Service Unavailable"))
    order_id = hub.submit("O-1")

    await hub.drain()
    assert hub.status(order_id) is S.ROUTED
    [booking] = hub.deliveries(order_id, BOOK)
    assert (booking.status, booking.attempts) == ("pending", 1)

    hub.clock.advance(timedelta(seconds=9))
    await hub.drain()
    assert len(hub.gateways[ERP].keys(BOOK)) == 1

    hub.clock.advance(timedelta(seconds=1))
    await hub.drain()
    assert hub.status(order_id) is S.RELEASED
    assert hub.gateways[ERP].keys(BOOK) == ["O-1:create_sales_order"] * 2
    attempts = [e for e in hub.timeline(order_id) if e.summary.startswith(BOOK)]
    assert [e.kind for e in attempts] == ["delivery", "delivery"]
    assert attempts[0].summary == (
        "create_sales_order to legacy_erp, attempt 1 failed, retry in 10.0s: "
        "503 Service Unavailable"
    )
    assert attempts[1].summary == "create_sales_order to legacy_erp, attempt 2: accepted"


async def test_a_permanent_failure_holds_the_order_with_the_system_and_the_error(
    hub: Hub,
) -> None:
    hub.gateways[ERP].fail(BOOK, PermanentError("422 customer C-A is blocked"))
    order_id = hub.submit("O-1")

    await hub.drain()

    [booking] = hub.deliveries(order_id, BOOK)
    assert (booking.status, booking.last_error) == ("failed", "422 customer C-A is blocked")
    assert hub.status(order_id) is S.ON_HOLD
    assert hub.state(order_id).hold_reasons == (
        "create_sales_order to legacy_erp failed: 422 customer C-A is blocked",
    )
    failure = next(e for e in hub.timeline(order_id) if e.kind == "exception")
    assert failure.system == ERP
    assert "failed (permanent): 422 customer C-A is blocked" in failure.summary
    assert len(hub.gateways[ERP].keys(BOOK)) == 1


async def test_releasing_the_hold_rearms_the_booking_and_the_order_then_closes(
    hub: Hub,
) -> None:
    hub.gateways[ERP].fail(BOOK, PermanentError("422 customer C-A is blocked"))
    order_id = hub.submit("O-1")
    await hub.drain()
    assert hub.status(order_id) is S.ON_HOLD

    assert hub.desk.release_hold(order_id, "ops@acme", "customer unblocked in the ERP")
    await hub.drain()
    assert hub.status(order_id) is S.RELEASED
    hub.report(order_id, "evt-1")
    await hub.drain()

    assert hub.status(order_id) is S.CLOSED
    [booking] = hub.deliveries(order_id, BOOK)
    assert booking.status == "done"
    assert hub.gateways[ERP].keys(BOOK) == ["O-1:create_sales_order"] * 2


async def test_a_hold_released_days_later_still_gets_its_full_retry_budget(hub: Hub) -> None:
    hub.gateways[ERP].fail(BOOK, PermanentError("422 customer C-A is blocked"))
    order_id = hub.submit("O-1")
    await hub.drain()

    hub.clock.advance(timedelta(days=3))
    await hub.drain()  # the weekend passes: the stale booking timer fires and is ignored
    hub.gateways[ERP].fail(BOOK, RetryableError("503 Service Unavailable"))
    hub.desk.release_hold(order_id, "ops@acme")
    await hub.drain()
    assert hub.status(order_id) is S.ROUTED
    hub.clock.advance(timedelta(seconds=10))
    await hub.drain()

    assert hub.status(order_id) is S.RELEASED


async def test_a_delivery_that_runs_out_of_attempts_holds_the_order(database_url: str) -> None:
    hub = Hub(database_url, retry=RetryPolicy(max_attempts=3, jitter=0.0))
    hub.gateways[ERP].break_down(BOOK, RetryableError("connection refused"))
    order_id = hub.submit("O-1")

    for _ in range(5):
        await hub.drain()
        hub.clock.advance(timedelta(seconds=5))

    assert len(hub.gateways[ERP].keys(BOOK)) == 3
    [booking] = hub.deliveries(order_id, BOOK)
    assert booking.status == "failed"
    assert hub.status(order_id) is S.ON_HOLD
    assert hub.state(order_id).hold_reasons == (
        "create_sales_order to legacy_erp failed: connection refused",
    )
    assert "attempt 3 failed (exhausted): connection refused" in hub.summaries(order_id)
    [exhausted] = [e for e in hub.timeline(order_id) if e.kind == "exception"]
    assert exhausted.summary.endswith("failed (exhausted): connection refused")
    hub.close()


async def test_an_order_not_booked_by_its_deadline_goes_on_hold(hub: Hub) -> None:
    hub.gateways[ERP].break_down(BOOK, RetryableError("503 Service Unavailable"))
    order_id = hub.submit("O-1")

    for _ in range(29):
        await hub.drain()
        hub.clock.advance(timedelta(minutes=1))
    await hub.drain()
    assert hub.status(order_id) is S.ROUTED

    hub.clock.advance(timedelta(minutes=1))
    assert hub.timers.fire_due() == 1
    await hub.drain()

    assert hub.status(order_id) is S.ON_HOLD
    assert hub.state(order_id).hold_reasons == ("not booked in legacy_erp within 30 minutes",)
    assert len(hub.gateways[ERP].keys(BOOK)) > 3


async def test_a_delivery_whose_worker_died_is_taken_over_once_its_lease_runs_out(
    hub: Hub,
) -> None:
    erp = hub.gateways[ERP]
    erp.stall = asyncio.Event()
    order_id = hub.submit("O-1")
    hub.steps.run_batch()

    dying = asyncio.create_task(hub.delivery_worker().run_once(ERP))
    await asyncio.wait_for(erp.stalled.wait(), timeout=5)
    dying.cancel()

    assert (await hub.runner.run_once(ERP)).attempted == 0
    hub.clock.advance(timedelta(seconds=59))
    assert (await hub.runner.run_once(ERP)).attempted == 0
    hub.clock.advance(timedelta(seconds=1))
    await hub.drain()

    assert erp.keys(BOOK) == ["O-1:create_sales_order"] * 2
    assert hub.status(order_id) is S.RELEASED
    [booking] = hub.deliveries(order_id, BOOK)
    assert (booking.status, booking.attempts) == ("done", 2)
