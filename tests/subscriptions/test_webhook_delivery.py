"""Webhook deliveries: signed CloudEvents, retries, exceptions, and addresses checked again."""

from __future__ import annotations

import json
from datetime import timedelta

from crossdock.core.order import OrderStatus

from .world import ACME_URL, World, verify

ACCEPTED = "crossdock.order.accepted.v1"


async def test_a_partner_receives_its_event_as_a_signed_cloudevent(sqlite_world: World) -> None:
    world = sqlite_world
    issued = world.subscriptions.create("acme", ACME_URL, [ACCEPTED])
    world.hub.submit("O-1", customer="C-A")

    await world.drain()

    [request] = world.endpoint.requests
    event = json.loads(request.content)
    assert request.method == "POST"
    assert request.headers["Host"] == "hooks.acme.example"
    assert request.url.host == "93.184.216.34"  # the address that passed the check
    assert request.extensions["sni_hostname"] == "hooks.acme.example"
    assert request.headers["Content-Type"] == "application/cloudevents+json"
    assert (event["type"], event["subject"], event["specversion"]) == (ACCEPTED, "O-1", "1.0")
    assert request.headers["webhook-id"] == event["id"]
    assert int(request.headers["webhook-timestamp"]) == int(world.clock.now().timestamp())
    assert verify(issued.secret, request)
    assert not verify(world.subscriptions.create("acme", ACME_URL, [ACCEPTED]).secret, request)


async def test_a_failing_endpoint_is_retried_then_raised_as_an_exception_and_the_order_goes_on(
    world: World,
) -> None:
    world.subscriptions.create("acme", ACME_URL, [ACCEPTED])
    world.endpoint.statuses = [503, 503, 503]
    world.hub.submit("O-1", customer="C-A")
    await world.drain()

    for _ in range(2):  # the webhook policy: 3 attempts, 10 s then 20 s apart
        world.clock.advance(timedelta(seconds=30))
        await world.drain()

    assert len(world.endpoint.requests) == 3
    [raised] = world.hub.exceptions_of("O-1")
    assert (raised.system, raised.operation) == ("webhooks", "deliver_event")
    assert raised.classification == "exhausted"
    assert "503" in raised.error
    row = world.hub.row("O-1")
    assert world.hub.state("O-1").hold_reasons == ()
    assert row.status is not OrderStatus.RECEIVED
    assert "webhook delivery of an event of this order failed" in world.hub.summaries("O-1")


async def test_a_callback_host_rebound_to_a_private_address_is_refused_for_good(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    world.subscriptions.create("acme", ACME_URL, [ACCEPTED])
    world.names.table["hooks.acme.example"] = ["10.0.0.5"]  # DNS rebinding after the check
    world.hub.submit("O-1", customer="C-A")

    await world.drain()

    assert world.endpoint.requests == []
    [raised] = world.hub.exceptions_of("O-1")
    assert raised.classification == "permanent"
    assert "10.0.0.5 is a private address" in raised.error
    assert world.hub.state("O-1").hold_reasons == ()


async def test_an_endpoint_that_is_gone_disables_its_subscription(sqlite_world: World) -> None:
    world = sqlite_world
    issued = world.subscriptions.create("acme", ACME_URL, [ACCEPTED])
    world.endpoint.statuses = [410]
    world.hub.submit("O-1", customer="C-A")
    await world.drain()

    world.hub.submit("O-2", customer="C-A")
    await world.drain()

    assert len(world.endpoint.requests) == 1
    assert world.subscriptions.subscriptions("acme") == []
    target = world.subscriptions.target(issued.subscription.subscription_id)
    assert target is not None
    assert not target.active


async def test_a_partner_asking_to_slow_down_is_retried_after_its_wait(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    world.subscriptions.create("acme", ACME_URL, [ACCEPTED])
    world.endpoint.statuses = [429]
    world.hub.submit("O-1", customer="C-A")
    await world.drain()

    world.clock.advance(timedelta(seconds=10))  # the backoff alone would allow a retry now …
    await world.drain()
    retried_early = len(world.endpoint.requests) > 1
    world.clock.advance(timedelta(seconds=60))  # … but the partner said Retry-After: 60
    await world.drain()

    assert not retried_early
    assert len(world.endpoint.requests) == 2
    assert world.hub.exceptions_of("O-1") == []
