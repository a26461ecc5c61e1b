"""The store contract: orders, the inbox, and the unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crossdock.core.order import OrderStatus
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.store import ConcurrencyConflict, OrderQuery
from crossdock.orchestration.workflow import OrderState

from .samples import T0, make_order


def add_orders(store: SqlStore, *order_ids: str) -> None:
    with store.unit_of_work() as uow:
        for order_id in order_ids:
            assert uow.orders.add(make_order(order_id))


def append(
    store: SqlStore, order_id: str, kind: str, *, key: str | None = None, minute: int = 0
) -> int | None:
    with store.unit_of_work() as uow:
        return uow.inbox.append(
            order_id=order_id,
            kind=kind,
            body={"kind": kind},
            source="test",
            dedupe_key=key,
            causation_id=f"cause-{kind}",
            now=T0 + timedelta(minutes=minute),
        )


# ------------------------------------------------------------------ inbox


def test_a_repeated_dedupe_key_stores_the_message_once(store: SqlStore) -> None:
    add_orders(store, "O-1")

    first = append(store, "O-1", "milestone_reported", key="wms:evt-1")
    second = append(store, "O-1", "milestone_reported", key="wms:evt-1")

    assert first is not None
    assert second is None
    with store.unit_of_work(write=False) as uow:
        assert [m.message_id for m in uow.inbox.pending_for(["O-1"])] == [first]
        assert uow.inbox.backlog() == 1


def test_messages_without_a_dedupe_key_are_all_kept(store: SqlStore) -> None:
    add_orders(store, "O-1")

    ids = [append(store, "O-1", "deadline_reached") for _ in range(3)]

    assert None not in ids
    assert len(set(ids)) == 3


def test_pending_messages_come_back_per_order_in_arrival_order(store: SqlStore) -> None:
    add_orders(store, "O-1", "O-2")
    append(store, "O-1", "order_received", minute=0)
    append(store, "O-2", "order_received", minute=1)
    append(store, "O-1", "sales_order_booked", minute=2)
    append(store, "O-1", "fulfilment_accepted", minute=3)

    with store.unit_of_work(write=False) as uow:
        pending = uow.inbox.pending_for(["O-1"])

    assert [m.kind for m in pending] == [
        "order_received",
        "sales_order_booked",
        "fulfilment_accepted",
    ]
    assert {m.order_id for m in pending} == {"O-1"}
    assert pending[1].body == {"kind": "sales_order_booked"}
    assert pending[1].causation_id == "cause-sales_order_booked"
    assert pending[1].received_at == T0 + timedelta(minutes=2)


def test_pending_orders_lists_the_order_with_the_oldest_waiting_message_first(
    store: SqlStore,
) -> None:
    add_orders(store, "O-1", "O-2", "O-3")
    append(store, "O-2", "order_received")
    append(store, "O-3", "order_received")
    append(store, "O-1", "order_received")
    append(store, "O-2", "sales_order_booked")

    with store.unit_of_work(write=False) as uow:
        assert uow.inbox.pending_orders(10) == ["O-2", "O-3", "O-1"]
        assert uow.inbox.pending_orders(2) == ["O-2", "O-3"]


def test_processed_messages_are_never_pending_again(store: SqlStore) -> None:
    add_orders(store, "O-1", "O-2")
    done = append(store, "O-1", "order_received")
    append(store, "O-2", "order_received")
    assert done is not None

    with store.unit_of_work() as uow:
        uow.inbox.mark_processed([done], T0)

    with store.unit_of_work(write=False) as uow:
        assert uow.inbox.pending_orders(10) == ["O-2"]
        assert uow.inbox.pending_for(["O-1"]) == []
        assert uow.inbox.backlog() == 1


def test_pending_orders_skips_a_quarantined_order_and_lock_will_not_load_it(
    store: SqlStore,
) -> None:
    add_orders(store, "O-1", "O-2")
    bad = append(store, "O-1", "order_received")
    append(store, "O-2", "order_received")
    assert bad is not None

    with store.unit_of_work() as uow:
        assert uow.inbox.record_failure(bad, "boom") == 1
        assert uow.inbox.record_failure(bad, "boom") == 2
        uow.orders.quarantine("O-1", "message order_received failed 2 times: boom")

    with store.unit_of_work() as uow:
        assert uow.inbox.pending_orders(10) == ["O-2"]
        assert [row.order_id for row in uow.orders.lock(["O-1", "O-2"])] == ["O-2"]
        assert uow.inbox.pending_for(["O-1"])[0].attempts == 2
        assert uow.inbox.backlog() == 2


# ------------------------------------------------------------------ orders


def test_a_second_order_with_the_same_channel_order_number_is_refused(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        assert uow.orders.add(make_order("O-1", number="#1001"))
        assert not uow.orders.add(make_order("O-2", number="#1001"))
        assert uow.orders.add(make_order("O-3", number="#1001", channel="edi"))

    with store.unit_of_work(write=False) as uow:
        assert uow.orders.find_by_channel_number("storefront", "#1001") == "O-1"
        assert uow.orders.get("O-2") is None
        assert uow.orders.find_by_channel_number("edi", "#1001") == "O-3"


def test_a_new_order_is_received_with_no_workflow_state_yet(store: SqlStore) -> None:
    add_orders(store, "O-1")

    with store.unit_of_work(write=False) as uow:
        row = uow.orders.get("O-1")

    assert row is not None
    assert row.status is OrderStatus.RECEIVED
    assert row.version == 0
    assert row.state is None
    assert row.order == make_order("O-1")
    assert row.received_at == T0


def test_a_saved_state_is_read_back_with_its_status_and_version(store: SqlStore) -> None:
    add_orders(store, "O-1")
    state = OrderState(order=make_order("O-1"), status=OrderStatus.VALIDATED, version=1)

    with store.unit_of_work() as uow:
        uow.orders.save(state, expected_version=0, now=T0 + timedelta(seconds=5))

    with store.unit_of_work(write=False) as uow:
        row = uow.orders.get("O-1")
        assert uow.orders.with_status(OrderStatus.VALIDATED) == ["O-1"]
        assert uow.orders.count_by_status() == {"validated": 1}
    assert row is not None
    assert (row.status, row.version, row.state) == (OrderStatus.VALIDATED, 1, state)
    assert row.updated_at == T0 + timedelta(seconds=5)


def test_saving_over_a_version_another_worker_moved_raises_concurrency_conflict(
    store: SqlStore,
) -> None:
    add_orders(store, "O-1")
    order = make_order("O-1")
    with store.unit_of_work() as uow:
        uow.orders.save(OrderState(order=order, status=OrderStatus.VALIDATED, version=1), 0, T0)

    stale = OrderState(order=order, status=OrderStatus.BACKORDERED, version=1)
    with pytest.raises(ConcurrencyConflict), store.unit_of_work() as uow:
        uow.orders.save(stale, expected_version=0, now=T0)

    with store.unit_of_work(write=False) as uow:
        row = uow.orders.get("O-1")
    assert row is not None
    assert row.status is OrderStatus.VALIDATED


def test_search_filters_orders_and_pages_by_order_id(store: SqlStore) -> None:
    add_orders(store, "O-1", "O-2", "O-3")

    with store.unit_of_work(write=False) as uow:
        first_page = uow.orders.search(OrderQuery(limit=2))
        second_page = uow.orders.search(OrderQuery(limit=2, after=first_page[-1].order_id))
        by_number = uow.orders.search(OrderQuery(channel_order_number="#O-2"))

    assert [r.order_id for r in first_page] == ["O-1", "O-2"]
    assert [r.order_id for r in second_page] == ["O-3"]
    assert [r.order_id for r in by_number] == ["O-2"]


def test_search_filters_by_channel_customer_and_received_window_and_they_combine(
    store: SqlStore,
) -> None:
    # O-1 storefront C-1 at T0; O-2 edi C-1 at +1 h; O-3 edi C-2 at +2 h; O-4 edi C-1 at +3 h.
    placed = (
        ("O-1", "storefront", "C-1", 0),
        ("O-2", "edi", "C-1", 1),
        ("O-3", "edi", "C-2", 2),
        ("O-4", "edi", "C-1", 3),
    )
    with store.unit_of_work() as uow:
        for order_id, channel, customer, hours in placed:
            order = make_order(order_id, channel=channel).model_copy(
                update={"customer_id": customer, "received_at": T0 + timedelta(hours=hours)}
            )
            assert uow.orders.add(order)

    def found(query: OrderQuery) -> list[str]:
        with store.unit_of_work(write=False) as uow:
            return [row.order_id for row in uow.orders.search(query)]

    hour = timedelta(hours=1)
    assert found(OrderQuery(channel="edi")) == ["O-2", "O-3", "O-4"]
    assert found(OrderQuery(customer_id="C-1")) == ["O-1", "O-2", "O-4"]
    # From is inclusive, until exclusive: +1 h is in, +3 h is out.
    window = OrderQuery(received_from=T0 + hour, received_until=T0 + 3 * hour)
    assert found(window) == ["O-2", "O-3"]
    assert found(OrderQuery(received_from=T0 + 3 * hour)) == ["O-4"]
    assert found(OrderQuery(received_until=T0 + hour)) == ["O-1"]
    edi_c1_late = OrderQuery(channel="edi", customer_id="C-1", received_from=T0 + 2 * hour)
    assert found(edi_c1_late) == ["O-4"]
    received_edi = OrderQuery(channel="edi", status=OrderStatus.RECEIVED.value, limit=2)
    assert found(received_edi) == ["O-2", "O-3"]
    assert found(OrderQuery(channel="edi", after="O-3")) == ["O-4"]
    assert found(OrderQuery(channel="marketplace")) == []


# ------------------------------------------------------------------ unit of work


def test_a_unit_of_work_that_raises_writes_nothing(store: SqlStore) -> None:
    def crash_mid_step() -> None:
        with store.unit_of_work() as uow:
            uow.orders.add(make_order("O-1"))
            uow.inbox.append(
                order_id="O-1",
                kind="order_received",
                body={},
                source="test",
                dedupe_key="storefront:1",
                causation_id="",
                now=T0,
            )
            uow.timers.schedule("O-1", "booking", T0)
            raise RuntimeError("crash mid-step")

    with pytest.raises(RuntimeError, match="crash mid-step"):
        crash_mid_step()

    with store.unit_of_work(write=False) as uow:
        assert uow.orders.get("O-1") is None
        assert uow.inbox.backlog() == 0
        assert uow.timers.next_due() is None
    # The dedupe key was not burnt by the rolled-back attempt.
    add_orders(store, "O-1")
    assert append(store, "O-1", "order_received", key="storefront:1") is not None
