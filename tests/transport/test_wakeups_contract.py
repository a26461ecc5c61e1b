"""The ``Wakeups`` contract, run against every adapter (in-process, NATS).

A waiter gives every wait a deadline; these tests wait on outcomes, never on the clock, except
the one that checks a wait with nothing to wake it lasts its timeout.
"""

from __future__ import annotations

import asyncio
import time

from crossdock.orchestration.wakeups import Wakeups

NOTIFIED_WITHIN_S = 5.0
"""The deadline for a wake-up that should arrive (it normally takes microseconds)."""


async def test_a_notification_before_the_wait_is_kept_for_the_waiter(wakeups: Wakeups) -> None:
    wakeups.notify("inbox")

    started = time.monotonic()
    assert await wakeups.wait("inbox", NOTIFIED_WITHIN_S) is True
    assert time.monotonic() - started < NOTIFIED_WITHIN_S / 2


async def test_a_notification_wakes_a_waiter_that_is_already_waiting(wakeups: Wakeups) -> None:
    waiter = asyncio.create_task(wakeups.wait("delivery:legacy_erp", NOTIFIED_WITHIN_S))
    await asyncio.sleep(0)  # let the waiter start waiting (a scheduling point, not a delay)

    wakeups.notify("delivery:legacy_erp")

    assert await waiter is True


async def test_a_wait_with_nothing_to_wake_it_returns_false_after_its_timeout(
    wakeups: Wakeups,
) -> None:
    started = time.monotonic()

    assert await wakeups.wait("outbox", 0.2) is False
    assert time.monotonic() - started >= 0.18  # the loop's timer may round a little


async def test_a_notification_is_consumed_by_the_wait_it_wakes(wakeups: Wakeups) -> None:
    wakeups.notify("timers")

    assert await wakeups.wait("timers", NOTIFIED_WITHIN_S) is True
    assert await wakeups.wait("timers", 0.05) is False


async def test_a_notification_wakes_only_its_own_topic(wakeups: Wakeups) -> None:
    wakeups.notify("delivery:wms")

    assert await wakeups.wait("delivery:legacy_erp", 0.05) is False
    assert await wakeups.wait("delivery:wms", NOTIFIED_WITHIN_S) is True


async def test_a_notification_from_another_thread_wakes_the_waiter(wakeups: Wakeups) -> None:
    waiter = asyncio.create_task(wakeups.wait("delivery:cloud_erp", NOTIFIED_WITHIN_S))
    await asyncio.sleep(0)  # let the waiter start waiting

    await asyncio.to_thread(wakeups.notify, "delivery:cloud_erp")  # as the store's workers do

    assert await waiter is True
