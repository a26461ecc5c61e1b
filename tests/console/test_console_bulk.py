"""Bulk actions and paging on the console's exception queue, over HTTP against the engine hub,
on SQLite and on PostgreSQL: every ticked exception is handled on its own through the exception
desk, the report names each with its outcome, one audit entry records it all, and paging through
the queue shows each exception exactly once."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from credentials import admin_key
from crossdock.core.order import OrderStatus
from crossdock.integration.access.records import AuditQuery
from crossdock.orchestration.store_ops import ExceptionRecord
from postgres import DATABASES, empty_database

from .console_hub import ConsoleHub


@pytest.fixture(params=DATABASES)
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConsoleHub]:
    """The console hub on an empty database: SQLite, then PostgreSQL."""
    with empty_database(request.param, tmp_path) as url:
        built = ConsoleHub(url)
        yield built
        built.close()


@pytest.fixture
async def operator(hub: ConsoleHub) -> AsyncIterator[httpx.AsyncClient]:
    """A browser logged in to the console with an admin key."""
    transport = httpx.ASGITransport(app=hub.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post(
            "/console/login", data={"key": admin_key(hub.access), "next": "/console"}
        )
        assert response.status_code == 303
        yield http


async def csrf(http: httpx.AsyncClient) -> str:
    queue = await http.get("/console/exceptions")
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', queue.text)
    assert found, "the queue carries no CSRF token"
    return found.group(1)


async def bulk(
    http: httpx.AsyncClient, verb: str, ids: list[str], **fields: str | list[str]
) -> httpx.Response:
    """Tick ``ids`` on the queue and press ``verb``, as the bulk form posts it."""
    data = {"csrf": await csrf(http), "verb": verb, "id": ids, **fields}
    return await http.post("/console/exceptions/bulk", data=data)


def outcomes(page: httpx.Response) -> dict[str, str]:
    """The bulk report's outcome per exception id."""
    report = re.findall(r'data-outcome="(\w+)" data-exception="([^"]+)"', page.text)
    return {exception_id: outcome for outcome, exception_id in report}


def listed(page: httpx.Response) -> list[str]:
    """The exception ids in the queue's table, in order."""
    return re.findall(r'<tr data-exception="([^"]+)">', page.text)


async def refused_bookings(hub: ConsoleHub, *order_ids: str) -> list[str]:
    """Orders whose booking the ERP refuses once; their exceptions' ids."""
    return [await hub.refused_booking(order_id) for order_id in order_ids]


# ---------------------------------------------------------------- actions


async def test_bulk_resolve_settles_the_ticked_exceptions_with_the_note_and_leaves_the_rest(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    first, second, untouched = await refused_bookings(hub, "O-1", "O-2", "O-3")

    page = await bulk(operator, "resolve", [first, second], note="customer called")

    assert page.status_code == 200
    assert outcomes(page) == {first: "done", second: "done"}
    assert "Resolve: 2 done, 0 skipped, 0 refused." in page.text
    for exception_id in (first, second):
        record = hub.exceptions.get(exception_id)
        assert (record.status, record.note) == ("resolved", "customer called")
    assert hub.exceptions.get(untouched).status == "open"
    assert listed(page) == [untouched]  # the queue shows what is still unsettled


async def test_bulk_retry_sends_the_refused_bookings_again_and_the_orders_move_on(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    ids = await refused_bookings(hub, "O-1", "O-2")

    page = await bulk(operator, "retry", ids)

    assert outcomes(page) == dict.fromkeys(ids, "done")
    assert "send create_sales_order to legacy_erp again" in page.text
    await hub.drain()
    assert [hub.status(o) for o in ("O-1", "O-2")] == [OrderStatus.RELEASED] * 2
    assert [hub.exceptions.get(i).status for i in ids] == ["replayed", "replayed"]


async def test_a_bulk_retry_of_a_delivery_already_queued_again_is_skipped_with_why(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    [exception_id] = await refused_bookings(hub, "O-1")
    await bulk(operator, "retry", [exception_id])

    page = await bulk(operator, "retry", [exception_id])

    assert outcomes(page) == {exception_id: "skipped"}
    assert "already queued: the delivery is waiting to go" in page.text
    await hub.drain()
    assert [d.status for d in hub.deliveries("O-1", "create_sales_order")] == ["done"]


async def test_an_unknown_id_and_a_resolved_one_are_refused_with_why_and_the_others_done(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    settled, open_one = await refused_bookings(hub, "O-1", "O-2")
    hub.exceptions.resolve(settled, by="ops/earlier", note="done by phone")

    page = await bulk(operator, "resolve", ["E-NOPE", settled, open_one], note="bulk")

    assert page.status_code == 200
    assert outcomes(page) == {"E-NOPE": "refused", settled: "refused", open_one: "done"}
    assert "unknown id: no exception has it" in page.text
    assert "already resolved: it cannot change any more" in page.text
    assert "Resolve: 1 done, 0 skipped, 2 refused." in page.text
    assert hub.exceptions.get(settled).note == "done by phone"  # not overwritten
    assert hub.exceptions.get(open_one).status == "resolved"


async def test_one_audit_entry_records_the_verb_the_ids_and_each_outcome(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    [exception_id] = await refused_bookings(hub, "O-1")

    await bulk(operator, "resolve", [exception_id, "E-NOPE"], note="duplicate order")

    [entry] = hub.access.audit(AuditQuery(action="console.exceptions.bulk"))
    assert entry.outcome == "ok"
    assert entry.partner_id == "ops"
    assert entry.detail["verb"] == "resolve"
    assert entry.detail["ids"] == [exception_id, "E-NOPE"]
    assert entry.detail["note"] == "duplicate order"
    assert [(o["id"], o["outcome"]) for o in entry.detail["outcomes"]] == [
        (exception_id, "done"),
        ("E-NOPE", "refused"),
    ]
    assert hub.exceptions.get(exception_id).status == "resolved"


async def test_bulk_assign_tag_and_untag_then_the_queue_filters_by_tag_and_assignee(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    first, second, other = await refused_bookings(hub, "O-1", "O-2", "O-3")

    await bulk(operator, "assign", [first, second], assignee="jane")
    await bulk(operator, "tag", [first, second, other], tags="postal, erp")
    await bulk(operator, "untag", [second], tags="erp")

    assert hub.exceptions.get(first).tags == ("postal", "erp")
    assert hub.exceptions.get(second).tags == ("postal",)
    assert [hub.exceptions.get(i).assignee for i in (first, second, other)] == ["jane", "jane", ""]
    by_tag = await operator.get("/console/exceptions", params={"tag": "erp"})
    assert sorted(listed(by_tag)) == sorted([first, other])
    by_assignee = await operator.get("/console/exceptions", params={"assignee": "jane"})
    assert sorted(listed(by_assignee)) == sorted([first, second])


async def test_ticking_the_whole_page_acts_on_every_exception_it_lists(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    ids = await refused_bookings(hub, "O-1", "O-2", "O-3")
    queue = await operator.get("/console/exceptions")
    on_the_page = re.findall(r'name="page_id" value="([^"]+)"', queue.text)

    # What a browser without script sends: the page's ids, and "all" ticked, no row ticked.
    page = await bulk(operator, "assign", [], all="on", page_id=on_the_page, assignee="sam")

    assert sorted(outcomes(page)) == sorted(ids)
    assert {hub.exceptions.get(i).assignee for i in ids} == {"sam"}


async def test_a_bulk_without_the_csrf_token_is_refused_and_changes_nothing(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    [exception_id] = await refused_bookings(hub, "O-1")

    response = await operator.post(
        "/console/exceptions/bulk", data={"verb": "resolve", "id": [exception_id]}
    )

    assert response.status_code == 403
    assert hub.exceptions.get(exception_id).status == "open"
    [entry] = hub.access.audit(AuditQuery(action="console.csrf"))
    assert entry.outcome == "refused"
    assert hub.access.audit(AuditQuery(action="console.exceptions.bulk")) == []


async def test_more_than_two_hundred_ids_are_refused_whole_with_a_clear_message(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    [exception_id] = await refused_bookings(hub, "O-1")
    ids = [exception_id, *(f"E-{n}" for n in range(200))]

    response = await bulk(operator, "resolve", ids)

    assert response.status_code == 422
    assert (
        "A bulk action takes at most 200 exceptions and 201 were ticked: nothing was done."
        in response.text
    )
    assert hub.exceptions.get(exception_id).status == "open"
    [entry] = hub.access.audit(AuditQuery(action="console.exceptions.bulk"))
    assert (entry.outcome, entry.detail["verb"]) == ("refused", "resolve")


@pytest.mark.parametrize(
    ("verb", "ids", "message"),
    [
        ("resolve", [], "Tick at least one exception."),
        ("", ["E-1"], "Choose an action for the ticked exceptions."),
        ("delete", ["E-1"], "The console has no bulk action &#39;delete&#39;."),
        ("tag", ["E-1"], "Name the tags to add."),
    ],
)
async def test_a_bulk_that_cannot_run_says_why(
    operator: httpx.AsyncClient, verb: str, ids: list[str], message: str
) -> None:
    response = await bulk(operator, verb, ids)

    assert response.status_code == 422
    assert message in response.text


async def test_the_order_page_lists_its_exceptions_without_bulk_checkboxes(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    [exception_id] = await refused_bookings(hub, "O-1")

    page = await operator.get("/console/orders/O-1")

    assert listed(page) == [exception_id]
    assert 'name="id"' not in page.text


# ---------------------------------------------------------------- paging


def seed_exceptions(hub: ConsoleHub, system: str, count: int) -> list[str]:
    """``count`` open exceptions for ``system``, seen ten at a time (so pages split ties)."""
    now = hub.clock.now()
    records = [
        ExceptionRecord(
            exception_id=f"E-{system}-{n:03}",
            order_id=f"O-{n}",
            system=system,
            operation="create_sales_order",
            source="delivery",
            delivery_id=f"D-{system}-{n}",
            error="422 refused",
            error_type="http_422",
            first_seen=now - timedelta(minutes=n // 10),
            last_seen=now - timedelta(minutes=n // 10),
        )
        for n in range(count)
    ]
    with hub.store.unit_of_work() as uow:
        for record in records:
            uow.exceptions.raise_exception(record)
    return [r.exception_id for r in records]


async def test_paging_through_the_queue_shows_each_exception_once_and_keeps_the_filter(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    expected = seed_exceptions(hub, "wms", 120)
    seed_exceptions(hub, "cloud_erp", 7)  # filtered out
    seen: list[str] = []
    positions: list[str] = []

    url: str | None = "/console/exceptions?system=wms"
    while url is not None:
        page = await operator.get(url)
        seen += listed(page)
        position = re.search(r'id="queue-position">\s*([^<]*?)\s*</span>', page.text)
        assert position
        positions.append(" ".join(position.group(1).split()))
        following = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        url = html.unescape(following.group(1)) if following else None
        assert url is None or "system=wms" in url

    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen)) == 120
    assert positions == [
        "1–50 of 120 · page 1",
        "51–100 of 120 · page 2",
        "101–120 of 120 · page 3",
    ]


async def test_the_last_page_links_back_and_a_page_past_the_end_is_empty(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    seed_exceptions(hub, "wms", 60)

    last = await operator.get("/console/exceptions", params={"error_type": "http_422", "page": 2})
    past = await operator.get("/console/exceptions", params={"page": 9})

    assert len(listed(last)) == 10
    assert 'rel="next"' not in last.text
    assert "/console/exceptions?error_type=http_422&amp;page=1" not in last.text
    assert '<a href="/console/exceptions?error_type=http_422" rel="prev">' in last.text
    assert "51–60 · page 2" in " ".join(last.text.split())  # no cheap total with this filter
    assert listed(past) == []
    assert "No exception." in past.text
