"""The store contract, trading-partner side: the file archive, control-number sequences, the
register of received interchanges, outbound documents awaiting their 997, and partners' POs."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert

from crossdock.integration.store import schema
from crossdock.integration.store.memory import MemoryUnitOfWork
from crossdock.integration.store.sql import SqlStore, SqlUnitOfWork
from crossdock.orchestration.partner_documents import (
    CONTROL_NUMBER_MAX,
    ControlKind,
    OutboundDocument,
    PartnerFile,
    PurchaseOrderRecord,
)
from crossdock.orchestration.store import Store

from .samples import T0

HOUR = timedelta(hours=1)
BARRIER_TIMEOUT_S = 60

Connect = Callable[[str], Store]
"""Opens another store on a database by its URL (the adapter's own way)."""

NOT_UTF8 = b"ISA*00*\xff\xfe\x00*ZZ*ACME\x85~GS*PO*\xc3\x28~\r\n\x1a"
"""Bytes no text codec round-trips: an archive that decoded and re-encoded them would fail."""


def partner_file(
    file_id: str,
    *,
    partner: str = "acme",
    at: datetime = T0,
    content: bytes = b"ISA*00*~",
    order_ids: tuple[str, ...] = (),
) -> PartnerFile:
    return PartnerFile(
        file_id=file_id,
        partner=partner,
        direction="in",
        transport="as2",
        name=f"<{file_id}@acme.example>",
        content=content,
        at=at,
        order_ids=order_ids,
    )


def archive(store: Store, *files: PartnerFile) -> None:
    with store.unit_of_work() as uow:
        for file in files:
            uow.partner_documents.archive(file)


def file_ids(files: list[PartnerFile]) -> list[str]:
    return [file.file_id for file in files]


def document(
    key: str,
    *,
    partner: str = "acme",
    order_id: str = "O-1",
    group: str = "101",
    set_control: str = "0001",
    created_at: datetime = T0,
    due: datetime | None = T0 + 24 * HOUR,
) -> OutboundDocument:
    return OutboundDocument(
        document_key=key,
        partner=partner,
        order_id=order_id,
        set_id="856",
        interchange_control="000000101",
        group_control=group,
        set_control=set_control,
        file_id=f"f-{key}",
        created_at=created_at,
        ack_due_at=due,
    )


def record(store: Store, *documents: OutboundDocument) -> None:
    with store.unit_of_work() as uow:
        for outbound in documents:
            assert uow.partner_documents.record_outbound(outbound)


def outbound(store: Store, key: str) -> OutboundDocument:
    with store.unit_of_work(write=False) as uow:
        found = uow.partner_documents.outbound(key)
    assert found is not None
    return found


def next_number(store: Store, partner: str = "acme", kind: ControlKind = "interchange") -> int:
    with store.unit_of_work() as uow:
        return uow.partner_documents.next_control_number(partner, kind)


def set_sequence(store: Store, partner: str, kind: ControlKind, last: int) -> None:
    """Put a sequence where counting there would take a billion transactions."""
    with store.unit_of_work() as uow:
        if isinstance(uow, SqlUnitOfWork):
            uow.connection.execute(
                insert(schema.control_numbers).values(partner=partner, kind=kind, value=last)
            )
        else:
            assert isinstance(uow, MemoryUnitOfWork)
            uow.partner_documents.t.control_numbers.put((partner, kind), last)


# ------------------------------------------------------------------ the archive


def test_an_archived_file_reads_back_byte_for_byte(store: Store) -> None:
    received = partner_file("f-1", content=NOT_UTF8)
    archive(store, received)

    with store.unit_of_work(write=False) as uow:
        found = uow.partner_documents.file("f-1")
        missing = uow.partner_documents.file("no-such-file")

    assert found == received
    assert found is not None
    assert found.content == NOT_UTF8
    assert missing is None


def test_an_empty_file_is_archived_as_empty(store: Store) -> None:
    archive(store, partner_file("f-empty", content=b""))

    with store.unit_of_work(write=False) as uow:
        found = uow.partner_documents.file("f-empty")

    assert found is not None
    assert found.content == b""


def test_a_settled_file_carries_its_outcome_and_is_found_through_its_orders(
    store: Store,
) -> None:
    archive(store, partner_file("f-1"), partner_file("f-2", at=T0 + HOUR))

    with store.unit_of_work() as uow:
        uow.partner_documents.settle_file(
            "f-1", status="accepted", summary="2 purchase orders", order_ids=["O-2", "O-1"]
        )

    with store.unit_of_work(write=False) as uow:
        settled = uow.partner_documents.file("f-1")
        for_o1 = uow.partner_documents.files(order_id="O-1")
        for_o2 = uow.partner_documents.files(order_id="O-2")
        for_other = uow.partner_documents.files(order_id="O-3")
    assert settled is not None
    assert (settled.status, settled.summary) == ("accepted", "2 purchase orders")
    assert settled.order_ids == ("O-1", "O-2")
    assert file_ids(for_o1) == file_ids(for_o2) == ["f-1"]
    assert for_o1 == [settled]
    assert for_other == []


def test_a_file_archived_with_its_orders_is_linked_to_them(store: Store) -> None:
    archive(store, partner_file("f-out", order_ids=("O-7",)))

    with store.unit_of_work(write=False) as uow:
        found = uow.partner_documents.files(order_id="O-7")

    assert file_ids(found) == ["f-out"]
    assert found[0].order_ids == ("O-7",)


def test_settling_a_file_again_adds_links_and_keeps_the_earlier_ones(store: Store) -> None:
    archive(store, partner_file("f-1"))

    with store.unit_of_work() as uow:
        uow.partner_documents.settle_file("f-1", status="accepted", summary="", order_ids=["O-1"])
    with store.unit_of_work() as uow:
        uow.partner_documents.settle_file(
            "f-1", status="accepted", summary="late", order_ids=["O-1", "O-2"]
        )

    with store.unit_of_work(write=False) as uow:
        settled = uow.partner_documents.file("f-1")
    assert settled is not None
    assert (settled.summary, settled.order_ids) == ("late", ("O-1", "O-2"))


def test_settling_an_unknown_file_links_nothing(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.partner_documents.settle_file("ghost", status="x", summary="", order_ids=["O-1"])

    with store.unit_of_work(write=False) as uow:
        assert uow.partner_documents.files(order_id="O-1") == []
        assert uow.partner_documents.file("ghost") is None


def test_a_partners_files_are_listed_newest_first(store: Store) -> None:
    archive(
        store,
        partner_file("f-b", at=T0 + HOUR),
        partner_file("f-a", at=T0),
        partner_file("f-c", at=T0 + 2 * HOUR),
        partner_file("f-other", partner="globex", at=T0 + 3 * HOUR),
    )

    with store.unit_of_work(write=False) as uow:
        acme = uow.partner_documents.files(partner="acme")
        newest_two = uow.partner_documents.files(partner="acme", limit=2)
        everyone = uow.partner_documents.files()

    assert file_ids(acme) == ["f-c", "f-b", "f-a"]
    assert file_ids(newest_two) == ["f-c", "f-b"]
    assert file_ids(everyone) == ["f-other", "f-c", "f-b", "f-a"]


def test_files_by_partner_and_order_must_match_both(store: Store) -> None:
    archive(
        store,
        partner_file("f-acme", order_ids=("O-1",)),
        partner_file("f-globex", partner="globex", at=T0 + HOUR, order_ids=("O-1",)),
    )

    with store.unit_of_work(write=False) as uow:
        both = uow.partner_documents.files(partner="acme", order_id="O-1")
        by_order = uow.partner_documents.files(order_id="O-1")

    assert file_ids(both) == ["f-acme"]
    assert file_ids(by_order) == ["f-globex", "f-acme"]


def test_a_file_time_in_another_zone_is_the_same_instant(store: Store) -> None:
    eastern = timezone(timedelta(hours=-5))
    archive(store, partner_file("f-1", at=T0.astimezone(eastern)))

    with store.unit_of_work(write=False) as uow:
        found = uow.partner_documents.file("f-1")

    assert found is not None
    assert found.at == T0


# ------------------------------------------------------------------ control numbers


def test_control_numbers_count_up_per_partner_and_kind_independently(store: Store) -> None:
    taken = [
        next_number(store, "acme", "interchange"),
        next_number(store, "acme", "interchange"),
        next_number(store, "acme", "group"),
        next_number(store, "globex", "interchange"),
        next_number(store, "acme", "interchange"),
        next_number(store, "acme", "set"),
        next_number(store, "acme", "group"),
    ]

    assert taken == [1, 2, 1, 1, 3, 1, 2]


def test_numbers_taken_in_one_transaction_follow_each_other(store: Store) -> None:
    with store.unit_of_work() as uow:
        taken = [uow.partner_documents.next_control_number("acme", "set") for _ in range(3)]

    assert taken == [1, 2, 3]
    assert next_number(store, "acme", "set") == 4


def test_a_control_number_wraps_after_nine_digits_to_one(store: Store) -> None:
    set_sequence(store, "acme", "interchange", CONTROL_NUMBER_MAX - 1)

    taken = [next_number(store) for _ in range(3)]

    assert taken == [CONTROL_NUMBER_MAX, 1, 2]
    assert next_number(store, "acme", "group") == 1


def take_numbers(store: Store, barrier: Any, rounds: int) -> list[int]:
    """Wait for every other taker, then take ``rounds`` numbers, one transaction each."""
    barrier.wait(BARRIER_TIMEOUT_S)
    return [next_number(store) for _ in range(rounds)]


def test_workers_taking_control_numbers_at_once_never_get_the_same_one(
    shared_database_url: str, connect: Connect
) -> None:
    stores = [connect(shared_database_url) for _ in range(2)]
    workers, rounds = 8, 10
    barrier = threading.Barrier(workers)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(take_numbers, stores[n % len(stores)], barrier, rounds)
            for n in range(workers)
        ]
        taken = [number for future in futures for number in future.result(timeout=120)]
    for store in stores:
        store.close()

    assert sorted(taken) == list(range(1, workers * rounds + 1))


def take_numbers_in_a_process(
    url: str, threads: int, rounds: int, barrier: Any, results: Any
) -> None:
    """One process: its own store on the shared database, ``threads`` threads taking numbers."""
    store = SqlStore(url)
    local = threading.Barrier(threads)
    barrier.wait(BARRIER_TIMEOUT_S)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(take_numbers, store, local, rounds) for _ in range(threads)]
        taken = [number for future in futures for number in future.result()]
    store.close()
    results.put(taken)


def test_separate_processes_taking_control_numbers_never_get_the_same_one(
    process_shared_database_url: str,
) -> None:
    context = multiprocessing.get_context("spawn")
    workers, threads, rounds = 3, 4, 10
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(
            target=take_numbers_in_a_process,
            args=(process_shared_database_url, threads, rounds, barrier, results),
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    taken = [number for _ in processes for number in results.get(timeout=120)]
    for process in processes:
        process.join(timeout=60)

    assert [process.exitcode for process in processes] == [0] * workers
    assert sorted(taken) == list(range(1, workers * threads * rounds + 1))


# ------------------------------------------------------------------ received interchanges


def test_an_interchange_is_registered_once_per_sender_and_control_number(store: Store) -> None:
    with store.unit_of_work() as uow:
        first = uow.partner_documents.register_interchange("ZZ:ACME", "000000905", "f-1", T0)
    with store.unit_of_work() as uow:
        again = uow.partner_documents.register_interchange("ZZ:ACME", "000000905", "f-2", T0)
        other_sender = uow.partner_documents.register_interchange(
            "ZZ:GLOBEX", "000000905", "f-3", T0
        )
        next_one = uow.partner_documents.register_interchange("ZZ:ACME", "000000906", "f-4", T0)

    assert (first, again, other_sender, next_one) == (True, False, True, True)
    with store.unit_of_work(write=False) as uow:
        documents = uow.partner_documents
        # A repeat names the file the interchange first came in: the inbox checks it finished.
        assert documents.registered_file("ZZ:ACME", "000000905") == "f-1"
        assert documents.registered_file("ZZ:GLOBEX", "000000905") == "f-3"
        assert documents.registered_file("ZZ:ACME", "000000907") is None


# ------------------------------------------------------------------ outbound documents


def test_an_outbound_document_is_tracked_once_and_the_first_stands(store: Store) -> None:
    original = document("O-1:856")

    with store.unit_of_work() as uow:
        first = uow.partner_documents.record_outbound(original)
        again = uow.partner_documents.record_outbound(
            document("O-1:856", set_control="0009", group="999")
        )

    assert (first, again) == (True, False)
    assert outbound(store, "O-1:856") == original
    with store.unit_of_work(write=False) as uow:
        assert uow.partner_documents.outbound("no-such-key") is None


def test_an_orders_outbound_documents_are_listed_oldest_first(store: Store) -> None:
    record(
        store,
        document("O-1:810", created_at=T0 + 2 * HOUR, set_control="0003"),
        document("O-1:855", created_at=T0, set_control="0001"),
        document("O-2:855", order_id="O-2", created_at=T0 + HOUR),
        document("O-1:856", created_at=T0 + HOUR, set_control="0002", due=None),
    )

    with store.unit_of_work(write=False) as uow:
        keys = [d.document_key for d in uow.partner_documents.outbound_for_order("O-1")]

    assert keys == ["O-1:855", "O-1:856", "O-1:810"]


def test_a_997_for_a_whole_group_acknowledges_every_set_of_it(store: Store) -> None:
    record(
        store,
        document("k1", set_control="0001"),
        document("k2", set_control="0002", created_at=T0 + HOUR),
        document("other-group", group="102"),
        document("other-partner", partner="globex"),
    )
    at = T0 + 2 * HOUR

    with store.unit_of_work() as uow:
        acknowledged = uow.partner_documents.acknowledge("acme", "101", None, "accepted", at)

    assert [(d.document_key, d.ack_status, d.acknowledged_at) for d in acknowledged] == [
        ("k1", "accepted", at),
        ("k2", "accepted", at),
    ]
    assert acknowledged == [outbound(store, "k1"), outbound(store, "k2")]
    assert outbound(store, "other-group").ack_status == "pending"
    assert outbound(store, "other-partner").ack_status == "pending"


def test_a_997_naming_sets_acknowledges_only_those_sets(store: Store) -> None:
    record(
        store,
        document("k1", set_control="0001"),
        document("k2", set_control="0002"),
        document("k3", set_control="0003"),
    )
    at = T0 + HOUR

    with store.unit_of_work() as uow:
        rejected = uow.partner_documents.acknowledge("acme", "101", ["0002"], "rejected", at)
        accepted = uow.partner_documents.acknowledge(
            "acme", "101", ("0001", "0003"), "accepted", at
        )
        none = uow.partner_documents.acknowledge("acme", "101", [], "accepted", at)

    assert [(d.document_key, d.ack_status) for d in rejected] == [("k2", "rejected")]
    assert [d.document_key for d in accepted] == ["k1", "k3"]
    assert none == []
    assert outbound(store, "k2").ack_status == "rejected"
    assert outbound(store, "k2").acknowledged_at == at


def test_a_997_for_an_unknown_group_acknowledges_nothing(store: Store) -> None:
    record(store, document("k1"))

    with store.unit_of_work() as uow:
        acknowledged = uow.partner_documents.acknowledge("acme", "777", None, "accepted", T0)

    assert acknowledged == []
    assert outbound(store, "k1").ack_status == "pending"


def test_the_997_clock_starts_when_the_file_is_sent_and_only_once(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.partner_documents.record_outbound(document("O-1:856", due=None))
        uow.partner_documents.record_outbound(document("O-2:856", due=T0))
    with store.unit_of_work() as uow:
        started = uow.partner_documents.expect_acknowledgement("f-O-1:856", T0 + 24 * HOUR)
        again = uow.partner_documents.expect_acknowledgement("f-O-1:856", T0 + 48 * HOUR)
        running = uow.partner_documents.expect_acknowledgement("f-O-2:856", T0 + 48 * HOUR)
        unsent = uow.partner_documents.overdue(T0 + 100 * HOUR, 10)

    assert (started, again, running) == (1, 0, 0)
    assert sorted(d.document_key for d in unsent) == ["O-1:856", "O-2:856"]
    assert {d.document_key: d.ack_due_at for d in unsent} == {
        "O-1:856": T0 + 24 * HOUR,
        "O-2:856": T0,
    }


def test_documents_past_their_997_window_are_reported_overdue_once(store: Store) -> None:
    record(
        store,
        document("late-2", set_control="0002", due=T0 + 2 * HOUR),
        document("late-1", set_control="0001", due=T0 + HOUR),
        document("not-yet", set_control="0003", due=T0 + 5 * HOUR),
        document("no-997-expected", set_control="0004", due=None),
        document("answered", group="102", due=T0 + HOUR),
    )
    with store.unit_of_work() as uow:
        uow.partner_documents.acknowledge("acme", "102", None, "accepted", T0)
    now = T0 + 3 * HOUR

    with store.unit_of_work() as uow:
        overdue = uow.partner_documents.overdue(now, 10)
    with store.unit_of_work() as uow:
        again = uow.partner_documents.overdue(now, 10)

    assert [(d.document_key, d.ack_status) for d in overdue] == [
        ("late-1", "overdue"),
        ("late-2", "overdue"),
    ]
    assert overdue == [outbound(store, "late-1"), outbound(store, "late-2")]
    assert again == []
    assert outbound(store, "not-yet").ack_status == "pending"
    assert outbound(store, "no-997-expected").ack_status == "pending"
    assert outbound(store, "answered").ack_status == "accepted"


def test_overdue_documents_come_earliest_deadline_first_a_batch_at_a_time(store: Store) -> None:
    record(
        store,
        *[document(f"k{n}", set_control=f"000{n}", due=T0 + (5 - n) * HOUR) for n in range(1, 5)],
    )
    now = T0 + 10 * HOUR

    with store.unit_of_work() as uow:
        first = uow.partner_documents.overdue(now, 3)
    with store.unit_of_work() as uow:
        rest = uow.partner_documents.overdue(now, 3)

    assert [d.document_key for d in first] == ["k4", "k3", "k2"]
    assert [d.document_key for d in rest] == ["k1"]


def test_a_late_997_still_acknowledges_an_overdue_document(store: Store) -> None:
    record(store, document("k1", due=T0 + HOUR))
    with store.unit_of_work() as uow:
        uow.partner_documents.overdue(T0 + 2 * HOUR, 10)

    with store.unit_of_work() as uow:
        late = uow.partner_documents.acknowledge("acme", "101", None, "accepted", T0 + 3 * HOUR)

    assert [(d.document_key, d.ack_status) for d in late] == [("k1", "accepted")]


def test_watchers_looking_for_overdue_documents_at_once_report_each_once(
    shared_database_url: str, connect: Connect
) -> None:
    stores = [connect(shared_database_url) for _ in range(2)]
    count = 40
    record(
        stores[0],
        *[document(f"k{n:02}", set_control=f"{n:04}", due=T0 + HOUR) for n in range(count)],
    )
    watchers = 4
    barrier = threading.Barrier(watchers)

    def watch(store: Store) -> list[str]:
        barrier.wait(BARRIER_TIMEOUT_S)
        seen: list[str] = []
        while True:
            with store.unit_of_work() as uow:
                batch = uow.partner_documents.overdue(T0 + 2 * HOUR, 3)
            if not batch:
                return seen
            seen.extend(d.document_key for d in batch)

    with ThreadPoolExecutor(max_workers=watchers) as pool:
        futures = [pool.submit(watch, stores[n % len(stores)]) for n in range(watchers)]
        reported = [key for future in futures for key in future.result(timeout=120)]
    for store in stores:
        store.close()

    assert sorted(reported) == [f"k{n:02}" for n in range(count)]


# ------------------------------------------------------------------ purchase orders


def purchase_order(po_number: str = "PO-4471", order_id: str = "O-1") -> PurchaseOrderRecord:
    return PurchaseOrderRecord(
        partner="acme",
        po_number=po_number,
        order_id=order_id,
        document={
            "po_number": po_number,
            "lines": [{"line_id": "001", "sku": "BOLT", "quantity": "10", "uom": "EA"}],
            "notes": "Löschung – ½ pallet",
        },
        file_id="f-1",
    )


def test_a_partners_purchase_order_is_kept_with_its_order(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.partner_documents.remember_purchase_order(purchase_order())

    with store.unit_of_work(write=False) as uow:
        found = uow.partner_documents.purchase_order("O-1")
        missing = uow.partner_documents.purchase_order("O-9")

    assert found == purchase_order()
    assert missing is None


def test_a_purchase_order_remembered_twice_keeps_the_first(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.partner_documents.remember_purchase_order(purchase_order())
    with store.unit_of_work() as uow:
        uow.partner_documents.remember_purchase_order(purchase_order(order_id="O-2"))

    with store.unit_of_work(write=False) as uow:
        first = uow.partner_documents.purchase_order("O-1")
        second = uow.partner_documents.purchase_order("O-2")

    assert first == purchase_order()
    assert second is None


def test_changing_a_returned_purchase_order_changes_nothing_stored(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.partner_documents.remember_purchase_order(purchase_order())

    with store.unit_of_work(write=False) as uow:
        found = uow.partner_documents.purchase_order("O-1")
    assert found is not None
    found.document["lines"].clear()

    with store.unit_of_work(write=False) as uow:
        assert uow.partner_documents.purchase_order("O-1") == purchase_order()
