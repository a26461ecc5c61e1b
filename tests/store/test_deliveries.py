"""The store contract: per-system delivery queues, leases and per-order order."""

from __future__ import annotations

from datetime import timedelta

from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.store import DeliveryRecord

from .samples import make_delivery

LEASE = timedelta(seconds=60)


def enqueue(store: SqlStore, *records: DeliveryRecord) -> list[bool]:
    with store.unit_of_work() as uow:
        return [uow.deliveries.enqueue(record) for record in records]


def claim(
    store: SqlStore, clock: FakeClock, system: str = "erp", limit: int = 16
) -> list[DeliveryRecord]:
    now = clock.now()
    with store.unit_of_work() as uow:
        return uow.deliveries.claim(system, limit, now, now + LEASE)


def for_order(store: SqlStore, order_id: str) -> list[DeliveryRecord]:
    with store.unit_of_work(write=False) as uow:
        return uow.deliveries.for_order(order_id)


def test_enqueueing_the_same_idempotency_key_twice_stores_one_delivery(store: SqlStore) -> None:
    first = make_delivery("O-1")
    again = make_delivery("O-1", command={"kind": "create_sales_order", "changed": True})

    assert enqueue(store, first, again) == [True, False]

    stored = for_order(store, "O-1")
    assert [d.delivery_id for d in stored] == [first.delivery_id]
    assert stored[0].command == first.command


def test_a_delivered_command_is_not_queued_again_by_its_key(
    store: SqlStore, clock: FakeClock
) -> None:
    first = make_delivery("O-1")
    enqueue(store, first)
    [claimed] = claim(store, clock)
    with store.unit_of_work() as uow:
        uow.deliveries.complete(claimed.delivery_id, clock.now())

    assert enqueue(store, make_delivery("O-1")) == [False]
    assert [d.status for d in for_order(store, "O-1")] == ["done"]
    assert claim(store, clock) == []


def test_a_failed_delivery_is_rearmed_by_a_new_enqueue_with_the_same_key(
    store: SqlStore, clock: FakeClock
) -> None:
    enqueue(store, make_delivery("O-1"))
    [claimed] = claim(store, clock)
    with store.unit_of_work() as uow:
        uow.deliveries.fail(claimed.delivery_id, "400 customer blocked", clock.now())
    assert claim(store, clock) == []

    clock.advance(timedelta(hours=2))
    again = make_delivery("O-1", at=clock.now(), command={"kind": "create_sales_order", "n": 2})
    assert enqueue(store, again) == [True]

    [stored] = for_order(store, "O-1")
    assert stored.delivery_id == claimed.delivery_id
    assert (stored.status, stored.attempts, stored.command) == ("pending", 0, again.command)
    [reclaimed] = claim(store, clock)
    assert reclaimed.idempotency_key == "O-1:create_sales_order"
    assert reclaimed.attempts == 1


def test_claim_takes_only_the_head_of_each_orders_line(store: SqlStore, clock: FakeClock) -> None:
    book_1 = make_delivery("O-1", "create_sales_order")
    notify_1 = make_delivery("O-1", "notify_status")
    book_2 = make_delivery("O-2", "create_sales_order")
    enqueue(store, book_1, notify_1, book_2)

    first_round = claim(store, clock)
    assert [d.delivery_id for d in first_round] == [book_1.delivery_id, book_2.delivery_id]
    assert all(d.status == "in_flight" and d.attempts == 1 for d in first_round)
    # O-1's second command waits while its first is in flight.
    assert claim(store, clock) == []

    with store.unit_of_work() as uow:
        uow.deliveries.complete(book_1.delivery_id, clock.now())
    assert [d.delivery_id for d in claim(store, clock)] == [notify_1.delivery_id]


def test_a_later_command_waits_while_the_head_of_its_order_backs_off(
    store: SqlStore, clock: FakeClock
) -> None:
    head = make_delivery("O-1", "create_sales_order")
    enqueue(store, head, make_delivery("O-1", "notify_status"))
    claim(store, clock)
    with store.unit_of_work() as uow:
        uow.deliveries.retry_later(head.delivery_id, clock.now() + timedelta(seconds=30), "503")

    assert claim(store, clock) == []


def test_claim_respects_its_limit(store: SqlStore, clock: FakeClock) -> None:
    enqueue(store, *(make_delivery(f"O-{n}") for n in range(5)))

    assert len(claim(store, clock, limit=2)) == 2
    assert len(claim(store, clock, limit=10)) == 3


def test_claim_only_takes_deliveries_of_the_system_asked_for(
    store: SqlStore, clock: FakeClock
) -> None:
    enqueue(store, make_delivery("O-1", system="erp"), make_delivery("O-2", system="wms"))

    assert [d.order_id for d in claim(store, clock, system="wms")] == ["O-2"]
    with store.unit_of_work(write=False) as uow:
        assert sorted(uow.deliveries.systems_with_work()) == ["erp", "wms"]


def test_a_leased_delivery_is_claimed_again_only_once_its_lease_expires(
    store: SqlStore, clock: FakeClock
) -> None:
    enqueue(store, make_delivery("O-1"))
    [first] = claim(store, clock)

    clock.advance(LEASE - timedelta(seconds=1))
    assert claim(store, clock) == []

    clock.advance(timedelta(seconds=1))
    [second] = claim(store, clock)
    assert second.delivery_id == first.delivery_id
    assert second.idempotency_key == first.idempotency_key
    assert second.attempts == 2


def test_retry_later_hides_a_delivery_until_its_time(store: SqlStore, clock: FakeClock) -> None:
    enqueue(store, make_delivery("O-1"))
    [claimed] = claim(store, clock)
    due = clock.now() + timedelta(seconds=30)
    with store.unit_of_work() as uow:
        uow.deliveries.retry_later(claimed.delivery_id, due, "503 Service Unavailable")
        assert uow.deliveries.next_due("erp") == due

    clock.advance(timedelta(seconds=29))
    assert claim(store, clock) == []

    clock.advance(timedelta(seconds=1))
    [again] = claim(store, clock)
    assert again.attempts == 2
    assert again.last_error == "503 Service Unavailable"


def test_claim_finds_due_work_behind_many_deliveries_that_are_backing_off(
    store: SqlStore, clock: FakeClock
) -> None:
    waiting = [make_delivery(f"O-{n}") for n in range(10)]
    enqueue(store, *waiting)
    claim(store, clock)
    with store.unit_of_work() as uow:
        for record in waiting:
            uow.deliveries.retry_later(record.delivery_id, clock.now() + timedelta(minutes=5), "")
    fresh = make_delivery("O-new")
    enqueue(store, fresh)

    assert [d.delivery_id for d in claim(store, clock, limit=1)] == [fresh.delivery_id]


def test_counts_and_next_due_describe_each_systems_queue(store: SqlStore, clock: FakeClock) -> None:
    enqueue(
        store,
        make_delivery("O-1", system="erp"),
        make_delivery("O-2", system="erp"),
        make_delivery("O-3", system="wms", at=clock.now() + timedelta(minutes=1)),
    )
    [one, _] = claim(store, clock, system="erp")
    with store.unit_of_work() as uow:
        uow.deliveries.fail(one.delivery_id, "rejected", clock.now())

    with store.unit_of_work(write=False) as uow:
        assert uow.deliveries.counts() == {
            "erp": {"failed": 1, "in_flight": 1},
            "wms": {"pending": 1},
        }
        assert uow.deliveries.next_due("wms") == clock.now() + timedelta(minutes=1)
        assert uow.deliveries.next_due("erp") == clock.now() + LEASE
        assert uow.deliveries.next_due("nobody") is None
    assert for_order(store, "O-1")[0].last_error == "rejected"


def test_the_deliveries_of_many_orders_are_read_at_once_in_queue_order(store: SqlStore) -> None:
    booking = make_delivery("O-1")
    invoice = make_delivery("O-2", "post_invoice")
    other_invoice = make_delivery("O-1", "post_invoice")
    unasked = make_delivery("O-3", "post_invoice")
    enqueue(store, booking, invoice, other_invoice, unasked)

    with store.unit_of_work(write=False) as uow:
        every = uow.deliveries.for_orders(["O-2", "O-1"])
        invoices = uow.deliveries.for_orders(["O-1", "O-2"], "post_invoice")
        none = uow.deliveries.for_orders([])

    assert [d.delivery_id for d in every] == [
        booking.delivery_id,
        invoice.delivery_id,
        other_invoice.delivery_id,
    ]
    assert [d.delivery_id for d in invoices] == [invoice.delivery_id, other_invoice.delivery_id]
    assert none == []
