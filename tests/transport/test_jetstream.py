"""What the JetStream transport guarantees beyond the contract: the stream, the subjects, the
headers, and that nothing counts as published without the stream's acknowledgement."""

from __future__ import annotations

import asyncio

import pytest
from nats.js.api import StorageType, StreamConfig

from crossdock.core.errors import RetryableError
from crossdock.integration.transport.broker import StreamSettings, connect_broker
from servers import require_nats

from .adapters import nats_broker, unique_tenant
from .another_team import delete_stream, durable_consumer, jetstream
from .events import outbox_record


async def test_the_stream_is_created_on_connect_with_file_storage_and_a_two_minute_window() -> None:
    tenant = unique_tenant()
    async with nats_broker(tenant) as broker, jetstream(require_nats()) as js:
        info = await js.stream_info(f"CROSSDOCK_{tenant.upper()}")

    assert broker.transport.stream_name == f"CROSSDOCK_{tenant.upper()}"
    assert info.config.subjects == [f"crossdock.{tenant}.order.>"]
    assert info.config.storage == StorageType.FILE
    assert info.config.duplicate_window == 120
    assert info.config.num_replicas == 1


async def test_an_existing_stream_gets_our_settings_and_keeps_the_limits_an_operator_set() -> None:
    url, tenant = require_nats(), unique_tenant()
    name = f"CROSSDOCK_{tenant.upper()}"
    async with jetstream(url) as js:
        await js.add_stream(
            StreamConfig(
                name=name,
                subjects=[f"crossdock.{tenant}.order.>"],
                storage=StorageType.FILE,
                duplicate_window=10,
                max_msgs=100_000,
            )
        )
    try:
        broker = await connect_broker(url, tenant=tenant, stream=StreamSettings(max_age_s=86_400))
        await broker.aclose()
        async with jetstream(url) as js:
            info = await js.stream_info(name)
    finally:
        await delete_stream(url, name)

    assert info.config.duplicate_window == 120
    assert info.config.max_age == 86_400
    assert info.config.max_msgs == 100_000


async def test_each_event_goes_to_its_tenants_order_subject_with_cloudevent_headers() -> None:
    tenant = unique_tenant()
    record = outbox_record("shipment_confirmed", order_id="O-3003", causation_id="msg-9")
    async with (
        nats_broker(tenant) as broker,
        durable_consumer(require_nats(), tenant, broker.transport.stream_name) as consumer,
    ):
        await broker.transport.publish([record])
        await consumer.received(1)

    [message] = consumer.messages
    assert message.subject == f"crossdock.{tenant}.order.shipment_confirmed"
    headers = message.headers or {}
    assert headers["Nats-Msg-Id"] == record.event_id
    assert headers["Content-Type"] == "application/cloudevents+json"
    assert headers["ce-id"] == record.event_id
    assert headers["ce-type"] == "crossdock.order.shipment_confirmed.v1"
    assert headers["ce-correlationid"] == "O-3003"
    assert headers["ce-causationid"] == "msg-9"
    assert "ce-data" not in headers


async def test_publishing_the_same_event_twice_stores_it_once() -> None:
    first, second = outbox_record("accepted"), outbox_record("routed")
    async with nats_broker() as broker, jetstream(require_nats()) as js:
        await broker.transport.publish([first, second])
        await broker.transport.publish([first, second])  # the relay retrying a whole batch
        info = await js.stream_info(broker.transport.stream_name)

    assert info.state.messages == 2


async def test_a_durable_consumer_resumes_where_it_stopped_and_sees_each_event_once() -> None:
    url, tenant = require_nats(), unique_tenant()
    before, after = outbox_record("accepted"), outbox_record("routed")
    async with nats_broker(tenant) as broker:
        stream = broker.transport.stream_name
        async with durable_consumer(url, tenant, stream) as consumer:
            await broker.transport.publish([before])
            assert [e["id"] for e in await consumer.received(1)] == [before.event_id]
        await broker.transport.publish([after, before])  # "before" again: a relay retry
        async with durable_consumer(url, tenant, stream) as consumer:  # same durable name
            assert [e["id"] for e in await consumer.received(1)] == [after.event_id]
        async with jetstream(url) as js:
            assert (await js.consumer_info(stream, "billing")).num_pending == 0


async def test_wake_ups_are_not_stored_in_the_event_stream() -> None:
    async with nats_broker() as broker, jetstream(require_nats()) as js:
        broker.wakeups.notify("delivery:legacy_erp")
        await broker.transport.publish([outbox_record("accepted")])  # after the wake-up is sent
        info = await js.stream_info(broker.transport.stream_name)

    assert info.state.messages == 1


async def test_an_event_no_stream_acknowledges_is_a_retryable_failure() -> None:
    url = require_nats()
    async with nats_broker() as broker:
        await delete_stream(url, broker.transport.stream_name)  # an operator removed it

        with pytest.raises(RetryableError, match="no JetStream stream answered") as raised:
            await broker.transport.publish([outbox_record("accepted")])

    assert not isinstance(raised.value.__cause__, RetryableError)
    assert type(raised.value.__cause__).__module__.startswith("nats")


async def test_a_closed_transport_refuses_to_publish_rather_than_lose_events() -> None:
    async with nats_broker() as broker:
        await broker.transport.aclose()

        with pytest.raises(RetryableError, match="closed"):
            await broker.transport.publish([outbox_record("accepted")])


async def test_two_processes_starting_at_once_share_one_stream() -> None:
    url, tenant = require_nats(), unique_tenant()
    try:
        brokers = await asyncio.gather(*(connect_broker(url, tenant=tenant) for _ in range(3)))
        for broker in brokers:
            await broker.aclose()
    finally:
        await delete_stream(url, f"CROSSDOCK_{tenant.upper()}")

    assert {b.transport.stream_name for b in brokers} == {f"CROSSDOCK_{tenant.upper()}"}
