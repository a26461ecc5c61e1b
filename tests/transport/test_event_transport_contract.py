"""The ``EventTransport`` contract, run against every adapter (embedded, NATS JetStream).

For JetStream the subscriber is another team's durable pull consumer, created before the first
publish with nothing but nats-py: what it reads is what a real subscriber would read.
"""

from __future__ import annotations

from .adapters import TransportRig
from .events import outbox_record


async def test_events_reach_a_subscriber_in_the_order_they_were_published(
    rig: TransportRig,
) -> None:
    names = ["accepted", "routed", "booked", "shipment_confirmed", "invoiced", "closed"]
    records = [outbox_record(name) for name in names]

    await rig.transport.publish(records[:2])
    await rig.transport.publish(records[2:])

    received = await rig.subscriber.received(len(records))
    assert [event["id"] for event in received] == [record.event_id for record in records]
    assert [event["type"] for event in received] == [f"crossdock.order.{n}.v1" for n in names]


async def test_every_event_arrives_as_a_cloudevent_carrying_its_order_as_correlation_id(
    rig: TransportRig,
) -> None:
    record = outbox_record("shipment_confirmed", order_id="O-2002", causation_id="msg-42")

    await rig.transport.publish([record])

    [event] = await rig.subscriber.received(1)
    assert event["specversion"] == "1.0"
    assert event["id"] == record.event_id
    assert event["source"] == "urn:crossdock:hub"
    assert event["type"] == "crossdock.order.shipment_confirmed.v1"
    assert event["subject"] == "O-2002"
    assert event["correlationid"] == "O-2002"
    assert event["causationid"] == "msg-42"
    assert event["datacontenttype"] == "application/json"
    assert event["dataschema"] == "urn:crossdock:schema:order/shipment_confirmed:v1"
    assert event["time"] == record.created_at.isoformat()
    assert event["data"] == {"order_id": "O-2002", "event": "shipment_confirmed"}


async def test_publishing_nothing_sends_nothing(rig: TransportRig) -> None:
    await rig.transport.publish([])
    await rig.transport.publish([only := outbox_record("accepted")])

    assert [event["id"] for event in await rig.subscriber.received(1)] == [only.event_id]
