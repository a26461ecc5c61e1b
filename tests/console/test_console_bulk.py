"""Bulk actions, replay by filter and paging on the console's exception queue, over HTTP against
the engine hub, on SQLite and on PostgreSQL: every ticked exception is handled on its own through
the exception desk, the report names each with its outcome (one the database will not save
included), one audit entry records it all, whatever happens; what an operator types that the
exceptions table cannot hold is refused before anything is written, in a bulk and in a single
action; a replay by filter takes what the filtered queue lists; and paging through the queue
shows each exception exactly once."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

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


# ---------------------------------------------------------------- what the database cannot take


def refuse_updates_of(hub: ConsoleHub, exception_id: str) -> None:
    """Make the database itself refuse every change to one exception (a trigger), as a full disk
    or a broken constraint would: a real store error, raised by the real database."""
    if hub.store.sqlite:
        statements = [
            "CREATE TRIGGER refuse_one BEFORE UPDATE ON exceptions "
            f"WHEN OLD.exception_id = '{exception_id}' "
            "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
        ]
    else:
        statements = [
            "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the disk is full'; END $$",
            "CREATE TRIGGER refuse_one BEFORE UPDATE ON exceptions FOR EACH ROW "
            f"WHEN (OLD.exception_id = '{exception_id}') EXECUTE FUNCTION refuse_one()",
        ]
    with hub.store.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


async def test_an_exception_the_database_will_not_save_is_refused_and_the_others_are_done(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    first, stuck, last = await refused_bookings(hub, "O-1", "O-2", "O-3")
    refuse_updates_of(hub, stuck)

    page = await bulk(operator, "resolve", [first, stuck, last], note="handled")

    assert page.status_code == 200
    assert outcomes(page) == {first: "done", stuck: "refused", last: "done"}
    assert "could not be saved: the database refused the change or did not answer" in page.text
    assert "the disk is full" not in page.text  # the database's own words stay in the log
    assert [hub.exceptions.get(i).status for i in (first, stuck, last)] == [
        "resolved",
        "open",
        "resolved",
    ]
    [entry] = hub.access.audit(AuditQuery(action="console.exceptions.bulk"))
    assert (entry.outcome, entry.detail["done"], entry.detail["refused"]) == ("ok", 2, 1)


async def test_a_bulk_stopped_by_something_unexpected_still_writes_its_audit_entry(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    first, corrupt, never = await refused_bookings(hub, "O-1", "O-2", "O-3")
    token = await csrf(operator)
    with hub.store.engine.begin() as connection:  # a row no code of ours could have written
        connection.execute(
            text("UPDATE exceptions SET tags = 'not json' WHERE exception_id = :id"),
            {"id": corrupt},
        )

    with pytest.raises(ValueError):  # the console answers 500; the test client re-raises it
        await operator.post(
            "/console/exceptions/bulk",
            data={"csrf": token, "verb": "assign", "id": [first, corrupt, never], "assignee": "j"},
        )

    [entry] = hub.access.audit(AuditQuery(action="console.exceptions.bulk"))
    assert entry.outcome == "failed"
    assert entry.detail["ids"] == [first, corrupt, never]
    assert [(o["id"], o["outcome"]) for o in entry.detail["outcomes"]] == [(first, "done")]
    assert entry.detail["not_reached"] == [corrupt, never]
    assert entry.detail["stopped"] == "JSONDecodeError"
    assert [hub.exceptions.get(i).assignee for i in (first, never)] == ["j", ""]


async def test_an_assignee_as_long_as_its_column_is_taken_and_one_longer_refuses_the_bulk(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    first, second = await refused_bookings(hub, "O-1", "O-2")

    longest = await bulk(operator, "assign", [first], assignee="a" * 128)
    too_long = await bulk(operator, "assign", [first, second], assignee="b" * 129)

    assert outcomes(longest) == {first: "done"}
    assert too_long.status_code == 422
    assert (
        "The assignee is 129 characters long: at most 128 can be stored. Nothing was done."
        in too_long.text
    )
    assert [hub.exceptions.get(i).assignee for i in (first, second)] == ["a" * 128, ""]
    refused = [
        e
        for e in hub.access.audit(AuditQuery(action="console.exceptions.bulk"))
        if e.outcome == "refused"
    ]
    assert [(e.detail["verb"], e.detail["field"]) for e in refused] == [("assign", "assignee")]


@pytest.mark.parametrize(
    ("verb", "fields", "field"),
    [
        ("resolve", {"note": "called\x00back"}, "note"),
        ("assign", {"assignee": "ja\x00ne"}, "assignee"),
        ("tag", {"tags": "vip po\x00stal"}, "tags"),
    ],
)
async def test_a_nul_character_refuses_the_bulk_whole_naming_the_field(
    operator: httpx.AsyncClient, hub: ConsoleHub, verb: str, fields: dict[str, str], field: str
) -> None:
    first, second = await refused_bookings(hub, "O-1", "O-2")

    page = await bulk(operator, verb, [first, second], **fields)

    assert page.status_code == 422
    assert f"The {field} cannot hold a NUL character. Nothing was done." in page.text
    for exception_id in (first, second):
        record = hub.exceptions.get(exception_id)
        assert (record.status, record.assignee, record.tags) == ("open", "", ())


@pytest.mark.parametrize(
    ("verb", "fields", "field", "message"),
    [
        ("assign", {"assignee": "x" * 129}, "assignee", "The assignee is 129 characters long"),
        ("resolve", {"note": "called\x00back"}, "note", "The note cannot hold a NUL character."),
        ("tag", {"add": "vip po\x00stal"}, "tags", "The tags cannot hold a NUL character."),
    ],
)
async def test_a_single_action_the_database_cannot_hold_is_refused_on_the_page(
    operator: httpx.AsyncClient,
    hub: ConsoleHub,
    verb: str,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    [exception_id] = await refused_bookings(hub, "O-1")
    token = await csrf(operator)

    response = await operator.post(
        f"/console/exceptions/{exception_id}/{verb}", data={"csrf": token, **fields}
    )

    assert response.status_code == 422
    assert message in response.text
    record = hub.exceptions.get(exception_id)
    assert (record.status, record.assignee, record.tags, record.note) == ("open", "", (), "")
    [entry] = hub.access.audit(AuditQuery(action=f"console.exception.{verb}"))
    assert (entry.outcome, entry.detail["field"]) == ("refused", field)


async def test_a_bulk_form_with_more_fields_than_two_hundred_exceptions_need_is_refused(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    [exception_id] = await refused_bookings(hub, "O-1")

    # One id, sent 421 times: read in full, it would be one exception and pass the cap.
    page = await bulk(operator, "resolve", [exception_id] * 421)

    assert page.status_code == 422
    assert "The bulk form carries more than 420 fields" in page.text
    assert hub.exceptions.get(exception_id).status == "open"


# ---------------------------------------------------------------- replay by filter


class _FormReader(HTMLParser):
    """The fields one form of a page posts, as a browser would send them untouched."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.select: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif not self.inside:
            return
        elif tag == "input" and "name" in a:
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields[a["name"]] = a.get("value") or ("on" if a.get("type") else "")
        elif tag == "select":
            self.select = a["name"]
            self.fields.setdefault(self.select, "")
        elif tag == "option" and self.select is not None and "selected" in a:
            self.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def form_on(page: httpx.Response, form_id: str) -> dict[str, str]:
    reader = _FormReader(form_id)
    reader.feed(page.text)
    assert reader.fields, f"the page has no form {form_id!r}"
    return reader.fields


def replayed(page: httpx.Response) -> list[str]:
    """The exception ids the replay report lists, in order."""
    return re.findall(r'<tr data-replay="([^"]+)">', page.text)


async def test_replay_by_filter_takes_exactly_what_the_filtered_queue_lists(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    vip, vip_of_jane, other = await refused_bookings(hub, "O-1", "O-2", "O-3")
    for exception_id in (vip, vip_of_jane):
        hub.exceptions.tag(exception_id, add=("vip",), by="ops/test")
    hub.exceptions.assign(vip_of_jane, "jane", by="ops/test")
    queue = await operator.get("/console/exceptions", params={"tag": "vip", "assignee": "jane"})

    form = form_on(queue, "replay")
    page = await operator.post("/console/replays", data=form)

    assert (form["tag"], form["assignee"], form["dry_run"]) == ("vip", "jane", "on")
    assert replayed(page) == listed(queue) == [vip_of_jane]
    assert listed(page) == [vip_of_jane]  # the queue under the report, at the same filters
    wider = await operator.post("/console/replays", data={**form, "assignee": ""})
    assert sorted(replayed(wider)) == sorted([vip, vip_of_jane])
    assert [d.status for d in hub.deliveries("O-3", "create_sales_order")] == ["failed"]
    assert hub.exceptions.get(other).status == "open"


async def test_a_replay_of_more_than_its_cap_says_it_took_the_first_two_hundred(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    seed_exceptions(hub, "wms", 205)
    token = await csrf(operator)

    counted = await operator.post(
        "/console/replays", data={"csrf": token, "system": "wms", "dry_run": "on"}
    )
    uncounted = await operator.post(
        "/console/replays", data={"csrf": token, "error_type": "http_422", "dry_run": "on"}
    )
    few = await operator.post(
        "/console/replays", data={"csrf": token, "order_id": "O-7", "dry_run": "on"}
    )

    assert len(replayed(counted)) == len(replayed(uncounted)) == 200
    assert "lists the first 200 of 205 matching exceptions" in counted.text
    assert "lists the first 200 of more than 200 matching exceptions" in uncounted.text
    assert len(replayed(few)) == 1
    assert 'id="replay-capped"' not in few.text
    [capped, *_] = [
        e for e in hub.access.audit(AuditQuery(action="console.replay")) if "capped_at" in e.detail
    ]
    assert capped.detail["capped_at"] == 200


async def test_after_a_replay_the_address_is_the_queue_and_reloading_it_works(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    [exception_id] = await refused_bookings(hub, "O-1")
    token = await csrf(operator)

    boosted = await operator.post(
        "/console/replays",
        data={"system": "legacy_erp", "tag": "", "dry_run": "on"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    reloaded = await operator.get("/console/replays", params={"system": "legacy_erp"})
    after_bulk = await operator.get("/console/exceptions/bulk", params={"tag": "vip", "page": "2"})

    assert boosted.headers["hx-push-url"] == "/console/exceptions?system=legacy_erp"
    assert replayed(boosted) == [exception_id]
    assert (reloaded.status_code, reloaded.headers["location"]) == (
        303,
        "/console/exceptions?system=legacy_erp",
    )
    assert (after_bulk.status_code, after_bulk.headers["location"]) == (
        303,
        "/console/exceptions?tag=vip&page=2",
    )


@pytest.mark.parametrize("page", ["²", "٣", "99999999999999999999999", "10001", "-2", "0"])
async def test_a_page_that_is_no_page_number_of_the_queue_shows_the_first(
    operator: httpx.AsyncClient, hub: ConsoleHub, page: str
) -> None:
    seed_exceptions(hub, "wms", 60)

    response = await operator.get("/console/exceptions", params={"page": page})

    assert response.status_code == 200
    assert len(listed(response)) == 50
    assert "1–50 of 60 · page 1" in " ".join(response.text.split())


@pytest.mark.parametrize("name", ["tag", "order_id", "assignee", "system"])
async def test_a_filter_holding_a_nul_character_lists_nothing_and_replays_nothing(
    operator: httpx.AsyncClient, hub: ConsoleHub, name: str
) -> None:
    await refused_bookings(hub, "O-1")
    token = await csrf(operator)

    queue = await operator.get("/console/exceptions", params={name: "O-1\x00"})
    replay = await operator.post(
        "/console/replays", data={"csrf": token, name: "O-1\x00", "dry_run": "on"}
    )

    assert (queue.status_code, listed(queue)) == (200, [])
    assert (replay.status_code, replayed(replay)) == (200, [])
    assert "No exception matches a filter holding a NUL character." in replay.text
