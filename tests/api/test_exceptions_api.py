"""The exception queue over HTTP: list and filter, triage, retry with a corrected request, replay.

Every exception here comes from a real refusal recorded by the real delivery runner.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.core.order import OrderStatus
from crossdock.orchestration.store_ops import Binding, ExceptionRecord

from .estate import client, problem_fields
from .operator_hub import BOOK, LEGACY, POSTAL_REFUSAL, OperatorHub

EXCEPTIONS = "/api/v1/exceptions"
REPLAYS = "/api/v1/replays"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[OperatorHub]:
    built = OperatorHub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


@pytest.fixture
async def api(hub: OperatorHub) -> AsyncIterator[httpx.AsyncClient]:
    async with client(hub.app(), key=hub.admin_key()) as http:
        yield http


async def listed(api: httpx.AsyncClient, **params: Any) -> list[str]:
    """The order ids of the exceptions a filter lists, in the order listed."""
    response = await api.get(EXCEPTIONS, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["items"])
    return [item["order_id"] for item in body["items"]]


async def exception(api: httpx.AsyncClient, exception_id: str) -> dict[str, Any]:
    response = await api.get(f"{EXCEPTIONS}/{exception_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# ---------------------------------------------------------------- reading and filtering


async def test_a_refused_booking_is_listed_with_every_field_of_its_exception(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    exception_id = await hub.refused_booking("O-1")

    response = await api.get(EXCEPTIONS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [item] = body["items"]
    assert set(item) == {f.name for f in dataclasses.fields(ExceptionRecord)}
    assert item["exception_id"] == exception_id
    assert (item["order_id"], item["system"], item["operation"], item["source"]) == (
        "O-1",
        LEGACY,
        BOOK,
        "delivery",
    )
    assert (item["error"], item["error_type"], item["classification"]) == (
        POSTAL_REFUSAL,
        "http_422",
        "permanent",
    )
    assert (item["status"], item["channel"], item["customer_id"]) == ("open", "storefront", "C-A")
    assert item["request"]["order"]["ship_to"]["postal_code"] == "93650"
    assert item["last_seen"] == "2026-01-05T09:00:00Z"
    assert await exception(api, exception_id) == item


async def test_the_list_filters_by_partner_system_error_type_and_time_window(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    await hub.refused_booking("O-1", customer="C-A")  # legacy ERP, 09:00
    hub.clock.advance(timedelta(hours=1))
    await hub.refused_booking("O-2", customer="C-B", error="no GL account", code="mapping")

    assert await listed(api) == ["O-2", "O-1"]  # most recently seen first
    assert await listed(api, partner="C-B") == ["O-2"]
    assert await listed(api, partner="storefront") == ["O-2", "O-1"]
    assert await listed(api, system=LEGACY) == ["O-1"]
    assert await listed(api, error_type="mapping") == ["O-2"]
    assert await listed(api, operation=BOOK, classification="permanent") == ["O-2", "O-1"]
    assert await listed(api, order_id="O-1") == ["O-1"]
    assert await listed(api, since="2026-01-05T09:30:00Z") == ["O-2"]
    assert await listed(api, until="2026-01-05T09:30:00Z") == ["O-1"]
    assert await listed(api, since="2026-01-05T10:00:00+01:00") == ["O-2", "O-1"]
    assert await listed(api, limit=1) == ["O-2"]
    assert await listed(api, limit=1, offset=1) == ["O-1"]


async def test_assigning_and_tagging_narrow_the_list_and_go_on_the_orders_timeline(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    first = await hub.refused_booking("O-1")
    second = await hub.refused_booking("O-2")

    assigned = await api.post(
        f"{EXCEPTIONS}/{first}/assign", json={"assignee": "alice", "by": "jane"}
    )
    tagged = await api.post(
        f"{EXCEPTIONS}/{second}/tags", json={"add": ["postal", "west"], "by": "jane"}
    )
    untagged = await api.post(f"{EXCEPTIONS}/{second}/tags", json={"remove": ["west"]})

    assert assigned.status_code == tagged.status_code == untagged.status_code == 200
    assert (assigned.json()["status"], assigned.json()["assignee"]) == ("assigned", "alice")
    assert untagged.json()["tags"] == ["postal"]
    assert await listed(api, status="assigned") == ["O-1"]
    assert sorted(await listed(api, status=["open", "assigned"])) == ["O-1", "O-2"]
    assert await listed(api, status="resolved") == []
    assert await listed(api, assignee="alice") == ["O-1"]
    assert await listed(api, tag="postal") == ["O-2"]
    assert f"exception {first} assigned to alice by jane" in hub.summaries("O-1")


async def test_a_naive_time_an_unknown_parameter_or_a_limit_out_of_range_is_a_422_naming_it(
    api: httpx.AsyncClient,
) -> None:
    cases = {
        "since=2026-01-05T09:00:00": ["since"],
        "until=yesterday": ["until"],
        "limit=0": ["limit"],
        "limit=1001": ["limit"],
        "offset=-1": ["offset"],
        "status=closed": ["status[0]"],
        "colour=red": ["colour"],
    }
    for query, fields in cases.items():
        response = await api.get(f"{EXCEPTIONS}?{query}")
        assert response.status_code == 422, query
        assert problem_fields(response) == fields, query


async def test_an_unknown_exception_is_a_404_problem_on_every_route(
    api: httpx.AsyncClient,
) -> None:
    path = f"{EXCEPTIONS}/exc-nope"
    responses = [
        await api.get(path),
        await api.post(f"{path}/assign", json={"assignee": "alice"}),
        await api.post(f"{path}/tags", json={"add": ["x"]}),
        await api.post(f"{path}/resolve", json={}),
        await api.post(f"{path}/retry", json={}),
    ]

    for response in responses:
        assert response.status_code == 404
        assert problem_fields(response) == ["exception_id"]
        assert "exc-nope" in response.json()["detail"]


async def test_a_request_body_with_an_unknown_field_is_a_422_naming_it(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    exception_id = await hub.refused_booking("O-1")

    response = await api.post(
        f"{EXCEPTIONS}/{exception_id}/assign", json={"assignee": "alice", "asignee": "bob"}
    )

    assert response.status_code == 422
    assert problem_fields(response) == ["asignee"]


# ---------------------------------------------------------------- retry


async def test_retry_with_a_corrected_request_rearms_the_delivery_and_the_order_is_booked(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    exception_id = await hub.refused_booking("O-1")
    assert hub.status("O-1") is OrderStatus.ON_HOLD
    corrected = copy.deepcopy((await exception(api, exception_id))["request"])
    corrected["order"]["ship_to"]["postal_code"] = "93651"

    response = await api.post(
        f"{EXCEPTIONS}/{exception_id}/retry", json={"request": corrected, "by": "jane"}
    )

    assert response.status_code == 200, response.text
    item = response.json()
    assert (item["action"], item["exception_id"], item["order_id"]) == (
        "send",
        exception_id,
        "O-1",
    )
    assert "corrected" in item["reason"]
    assert item["request"]["order"]["ship_to"]["postal_code"] == "93651"
    booking = hub.booking("O-1")
    assert booking["status"] == "pending"
    assert booking["command"]["order"]["ship_to"]["postal_code"] == "93651"
    stored = await exception(api, exception_id)
    assert (stored["status"], stored["replays"]) == ("replayed", 1)

    await hub.drain()

    sent = hub.gateways[LEGACY].sent[-1]
    assert sent.model_dump(mode="json")["order"]["ship_to"]["postal_code"] == "93651"
    assert hub.status("O-1") is OrderStatus.RELEASED


async def test_a_corrected_request_for_another_system_is_a_422_naming_request_system(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    exception_id = await hub.refused_booking("O-1")
    corrected = copy.deepcopy((await exception(api, exception_id))["request"])
    corrected["system"] = "cloud_erp"

    response = await api.post(f"{EXCEPTIONS}/{exception_id}/retry", json={"request": corrected})

    assert response.status_code == 422
    assert problem_fields(response) == ["request.system"]
    assert hub.booking("O-1")["status"] == "failed"
    stored = await exception(api, exception_id)
    assert (stored["status"], stored["replays"]) == ("open", 0)


async def test_a_dry_run_retry_says_what_would_be_sent_and_changes_nothing(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    exception_id = await hub.refused_booking("O-1")
    corrected = copy.deepcopy((await exception(api, exception_id))["request"])
    corrected["order"]["ship_to"]["postal_code"] = "93651"

    response = await api.post(
        f"{EXCEPTIONS}/{exception_id}/retry", json={"request": corrected, "dry_run": True}
    )

    assert response.status_code == 200
    assert response.json()["action"] == "send"
    assert response.json()["request"]["order"]["ship_to"]["postal_code"] == "93651"
    booking = hub.booking("O-1")
    assert booking["status"] == "failed"
    assert booking["command"]["order"]["ship_to"]["postal_code"] == "93650"
    assert (await exception(api, exception_id))["status"] == "open"


async def test_a_resolved_exception_can_be_tagged_but_not_retried_or_assigned(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    exception_id = await hub.refused_booking("O-1")
    path = f"{EXCEPTIONS}/{exception_id}"

    resolved = await api.post(f"{path}/resolve", json={"note": "booked by phone", "by": "jane"})
    retried = await api.post(f"{path}/retry", json={})
    assigned = await api.post(f"{path}/assign", json={"assignee": "alice"})
    tagged = await api.post(f"{path}/tags", json={"add": ["phone"]})

    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["note"]) == ("resolved", "booked by phone")
    for refused in (retried, assigned):
        assert refused.status_code == 409
        assert problem_fields(refused) == ["exception_id"]
    assert (tagged.status_code, tagged.json()["tags"]) == (200, ["phone"])
    assert hub.booking("O-1")["status"] == "failed"


# ---------------------------------------------------------------- replay


async def test_a_dry_run_replay_sends_what_failed_skips_what_already_happened_and_changes_nothing(
    api: httpx.AsyncClient, hub: OperatorHub
) -> None:
    done = await hub.refused_booking("O-1")
    failed = await hub.refused_booking("O-2")
    bound = await hub.refused_booking("O-3")
    # O-1: someone released the hold; the booking went through and the exception stayed open.
    hub.desk.release_hold("O-1", "jane", "postal code fixed in the ERP")
    await hub.drain()
    assert hub.booking("O-1")["status"] == "done"
    # O-3: a clerk keyed the order into the ERP by hand, and its number was bound to ours.
    with hub.store.unit_of_work() as uow:
        uow.bindings.bind(
            Binding(
                order_id="O-3",
                system=LEGACY,
                kind="sales_order",
                external_id="SO-BY-PHONE",
                bound_at=hub.clock.now(),
            )
        )
    sent_before = len(hub.gateways[LEGACY].sent)

    response = await api.post(REPLAYS, json={"filter": {"system": LEGACY}})

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["to_send"], report["skipped"]) == (True, 1, 2)
    actions = {item["exception_id"]: (item["action"], item["reason"]) for item in report["items"]}
    assert actions == {
        done: ("skip", "already done: the delivery succeeded"),
        failed: ("send", f"send {BOOK} to {LEGACY} again"),
        bound: ("skip", f"already done: {LEGACY} has sales_order SO-BY-PHONE"),
    }
    await hub.drain()
    assert len(hub.gateways[LEGACY].sent) == sent_before
    assert hub.booking("O-2")["status"] == "failed"
    assert sorted(await listed(api, status="open")) == ["O-1", "O-2", "O-3"]

    replayed = await api.post(REPLAYS, json={"filter": {"system": LEGACY}, "dry_run": False})

    assert (replayed.json()["dry_run"], replayed.json()["to_send"]) == (False, 1)
    assert (await exception(api, failed))["status"] == "replayed"
    assert (await exception(api, bound))["status"] == "open"
    await hub.drain()
    assert hub.status("O-2") is OrderStatus.RELEASED
    assert len(hub.gateways[LEGACY].sent) > sent_before


async def test_a_replay_filter_with_an_unknown_key_or_a_resolved_status_is_a_422_naming_it(
    api: httpx.AsyncClient,
) -> None:
    unknown = await api.post(REPLAYS, json={"filter": {"colour": "red"}})
    resolved = await api.post(REPLAYS, json={"filter": {"status": ["resolved"]}})
    naive = await api.post(REPLAYS, json={"filter": {"since": "2026-01-05T09:00:00"}})
    too_many = await api.post(REPLAYS, json={"limit": 5000})

    assert problem_fields(unknown) == ["filter.colour"]
    assert problem_fields(resolved) == ["filter.status[0]"]
    assert problem_fields(naive) == ["filter.since"]
    assert problem_fields(too_many) == ["limit"]
