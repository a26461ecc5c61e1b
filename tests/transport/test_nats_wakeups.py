"""Wake-ups between processes: each ``NatsWakeups`` here has a connection of its own, as two
worker processes would."""

from __future__ import annotations

import asyncio

from .adapters import nats_broker, unique_tenant
from .test_wakeups_contract import NOTIFIED_WITHIN_S


async def test_a_notification_in_one_process_wakes_a_waiter_in_another() -> None:
    tenant = unique_tenant()
    async with nats_broker(tenant) as api, nats_broker(tenant) as worker:
        waiter = asyncio.create_task(worker.wakeups.wait("delivery:legacy_erp", NOTIFIED_WITHIN_S))

        api.wakeups.notify("delivery:legacy_erp")

        assert await waiter is True


async def test_a_notification_reaches_another_process_that_starts_waiting_later() -> None:
    tenant = unique_tenant()
    async with nats_broker(tenant) as api, nats_broker(tenant) as worker:
        api.wakeups.notify("inbox")
        assert await api.wakeups.wait("inbox", NOTIFIED_WITHIN_S) is True  # here: at once

        assert await worker.wakeups.wait("inbox", NOTIFIED_WITHIN_S) is True  # there: soon


async def test_a_notification_from_a_store_thread_reaches_another_process() -> None:
    tenant = unique_tenant()
    async with nats_broker(tenant) as api, nats_broker(tenant) as worker:
        waiter = asyncio.create_task(worker.wakeups.wait("outbox", NOTIFIED_WITHIN_S))

        await asyncio.to_thread(api.wakeups.notify, "outbox")

        assert await waiter is True


async def test_topics_with_any_characters_travel_intact() -> None:
    tenant = unique_tenant()
    topic = "delivery:erp.eu west/1:*>%"
    async with nats_broker(tenant) as api, nats_broker(tenant) as worker:
        decoy = asyncio.create_task(worker.wakeups.wait("delivery:erp", 0.3))
        waiter = asyncio.create_task(worker.wakeups.wait(topic, NOTIFIED_WITHIN_S))

        api.wakeups.notify(topic)

        assert await waiter is True
        assert await decoy is False


async def test_a_tenant_never_wakes_another_tenants_workers() -> None:
    acme, globex = unique_tenant(), unique_tenant()
    async with (
        nats_broker(acme) as acme_api,
        nats_broker(acme) as acme_worker,
        nats_broker(globex) as globex_worker,
    ):
        other_tenant = asyncio.create_task(globex_worker.wakeups.wait("inbox", 0.3))
        own_tenant = asyncio.create_task(acme_worker.wakeups.wait("inbox", NOTIFIED_WITHIN_S))

        acme_api.wakeups.notify("inbox")

        assert await own_tenant is True  # the wake-up did go out
        assert await other_tenant is False
