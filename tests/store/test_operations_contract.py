"""The store contract, operational side: the exception queue, bindings, system states, and the
delivery, order and inbox methods operators' desks and the delivery gate rely on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from crossdock.orchestration.store import DeliveryRecord, Store
from crossdock.orchestration.store_ops import (
    Binding,
    ExceptionChange,
    ExceptionQuery,
    ExceptionRecord,
    SystemState,
)

from .adapters import StoreAdapter
from .samples import T0, make_delivery, make_order

LEASE = timedelta(seconds=60)
MINUTE = timedelta(minutes=1)


def exception(
    order_id: str = "O-1",
    *,
    delivery_id: str = "",
    source: str = "delivery",
    minute: int = 0,
    **fields: Any,
) -> ExceptionRecord:
    """A failed delivery (or, with ``source="step"``, a failing message) last seen at T0+minute."""
    seen = T0 + minute * MINUTE
    values: dict[str, Any] = {
        "exception_id": "",
        "order_id": order_id,
        "system": "erp",
        "operation": "create_sales_order",
        "source": source,
        "delivery_id": delivery_id or (f"d-{order_id}" if source == "delivery" else ""),
        "request": {"kind": "create_sales_order", "order_id": order_id},
        "error": "erp POST /orders answered 422: customer blocked",
        "error_type": "http_422",
        "attempts": 1,
        "first_seen": seen,
        "last_seen": seen,
        "channel": "storefront",
        "customer_id": "C-1",
    }
    if source == "step":
        values.update(
            system="crossdock",
            operation="milestone_reported",
            classification="step",
            error_type="ValidationError",
            message_id=7,
        )
    values.update(fields)
    return ExceptionRecord(**values)


def raise_(store: Store, *records: ExceptionRecord) -> list[ExceptionRecord]:
    with store.unit_of_work() as uow:
        return [uow.exceptions.raise_exception(record) for record in records]


def search(store: Store, **query: Any) -> list[ExceptionRecord]:
    with store.unit_of_work(write=False) as uow:
        return uow.exceptions.search(ExceptionQuery(**query))


def ids(records: list[ExceptionRecord]) -> list[str]:
    return [record.order_id for record in records]


def change(store: Store, exception_id: str, what: ExceptionChange) -> ExceptionRecord | None:
    with store.unit_of_work() as uow:
        return uow.exceptions.change(exception_id, what, T0 + timedelta(hours=1))


# ------------------------------------------------------------------ exceptions: raise, reopen


def test_a_raised_exception_is_stored_open_under_a_new_id(store: Store) -> None:
    [raised] = raise_(store, exception(tags=("vip",)))

    assert raised.exception_id
    assert raised.status == "open"
    with store.unit_of_work(write=False) as uow:
        assert uow.exceptions.get(raised.exception_id) == raised
        assert uow.exceptions.get("no-such-exception") is None


def test_the_same_delivery_failing_again_reopens_its_exception_instead_of_adding_one(
    store: Store,
) -> None:
    [first] = raise_(store, exception())
    change(store, first.exception_id, ExceptionChange(status="replayed", replays=1))
    again = exception(
        minute=30, attempts=2, error="erp answered 503", error_type="http_503", request={"n": 2}
    )

    [reopened] = raise_(store, again)

    assert reopened.exception_id == first.exception_id
    assert (reopened.status, reopened.attempts, reopened.replays) == ("open", 3, 1)
    assert (reopened.error, reopened.error_type, reopened.request) == (
        "erp answered 503",
        "http_503",
        {"n": 2},
    )
    assert (reopened.first_seen, reopened.last_seen) == (T0, T0 + 30 * MINUTE)
    assert search(store, order_id="O-1") == [reopened]


def test_an_assigned_exception_reopened_stays_with_its_assignee(store: Store) -> None:
    [first] = raise_(store, exception())
    change(store, first.exception_id, ExceptionChange(status="assigned", assignee="dana"))

    [reopened] = raise_(store, exception(minute=5))

    assert (reopened.exception_id, reopened.status, reopened.assignee) == (
        first.exception_id,
        "assigned",
        "dana",
    )


def test_a_delivery_failing_after_its_exception_was_resolved_raises_a_new_one(
    store: Store,
) -> None:
    [first] = raise_(store, exception())
    change(store, first.exception_id, ExceptionChange(status="resolved", note="fixed by hand"))

    [second] = raise_(store, exception(minute=5))

    assert second.exception_id != first.exception_id
    assert [r.status for r in search(store, order_id="O-1")] == ["open", "resolved"]


def test_exceptions_of_other_deliveries_orders_or_sources_are_kept_apart(store: Store) -> None:
    raised = raise_(
        store,
        exception("O-1", delivery_id="d-1"),
        exception("O-1", delivery_id="d-2", operation="notify_status"),
        exception("O-2", delivery_id="d-3"),
        exception("O-1", source="step"),
        exception("O-2", source="step"),
    )

    assert len({r.exception_id for r in raised}) == 5


def test_the_same_failing_step_of_an_order_reopens_its_exception(store: Store) -> None:
    [first] = raise_(store, exception(source="step", attempts=5))

    [again] = raise_(store, exception(source="step", attempts=5, minute=10))

    assert again.exception_id == first.exception_id
    assert again.attempts == 10
    assert len(search(store, order_id="O-1")) == 1


def test_a_long_error_is_returned_as_it_is_stored(
    store: Store, adapter: StoreAdapter, request: pytest.FixtureRequest
) -> None:
    [raised] = raise_(store, exception(error="x" * 5000))

    with store.unit_of_work(write=False) as uow:
        stored = uow.exceptions.get(raised.exception_id)
    assert stored is not None
    assert (len(raised.error), len(stored.error)) == (2000, 2000)
    assert raised == stored


# ------------------------------------------------------------------ exceptions: search


@pytest.fixture
def queue(store: Store) -> dict[str, ExceptionRecord]:
    """Five exceptions, by order id, each differing from the others in one way or more."""
    raised = raise_(
        store,
        exception("O-1", minute=1),
        exception("O-2", minute=2, system="wms", operation="request_fulfilment"),
        exception("O-3", minute=3, error_type="http_503", classification="exhausted"),
        exception("O-4", minute=4, channel="edi", customer_id="C-9", tags=("vip", "edi")),
        exception("O-5", minute=5, source="step"),
    )
    change(store, raised[2].exception_id, ExceptionChange(status="assigned", assignee="dana"))
    change(store, raised[3].exception_id, ExceptionChange(status="resolved"))
    return {record.order_id: record for record in raised}


def test_the_queue_lists_the_most_recently_seen_first(
    store: Store, queue: dict[str, ExceptionRecord]
) -> None:
    assert ids(search(store)) == ["O-5", "O-4", "O-3", "O-2", "O-1"]


FILTERS: list[tuple[dict[str, Any], list[str]]] = [
    ({"statuses": ("open",)}, ["O-5", "O-2", "O-1"]),
    ({"statuses": ("assigned", "resolved")}, ["O-4", "O-3"]),
    ({"system": "wms"}, ["O-2"]),
    ({"system": "crossdock"}, ["O-5"]),
    ({"operation": "request_fulfilment"}, ["O-2"]),
    ({"order_id": "O-3"}, ["O-3"]),
    ({"partner": "edi"}, ["O-4"]),
    ({"partner": "C-9"}, ["O-4"]),
    ({"partner": "C-1"}, ["O-5", "O-3", "O-2", "O-1"]),
    ({"partner": "storefront"}, ["O-5", "O-3", "O-2", "O-1"]),
    ({"error_type": "http_503"}, ["O-3"]),
    ({"classification": "exhausted"}, ["O-3"]),
    ({"classification": "step"}, ["O-5"]),
    ({"tag": "vip"}, ["O-4"]),
    ({"tag": "vi"}, []),
    ({"assignee": "dana"}, ["O-3"]),
    ({"since": T0 + 4 * MINUTE}, ["O-5", "O-4"]),
    ({"until": T0 + 2 * MINUTE}, ["O-1"]),
    ({"since": T0 + 2 * MINUTE, "until": T0 + 4 * MINUTE}, ["O-3", "O-2"]),
    ({"system": "erp", "statuses": ("open",)}, ["O-1"]),
    ({"limit": 2}, ["O-5", "O-4"]),
    ({"limit": 2, "offset": 2}, ["O-3", "O-2"]),
    ({"offset": 4}, ["O-1"]),
    ({"offset": 5}, []),
]
"""Queries over :func:`queue` and the orders they find, most recently seen first."""


def test_every_filter_narrows_the_queue(store: Store, queue: dict[str, ExceptionRecord]) -> None:
    found = [(query, ids(search(store, **query))) for query, _ in FILTERS]

    assert found == FILTERS


def test_a_time_window_in_another_time_zone_means_the_same_instants(
    store: Store, queue: dict[str, ExceptionRecord]
) -> None:
    new_york = timezone(timedelta(hours=-5))
    since = (T0 + 4 * MINUTE).astimezone(new_york)

    assert ids(search(store, since=since)) == ["O-5", "O-4"]


def test_exceptions_seen_at_the_same_instant_keep_one_order_across_pages(store: Store) -> None:
    raise_(store, *(exception(f"O-{n}", minute=0) for n in range(6)))

    pages = [search(store, limit=2, offset=offset) for offset in (0, 2, 4)]

    listed = [record.exception_id for page in pages for record in page]
    assert listed == sorted(listed)
    assert len(set(listed)) == 6


def test_a_tag_filter_matches_the_tag_exactly_not_as_a_pattern(
    store: Store, adapter: StoreAdapter, request: pytest.FixtureRequest
) -> None:
    raise_(
        store,
        exception("O-1", tags=("needs-fix",)),
        exception("O-2", tags=("needs_fix",)),
        exception("O-3", tags=("100% off",)),
        exception("O-4", tags=("100 off",)),
    )

    assert ids(search(store, tag="needs_fix")) == ["O-2"]
    assert ids(search(store, tag="100%off")) == []


def test_a_tag_filter_tells_upper_from_lower_case(
    store: Store, adapter: StoreAdapter, request: pytest.FixtureRequest
) -> None:
    raise_(store, exception("O-1", tags=("vip",)), exception("O-2", tags=("VIP",)))

    assert ids(search(store, tag="VIP")) == ["O-2"]


# ------------------------------------------------------------------ exceptions: change, counts


def test_an_operators_change_sets_only_what_it_names(store: Store) -> None:
    [raised] = raise_(store, exception(tags=("vip",)))

    changed = change(
        store,
        raised.exception_id,
        ExceptionChange(status="assigned", assignee="dana", tags=("vip", "edi", "vip")),
    )

    assert changed is not None
    assert (changed.status, changed.assignee, changed.tags) == ("assigned", "dana", ("vip", "edi"))
    assert (changed.error, changed.request, changed.note) == (raised.error, raised.request, "")
    assert changed.updated_at == T0 + timedelta(hours=1)
    with store.unit_of_work(write=False) as uow:
        assert uow.exceptions.get(raised.exception_id) == changed

    noted = change(
        store,
        raised.exception_id,
        ExceptionChange(note="customer unblocked", request={"fixed": True}, replays=2),
    )
    assert noted is not None
    assert (noted.status, noted.assignee, noted.tags) == ("assigned", "dana", ("vip", "edi"))
    assert (noted.note, noted.request, noted.replays) == ("customer unblocked", {"fixed": True}, 2)


def test_changing_an_unknown_exception_changes_nothing(store: Store) -> None:
    assert change(store, "no-such-exception", ExceptionChange(status="resolved")) is None


def test_counts_are_per_system_and_status(store: Store, queue: dict[str, ExceptionRecord]) -> None:
    with store.unit_of_work(write=False) as uow:
        counts = uow.exceptions.counts()

    assert counts == {
        "erp": {"open": 1, "assigned": 1, "resolved": 1},
        "wms": {"open": 1},
        "crossdock": {"open": 1},
    }


# ------------------------------------------------------------------ bindings


def bind(store: Store, order_id: str, system: str, kind: str, external_id: str, at: int) -> bool:
    with store.unit_of_work() as uow:
        return uow.bindings.bind(
            Binding(
                order_id=order_id,
                system=system,
                kind=kind,
                external_id=external_id,
                bound_at=T0 + at * MINUTE,
            )
        )


def test_an_order_binds_once_per_system_and_kind_and_the_first_binding_stands(
    store: Store,
) -> None:
    assert bind(store, "O-1", "erp", "sales_order", "SO-1", at=0)
    assert not bind(store, "O-1", "erp", "sales_order", "SO-1", at=1)
    assert not bind(store, "O-1", "erp", "sales_order", "SO-999", at=2)

    with store.unit_of_work(write=False) as uow:
        assert uow.bindings.get("O-1", "erp", "sales_order") == Binding(
            order_id="O-1", system="erp", kind="sales_order", external_id="SO-1", bound_at=T0
        )
        assert uow.bindings.get("O-1", "erp", "fulfilment") is None
        assert uow.bindings.get("O-1", "wms", "sales_order") is None


def test_an_orders_bindings_are_listed_in_the_order_they_were_made(store: Store) -> None:
    bind(store, "O-1", "erp", "invoice:INV-2", "E-2", at=3)
    bind(store, "O-1", "erp", "sales_order", "SO-1", at=0)
    bind(store, "O-1", "wms", "fulfilment", "F-1", at=1)
    bind(store, "O-1", "erp", "invoice:INV-1", "E-1", at=3)
    bind(store, "O-2", "erp", "sales_order", "SO-2", at=2)

    with store.unit_of_work(write=False) as uow:
        listed = [(b.system, b.kind, b.external_id) for b in uow.bindings.for_order("O-1")]
        assert uow.bindings.for_order("O-3") == []

    assert listed == [
        ("erp", "sales_order", "SO-1"),
        ("wms", "fulfilment", "F-1"),
        ("erp", "invoice:INV-1", "E-1"),
        ("erp", "invoice:INV-2", "E-2"),
    ]


def test_a_systems_id_leads_back_to_our_order(store: Store) -> None:
    bind(store, "O-1", "erp", "sales_order", "100", at=0)
    bind(store, "O-2", "other_erp", "sales_order", "100", at=0)
    bind(store, "O-3", "wms", "fulfilment", "100", at=0)

    with store.unit_of_work(write=False) as uow:
        assert uow.bindings.lookup("erp", "sales_order", "100") == "O-1"
        assert uow.bindings.lookup("other_erp", "sales_order", "100") == "O-2"
        assert uow.bindings.lookup("wms", "fulfilment", "100") == "O-3"
        assert uow.bindings.lookup("erp", "sales_order", "101") is None
        assert uow.bindings.lookup("erp", "fulfilment", "100") is None


def test_a_number_alone_finds_every_binding_that_carries_it_oldest_first(store: Store) -> None:
    bind(store, "O-2", "wms", "shipment:100", "100", at=2)
    bind(store, "O-1", "erp", "sales_order", "100", at=0)
    bind(store, "O-3", "ups", "tracking:S-9", "1Z999", at=1)
    bind(store, "O-1", "erp", "invoice:INV-1", "1000", at=1)

    with store.unit_of_work(write=False) as uow:
        found = [(b.order_id, b.system, b.kind) for b in uow.bindings.find("100")]
        assert [b.order_id for b in uow.bindings.find("1Z999")] == ["O-3"]
        assert uow.bindings.find("10") == []
        assert len(uow.bindings.find("100", limit=1)) == 1

    assert found == [("O-1", "erp", "sales_order"), ("O-2", "wms", "shipment:100")]


# ------------------------------------------------------------------ system states


def test_a_system_never_stored_has_a_closed_circuit(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.systems.get("erp", for_update=True) == SystemState(system="erp")
    with store.unit_of_work(write=False) as uow:
        assert uow.systems.get("wms") == SystemState(system="wms")


def test_a_system_state_is_stored_whole_and_replaced_by_the_next_save(store: Store) -> None:
    state = SystemState(
        system="erp",
        breaker="open",
        consecutive_failures=5,
        window_started_at=T0,
        window_calls=9,
        window_failures=6,
        opened_at=T0 + MINUTE,
        probe_at=T0 + 2 * MINUTE,
        throttled_until=T0 + 3 * MINUTE,
        tokens=2.75,
        tokens_at=T0 + 4 * MINUTE,
        paused=True,
        paused_by="dana",
        paused_reason="ERP upgrade tonight",
        changed_at=T0 + 5 * MINUTE,
        last_change="erp paused by dana: ERP upgrade tonight",
    )
    with store.unit_of_work() as uow:
        uow.systems.save(state)
    with store.unit_of_work(write=False) as uow:
        assert uow.systems.get("erp") == state

    resumed = replace(state, breaker="closed", paused=False, paused_by="", probe_at=None)
    with store.unit_of_work() as uow:
        uow.systems.save(resumed)
    with store.unit_of_work(write=False) as uow:
        assert uow.systems.get("erp") == resumed
        assert uow.systems.all() == [resumed]


def test_every_stored_system_state_is_listed_by_system(store: Store) -> None:
    wms, erp = SystemState(system="wms", paused=True), SystemState(system="erp", tokens=1.5)
    with store.unit_of_work() as uow:
        uow.systems.save(wms)
        uow.systems.save(erp)

    with store.unit_of_work(write=False) as uow:
        assert uow.systems.all() == [erp, wms]


def test_workers_changing_a_system_state_at_once_never_lose_a_change(
    shared_database_url: str, connect: Callable[[str], Store]
) -> None:
    stores: list[Store] = [connect(shared_database_url) for _ in range(2)]
    workers, rounds = 6, 5
    barrier = threading.Barrier(workers)

    def count_failures(n: int) -> None:
        store = stores[n % len(stores)]
        barrier.wait(30)
        for _ in range(rounds):
            with store.unit_of_work() as uow:
                state = uow.systems.get("erp", for_update=True)
                uow.systems.save(
                    replace(state, consecutive_failures=state.consecutive_failures + 1)
                )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(count_failures, n) for n in range(workers)]:
            future.result(timeout=60)
    with stores[0].unit_of_work(write=False) as uow:
        counted = uow.systems.get("erp").consecutive_failures
    for store in stores:
        store.close()

    assert counted == workers * rounds


# ------------------------------------------------------------------ deliveries


def enqueue(store: Store, *records: DeliveryRecord) -> None:
    with store.unit_of_work() as uow:
        for record in records:
            assert uow.deliveries.enqueue(record)


def claim(store: Store, at: datetime, system: str = "erp", limit: int = 16) -> list[str]:
    with store.unit_of_work() as uow:
        return [d.delivery_id for d in uow.deliveries.claim(system, limit, at, at + LEASE)]


def get(store: Store, delivery_id: str) -> DeliveryRecord:
    with store.unit_of_work(write=False) as uow:
        found = uow.deliveries.get(delivery_id)
    assert found is not None
    return found


def test_a_delivery_is_found_by_its_id(store: Store) -> None:
    queued = make_delivery("O-1")
    enqueue(store, queued)

    assert get(store, queued.delivery_id) == queued
    with store.unit_of_work(write=False) as uow:
        assert uow.deliveries.get("no-such-delivery") is None


def test_in_flight_counts_a_systems_claimed_deliveries_until_their_lease_runs_out(
    store: Store,
) -> None:
    enqueue(
        store,
        *(make_delivery(f"O-{n}") for n in range(3)),
        make_delivery("O-9", system="wms"),
    )
    [first, second] = claim(store, T0, limit=2)
    claim(store, T0, system="wms")

    def in_flight(at: datetime, system: str = "erp") -> int:
        with store.unit_of_work(write=False) as uow:
            return uow.deliveries.in_flight(system, at)

    assert (in_flight(T0), in_flight(T0, "wms"), in_flight(T0, "cloud_erp")) == (2, 1, 0)
    with store.unit_of_work() as uow:
        uow.deliveries.complete(first, T0)
    assert in_flight(T0 + LEASE - timedelta(seconds=1)) == 1
    # A worker that died holds nothing once its lease ran out.
    assert in_flight(T0 + LEASE) == 0
    with store.unit_of_work() as uow:
        uow.deliveries.retry_later(second, T0 + MINUTE, "503")
    assert in_flight(T0) == 0


def fail_one(store: Store, record: DeliveryRecord) -> None:
    enqueue(store, record)
    assert claim(store, T0) == [record.delivery_id]
    with store.unit_of_work() as uow:
        uow.deliveries.fail(record.delivery_id, "422 customer blocked", T0)


def test_rearming_a_failed_delivery_queues_the_corrected_command_with_fresh_attempts(
    store: Store,
) -> None:
    failed = make_delivery("O-1", command={"kind": "create_sales_order", "po": "TOO-LONG-PO"})
    fail_one(store, failed)
    later = T0 + timedelta(days=2)
    corrected = {"kind": "create_sales_order", "po": "PO-1"}

    with store.unit_of_work() as uow:
        assert uow.deliveries.rearm(failed.delivery_id, corrected, "exception:E-1:replay:1", later)

    rearmed = get(store, failed.delivery_id)
    assert (rearmed.status, rearmed.attempts, rearmed.command) == ("pending", 0, corrected)
    assert (rearmed.next_attempt_at, rearmed.created_at) == (later, later)
    assert rearmed.causation_id == "exception:E-1:replay:1"
    with store.unit_of_work() as uow:
        [again] = uow.deliveries.claim("erp", 16, later, later + LEASE)
    assert (again.delivery_id, again.attempts, again.command) == (
        failed.delivery_id,
        1,
        corrected,
    )


def test_only_a_failed_delivery_can_be_rearmed(store: Store) -> None:
    pending, done = make_delivery("O-1"), make_delivery("O-2")
    enqueue(store, pending, done)
    claim(store, T0)
    with store.unit_of_work() as uow:
        uow.deliveries.retry_later(pending.delivery_id, T0 + MINUTE, "503")
        uow.deliveries.complete(done.delivery_id, T0)

    with store.unit_of_work() as uow:
        for delivery_id in (pending.delivery_id, done.delivery_id, "no-such-delivery"):
            assert not uow.deliveries.rearm(delivery_id, {"kind": "x"}, "replay", T0)

    assert get(store, pending.delivery_id).command == pending.command
    assert get(store, done.delivery_id).status == "done"


def test_a_rearmed_delivery_keeps_its_place_ahead_of_its_orders_later_commands(
    store: Store,
) -> None:
    head = make_delivery("O-1", "create_sales_order")
    fail_one(store, head)
    follower = make_delivery("O-1", "notify_status", at=T0 + MINUTE)
    enqueue(store, follower)
    with store.unit_of_work() as uow:
        uow.deliveries.rearm(head.delivery_id, head.command, "replay", T0 + 2 * MINUTE)

    assert claim(store, T0 + 2 * MINUTE) == [head.delivery_id]
    assert claim(store, T0 + 2 * MINUTE) == []


def test_expediting_a_system_makes_its_backing_off_deliveries_due_now(store: Store) -> None:
    backing_off = [make_delivery(f"O-{n}") for n in range(3)]
    due_soon, in_flight = make_delivery("O-7"), make_delivery("O-8")
    elsewhere = make_delivery("O-9", system="wms")
    enqueue(store, *backing_off, due_soon, in_flight, elsewhere)
    claim(store, T0, limit=4)  # the three that will back off, and O-7
    claim(store, T0, system="wms")
    with store.unit_of_work() as uow:
        for n, record in enumerate(backing_off):
            uow.deliveries.retry_later(record.delivery_id, T0 + (n + 5) * MINUTE, "503")
        uow.deliveries.retry_later(due_soon.delivery_id, T0 + timedelta(seconds=10), "503")
        uow.deliveries.retry_later(elsewhere.delivery_id, T0 + 10 * MINUTE, "503")
    assert claim(store, T0, limit=1) == [in_flight.delivery_id]

    now = T0 + timedelta(seconds=20)
    with store.unit_of_work() as uow:
        assert uow.deliveries.expedite("erp", now) == 3

    expected = {r.delivery_id for r in [*backing_off, due_soon]}
    assert set(claim(store, now)) == expected
    assert get(store, elsewhere.delivery_id).next_attempt_at == T0 + 10 * MINUTE
    assert get(store, in_flight.delivery_id).status == "in_flight"


# ------------------------------------------------------------------ orders and inbox


def append(store: Store, order_id: str, kind: str) -> int:
    with store.unit_of_work() as uow:
        message_id = uow.inbox.append(
            order_id=order_id,
            kind=kind,
            body={"kind": kind},
            source="test",
            dedupe_key=None,
            causation_id="",
            now=T0,
        )
    assert message_id is not None
    return message_id


def test_releasing_a_quarantine_lets_the_orders_messages_be_processed_again(
    store: Store,
) -> None:
    with store.unit_of_work() as uow:
        assert uow.orders.add(make_order("O-1"))
        assert uow.orders.add(make_order("O-2"))
    append(store, "O-1", "milestone_reported")
    with store.unit_of_work() as uow:
        assert not uow.orders.release_quarantine("O-1")  # not quarantined
        uow.orders.quarantine("O-1", "message milestone_reported failed 5 times")
    with store.unit_of_work(write=False) as uow:
        assert uow.inbox.pending_orders(10) == []

    with store.unit_of_work() as uow:
        assert uow.orders.release_quarantine("O-1")
        assert not uow.orders.release_quarantine("O-1")
        assert not uow.orders.release_quarantine("O-404")

    with store.unit_of_work() as uow:
        assert uow.inbox.pending_orders(10) == ["O-1"]
        assert [row.order_id for row in uow.orders.lock(["O-1"])] == ["O-1"]


def test_an_orders_failed_messages_are_listed_and_their_failures_forgotten_on_reset(
    store: Store,
) -> None:
    with store.unit_of_work() as uow:
        uow.orders.add(make_order("O-1"))
        uow.orders.add(make_order("O-2"))
    first, second, fine = (append(store, "O-1", kind) for kind in ("a", "b", "c"))
    done, other = append(store, "O-1", "d"), append(store, "O-2", "a")
    with store.unit_of_work() as uow:
        for message_id in (first, first, second, done, other):
            uow.inbox.record_failure(message_id, "ValidationError: garbled")
        uow.inbox.mark_processed([done], T0)

    with store.unit_of_work(write=False) as uow:
        failed = uow.inbox.failed("O-1")
    assert [(m.message_id, m.attempts) for m in failed] == [(first, 2), (second, 1)]
    assert fine not in [m.message_id for m in failed]

    with store.unit_of_work() as uow:
        assert uow.inbox.reset_failures("O-1") == 2
    with store.unit_of_work(write=False) as uow:
        assert uow.inbox.failed("O-1") == []
        assert [m.attempts for m in uow.inbox.pending_for(["O-1"])] == [0, 0, 0]
        assert [m.message_id for m in uow.inbox.failed("O-2")] == [other]
    with store.unit_of_work() as uow:
        assert uow.inbox.reset_failures("O-1") == 0
        # Counting starts over: the next failure is the first again.
        assert uow.inbox.record_failure(first, "again") == 1
