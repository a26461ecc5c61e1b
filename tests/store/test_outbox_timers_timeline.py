"""The store contract: the outbox, workflow timers and the order timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.store import TimelineEntry

from .samples import T0

# ------------------------------------------------------------------ outbox


def publish(store: SqlStore, *types: str) -> list[str]:
    with store.unit_of_work() as uow:
        return [
            uow.outbox.append(
                order_id="O-1",
                type=f"crossdock.order.{name}.v1",
                data={"order_id": "O-1", "name": name},
                causation_id="msg-1",
                now=T0,
            )
            for name in types
        ]


def test_events_wait_in_commit_order_until_published(store: SqlStore) -> None:
    ids = publish(store, "accepted", "routed", "closed")

    with store.unit_of_work(write=False) as uow:
        waiting = uow.outbox.unpublished(10)
    assert [e.event_id for e in waiting] == ids
    assert [e.type for e in waiting] == [
        "crossdock.order.accepted.v1",
        "crossdock.order.routed.v1",
        "crossdock.order.closed.v1",
    ]
    assert waiting[1].data == {"order_id": "O-1", "name": "routed"}
    assert waiting[1].causation_id == "msg-1"
    assert waiting[0].seq < waiting[1].seq < waiting[2].seq

    with store.unit_of_work() as uow:
        uow.outbox.mark_published([waiting[0].seq, waiting[1].seq], T0)
    with store.unit_of_work(write=False) as uow:
        assert [e.event_id for e in uow.outbox.unpublished(10)] == [ids[2]]


def test_the_event_feed_returns_events_after_a_cursor_published_or_not(store: SqlStore) -> None:
    publish(store, "accepted", "routed", "booked", "closed")
    with store.unit_of_work() as uow:
        events = uow.outbox.unpublished(10)
        uow.outbox.mark_published([events[0].seq], T0)

    with store.unit_of_work(write=False) as uow:
        page = uow.outbox.after(events[0].seq, 2)
        rest = uow.outbox.after(page[-1].seq, 10)
        assert uow.outbox.after(events[-1].seq, 10) == []
    assert [e.data["name"] for e in page] == ["routed", "booked"]
    assert [e.data["name"] for e in rest] == ["closed"]


# ------------------------------------------------------------------ timers


def test_rescheduling_a_timer_moves_it_rather_than_adding_a_second(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.timers.schedule("O-1", "booking", T0 + timedelta(minutes=30))
        uow.timers.schedule("O-1", "booking", T0 + timedelta(minutes=60))

    with store.unit_of_work() as uow:
        assert uow.timers.next_due() == T0 + timedelta(minutes=60)
        assert uow.timers.take_due(T0 + timedelta(minutes=59), 10) == []
        assert uow.timers.take_due(T0 + timedelta(minutes=60), 10) == [("O-1", "booking")]


def test_take_due_removes_and_returns_only_timers_due_by_now(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.timers.schedule("O-1", "booking", T0 + timedelta(minutes=10))
        uow.timers.schedule("O-2", "booking", T0 + timedelta(minutes=5))
        uow.timers.schedule("O-3", "booking", T0 + timedelta(minutes=20))

    with store.unit_of_work() as uow:
        due = uow.timers.take_due(T0 + timedelta(minutes=10), 10)
    with store.unit_of_work() as uow:
        again = uow.timers.take_due(T0 + timedelta(minutes=10), 10)
        left = uow.timers.next_due()

    assert due == [("O-2", "booking"), ("O-1", "booking")]
    assert again == []
    assert left == T0 + timedelta(minutes=20)


def test_a_cancelled_timer_never_fires(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.timers.schedule("O-1", "booking", T0)
        uow.timers.schedule("O-1", "reminder", T0)
        uow.timers.cancel("O-1", "booking")

    with store.unit_of_work() as uow:
        assert uow.timers.take_due(T0 + timedelta(days=1), 10) == [("O-1", "reminder")]
        assert uow.timers.next_due() is None


# ------------------------------------------------------------------ timeline


def entry(order_id: str, summary: str, **fields: Any) -> TimelineEntry:
    return TimelineEntry(order_id=order_id, at=T0, kind="decision", summary=summary, **fields)


def test_an_orders_timeline_reads_back_oldest_first_and_only_its_own(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.timeline.append([entry("O-1", "received"), entry("O-2", "other order")])
    with store.unit_of_work() as uow:
        uow.timeline.append(
            [
                entry(
                    "O-1",
                    "routed to legacy_erp by rule entity-A",
                    rule="entity-A",
                    causation_id="msg-7",
                    detail={"commands": ["create_sales_order → legacy_erp"]},
                ),
                entry("O-1", "booked"),
            ]
        )

    with store.unit_of_work(write=False) as uow:
        timeline = uow.timeline.for_order("O-1")

    assert [e.summary for e in timeline] == [
        "received",
        "routed to legacy_erp by rule entity-A",
        "booked",
    ]
    routed = timeline[1]
    assert (routed.rule, routed.causation_id) == ("entity-A", "msg-7")
    assert routed.detail == {"commands": ["create_sales_order → legacy_erp"]}
    assert routed.at == T0
    # Without a correlation id of its own, an entry is correlated by its order.
    assert {e.correlation_id for e in timeline} == {"O-1"}
    assert timeline[0].entry_id < timeline[1].entry_id < timeline[2].entry_id


def test_entries_of_one_kind_are_read_for_many_orders_at_once(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.timeline.append(
            [
                entry("O-1", "received"),
                entry("O-2", "routed", detail={"status": "routed"}),
                TimelineEntry(order_id="O-1", at=T0, kind="inbound", summary="order_received"),
                entry("O-3", "not asked for"),
                entry("O-1", "booked"),
            ]
        )

    with store.unit_of_work(write=False) as uow:
        decisions = uow.timeline.of_kind(["O-2", "O-1", "O-1"], "decision")
        none = uow.timeline.of_kind([], "decision")

    assert [(e.order_id, e.summary) for e in decisions] == [
        ("O-1", "received"),
        ("O-2", "routed"),
        ("O-1", "booked"),
    ]
    assert decisions[1].detail == {"status": "routed"}
    assert none == []
