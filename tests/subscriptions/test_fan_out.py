"""The fan-out: each committed event → one delivery per subscription that wants and may see it."""

from __future__ import annotations

from sqlalchemy import insert, update

from crossdock.integration.store import schema as t
from crossdock.integration.subscriptions.store import FAN_OUT_CURSOR

from .world import ACME_URL, BOLT_URL, World

ACCEPTED = "crossdock.order.accepted.v1"
ROUTED = "crossdock.order.routed.v1"


def webhook_deliveries(world: World, order_id: str) -> list[tuple[str, str]]:
    """(subscription, event type) of each webhook delivery queued for an order."""
    found = []
    for record in world.hub.deliveries(order_id, "deliver_event"):
        event = world.subscriptions.event(record.command["event_id"])
        assert event is not None
        found.append((record.command["subscription_id"], event.type))
    return sorted(found)


def subscribe(world: World, partner: str, url: str, *types: str) -> str:
    return world.subscriptions.create(partner, url, types).subscription.subscription_id


async def test_each_event_goes_to_the_subscriptions_that_want_its_type_and_see_its_order(
    world: World,
) -> None:
    acme_accepted = subscribe(world, "acme", ACME_URL, ACCEPTED)
    acme_routed = subscribe(world, "acme", ACME_URL, ROUTED)
    bolt_accepted = subscribe(world, "bolt", BOLT_URL, ACCEPTED)
    world.hub.submit("O-1", customer="C-A")
    world.hub.submit("O-2", customer="C-B")
    await world.hub.drain()

    fanned = await world.fan_out.run_once()

    assert webhook_deliveries(world, "O-1") == sorted(
        [(acme_accepted, ACCEPTED), (acme_routed, ROUTED)]
    )
    assert webhook_deliveries(world, "O-2") == [(bolt_accepted, ACCEPTED)]
    assert fanned.queued == 3


async def test_a_second_run_queues_nothing_even_from_a_rewound_cursor(world: World) -> None:
    subscribe(world, "acme", ACME_URL, ACCEPTED, ROUTED)
    world.hub.submit("O-1", customer="C-A")
    await world.hub.drain()
    first = await world.fan_out.run_once()

    again = await world.fan_out.run_once()
    with world.store.engine.begin() as c:  # as if a worker crashed before its cursor was saved
        c.execute(
            update(t.event_cursors)
            .where(t.event_cursors.c.name == FAN_OUT_CURSOR)
            .values(last_seq=0)
        )
    replayed = await world.fan_out.run_once()

    assert first.queued == 2
    assert (again.events, again.queued) == (0, 0)
    assert replayed.events == first.events
    assert replayed.queued == 0
    assert len(world.hub.deliveries("O-1", "deliver_event")) == 2


async def test_an_admin_partner_hears_of_every_order_and_a_deleted_subscription_of_none(
    world: World,
) -> None:
    world.access.add_partner("ops", admin=True)
    ops = subscribe(world, "ops", ACME_URL, ACCEPTED)
    gone = subscribe(world, "acme", ACME_URL, ACCEPTED)
    world.subscriptions.disable(gone, "acme")
    world.hub.submit("O-1", customer="C-A")
    world.hub.submit("O-2", customer="C-B")
    await world.hub.drain()

    await world.fan_out.run_once()

    assert webhook_deliveries(world, "O-1") == [(ops, ACCEPTED)]
    assert webhook_deliveries(world, "O-2") == [(ops, ACCEPTED)]


async def test_an_event_committed_late_below_the_cursor_is_still_fanned_out(
    postgres_world: World,
) -> None:
    world = postgres_world
    subscribe(world, "acme", ACME_URL, ACCEPTED)
    world.hub.submit("O-1", customer="C-A")
    await world.hub.drain()
    before = (await world.fan_out.run_once()).cursor
    event = {"order_id": "O-1", "type": ACCEPTED, "data": "{}", "created_at": world.clock.now()}

    with world.store.engine.connect() as slow:
        slow_tx = slow.begin()
        slow.execute(insert(t.outbox).values(event_id="late", **event))  # takes a position…
        with world.store.engine.begin() as c:  # …and a later one commits first
            c.execute(insert(t.outbox).values(event_id="early", **event))
        waiting = await world.fan_out.run_once()
        slow_tx.commit()
    caught_up = await world.fan_out.run_once()

    assert waiting.waiting_on_gap
    assert waiting.cursor == before
    assert caught_up.events == 2
    assert caught_up.queued == 2


async def test_a_position_rolled_back_for_good_is_passed_over(postgres_world: World) -> None:
    world = postgres_world
    subscribe(world, "acme", ACME_URL, ACCEPTED)
    world.hub.submit("O-1", customer="C-A")
    await world.hub.drain()
    await world.fan_out.run_once()
    event = {"order_id": "O-1", "type": ACCEPTED, "data": "{}", "created_at": world.clock.now()}

    with world.store.engine.connect() as slow:
        slow_tx = slow.begin()
        slow.execute(insert(t.outbox).values(event_id="doomed", **event))
        with world.store.engine.begin() as c:
            c.execute(insert(t.outbox).values(event_id="kept", **event))
        waiting = await world.fan_out.run_once()
        slow_tx.rollback()
    passed = await world.fan_out.run_once()

    assert waiting.waiting_on_gap
    assert not passed.waiting_on_gap
    assert (passed.events, passed.queued) == (1, 1)
