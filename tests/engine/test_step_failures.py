"""A message the workflow cannot process stops its own order, and only its own order."""

from __future__ import annotations

from crossdock.core.order import OrderStatus

from .hub import Hub

S = OrderStatus


def pending_orders(hub: Hub) -> list[str]:
    with hub.store.unit_of_work(write=False) as uow:
        return uow.inbox.pending_orders(10)


async def test_an_unreadable_message_quarantines_its_order_while_others_keep_flowing(
    database_url: str,
) -> None:
    hub = Hub(database_url, step_attempts=3)
    stuck, flowing = hub.submit("O-1"), hub.submit("O-2")
    await hub.drain()
    with hub.store.unit_of_work() as uow:
        uow.inbox.append(
            order_id=stuck,
            kind="milestone_reported",
            body={"kind": "milestone_reported", "system": "wms", "milestone": {"oops": 1}},
            source="wms",
            dedupe_key=None,
            causation_id="wms:evt-garbled",
            now=hub.clock.now(),
        )
    hub.report(stuck, "evt-1")  # arrives after the bad one: must not overtake it
    hub.report(flowing, "evt-2")

    hub.steps.run_batch()
    assert hub.status(flowing) is S.SHIPPED
    hub.steps.run_batch()
    assert stuck in pending_orders(hub)
    report = hub.steps.run_batch()
    await hub.drain()

    assert report.quarantined == [stuck]
    assert pending_orders(hub) == []
    assert hub.status(flowing) is S.CLOSED
    assert hub.status(stuck) is S.RELEASED
    assert hub.deliveries(stuck, "post_invoice") == []
    [quarantine] = [e for e in hub.timeline(stuck) if e.kind == "exception"]
    assert quarantine.summary.startswith(
        "quarantined: message milestone_reported failed 3 times: ValidationError"
    )
    hub.close()


async def test_the_quarantine_names_the_message_that_failed_not_the_one_before_it(
    database_url: str,
) -> None:
    hub = Hub(database_url, step_attempts=2)
    order_id = hub.submit("O-1")
    await hub.drain()
    hub.desk.release_hold(order_id, "ops")  # harmless on its own: the order is not on hold
    with hub.store.unit_of_work() as uow:
        bad = uow.inbox.append(
            order_id=order_id,
            kind="deadline_reached",
            body={"kind": "deadline_reached"},
            source="timer",
            dedupe_key=None,
            causation_id="timer:booking",
            now=hub.clock.now(),
        )

    hub.steps.run_batch()
    report = hub.steps.run_batch()

    assert report.quarantined == [order_id]
    [quarantine] = [e for e in hub.timeline(order_id) if e.kind == "exception"]
    assert quarantine.summary.startswith(
        "quarantined: message deadline_reached failed 2 times: ValidationError"
    )
    assert quarantine.causation_id == f"msg-{bad}"
    hub.close()
