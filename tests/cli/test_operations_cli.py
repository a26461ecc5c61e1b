"""``crossdock exceptions``, ``replay`` and ``systems`` against a migrated SQLite file.

The exceptions come from real refusals: the engine (real workflow, store and delivery runner, fake
gateways) runs on the same database the CLI opens through ``CROSSDOCK_STORE__URL``.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.core.errors import PermanentError
from crossdock.core.order import OrderStatus
from crossdock.integration.store.migrate import upgrade
from crossdock.orchestration.store_ops import ExceptionQuery
from engine.hub import Hub

BOOK = "create_sales_order"
LEGACY = "legacy_erp"


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/hub.db"
    upgrade(url)
    return url


@pytest.fixture
def hub(database: str) -> Iterator[Hub]:
    built = Hub(database)
    # The CLI writes with the wall clock; the engine's clock starts there too.
    built.clock.advance(datetime.now(UTC) - built.clock.now())
    yield built
    built.close()


def crossdock(database: str, *args: str) -> Result:
    """Run the CLI on ``database`` with the sandbox estate, as an operator's shell would."""
    env = {"CROSSDOCK_STORE__URL": database, "CROSSDOCK_ESTATE_FILE": None, "COLUMNS": "240"}
    return CliRunner().invoke(app, list(args), env=env)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


async def refused_booking(hub: Hub, order_id: str, *, customer: str = "C-A") -> str:
    """An order whose ERP refuses its booking once; returns the exception's id."""
    system = LEGACY if customer == "C-A" else "cloud_erp"
    code = "http_422" if customer == "C-A" else "mapping"
    hub.gateways[system].fail(BOOK, PermanentError("422 postal code 93650 is unknown", code=code))
    hub.submit(order_id, customer=customer)
    await hub.drain()
    with hub.store.unit_of_work(write=False) as uow:
        [record] = uow.exceptions.search(ExceptionQuery(order_id=order_id))
    return record.exception_id


def booking(hub: Hub, order_id: str) -> tuple[str, str]:
    """The booking delivery's status and the postal code it would send."""
    [delivery] = hub.deliveries(order_id, BOOK)
    return delivery.status, delivery.command["order"]["ship_to"]["postal_code"]


async def catch_up(hub: Hub) -> None:
    """The engine's clock catches up with the wall clock the CLI wrote with; the engine runs."""
    hub.clock.advance(max(datetime.now(UTC) - hub.clock.now(), timedelta(0)) + timedelta(seconds=1))
    await hub.drain()


# ---------------------------------------------------------------- configuration


def test_a_database_that_was_never_migrated_is_refused_naming_crossdock_migrate(
    tmp_path: Path,
) -> None:
    result = crossdock(f"sqlite:///{tmp_path}/stale.db", "exceptions", "list")

    assert result.exit_code == 2
    assert "crossdock migrate" in result.stderr


# ---------------------------------------------------------------- list and show


async def test_list_as_json_filters_by_system_partner_error_type_status_and_time_window(
    hub: Hub, database: str
) -> None:
    start = hub.clock.now()
    await refused_booking(hub, "O-1", customer="C-A")  # legacy ERP
    hub.clock.advance(timedelta(hours=1))
    await refused_booking(hub, "O-2", customer="C-B")  # cloud ERP, an hour later
    between = start + timedelta(minutes=30)

    def orders(*options: str) -> list[str]:
        return [
            r["order_id"]
            for r in as_json(crossdock(database, "exceptions", "list", "--json", *options))
        ]

    assert orders() == ["O-2", "O-1"]
    assert orders("--system", LEGACY) == ["O-1"]
    assert orders("--partner", "C-B") == ["O-2"]
    assert orders("--error-type", "mapping") == ["O-2"]
    assert orders("--order", "O-1", "--operation", BOOK) == ["O-1"]
    assert orders("--since", between.isoformat()) == ["O-2"]
    assert orders("--until", between.astimezone(timezone(timedelta(hours=-5))).isoformat()) == [
        "O-1"
    ]
    assert orders("--status", "open", "--status", "assigned") == ["O-2", "O-1"]
    assert orders("--status", "resolved") == []
    assert orders("--limit", "1") == ["O-2"]


async def test_list_prints_a_table_naming_each_exception_its_order_and_error(
    hub: Hub, database: str
) -> None:
    exception_id = await refused_booking(hub, "O-1")

    out = ok(crossdock(database, "exceptions", "list"))

    assert exception_id in out
    assert "O-1" in out
    assert "http_422" in out
    assert "422 postal code 93650 is unknown" in out


def test_a_naive_time_or_an_unknown_status_is_a_usage_error_naming_the_option(
    database: str,
) -> None:
    naive = crossdock(database, "exceptions", "list", "--since", "2026-01-05T09:00:00")
    status = crossdock(database, "exceptions", "list", "--status", "closed")

    assert (naive.exit_code, status.exit_code) == (2, 2)
    assert "--since" in naive.stderr
    assert "timezone" in naive.stderr
    assert "--status" in status.stderr


async def test_show_prints_every_field_and_the_request_that_failed(hub: Hub, database: str) -> None:
    exception_id = await refused_booking(hub, "O-1")

    record = as_json(crossdock(database, "exceptions", "show", exception_id, "--json"))
    text = ok(crossdock(database, "exceptions", "show", exception_id))

    assert (record["exception_id"], record["order_id"], record["status"]) == (
        exception_id,
        "O-1",
        "open",
    )
    assert record["request"]["order"]["ship_to"]["postal_code"] == "93650"
    assert "error_type: http_422" in text
    assert '"postal_code": "93650"' in text


def test_an_unknown_exception_is_refused_with_exit_code_1(database: str) -> None:
    result = crossdock(database, "exceptions", "show", "exc-nope")

    assert result.exit_code == 1
    assert "no exception exc-nope" in result.stderr


# ---------------------------------------------------------------- retry


async def test_retry_with_set_corrects_one_field_and_rearms_the_delivery_with_it(
    hub: Hub, database: str
) -> None:
    exception_id = await refused_booking(hub, "O-1")
    fix = ("--set", "order.ship_to.postal_code=93651", "--by", "jane")

    dry = as_json(
        crossdock(database, "exceptions", "retry", exception_id, *fix, "--dry-run", "--json")
    )

    assert dry["action"] == "send"
    assert dry["request"]["order"]["ship_to"]["postal_code"] == "93651"  # still a string
    assert booking(hub, "O-1") == ("failed", "93650")

    ok(crossdock(database, "exceptions", "retry", exception_id, *fix))

    assert booking(hub, "O-1") == ("pending", "93651")
    await catch_up(hub)
    assert hub.gateways[LEGACY].sent[-1].model_dump()["order"]["ship_to"]["postal_code"] == "93651"
    assert hub.status("O-1") is OrderStatus.RELEASED
    assert f"exception {exception_id} replayed by jane" in hub.summaries("O-1")


async def test_retry_with_a_request_file_sends_the_corrected_document(
    hub: Hub, database: str, tmp_path: Path
) -> None:
    exception_id = await refused_booking(hub, "O-1")
    request = as_json(crossdock(database, "exceptions", "show", exception_id, "--json"))["request"]
    request["order"]["ship_to"]["postal_code"] = "93652"
    file = tmp_path / "corrected.json"
    file.write_text(json.dumps(request))

    ok(crossdock(database, "exceptions", "retry", exception_id, "--request", str(file)))

    assert booking(hub, "O-1") == ("pending", "93652")


async def test_a_correction_that_changes_the_system_is_refused_naming_request_system(
    hub: Hub, database: str
) -> None:
    exception_id = await refused_booking(hub, "O-1")

    result = crossdock(database, "exceptions", "retry", exception_id, "--set", "system=cloud_erp")

    assert result.exit_code == 1
    assert "request.system" in result.stderr
    assert booking(hub, "O-1") == ("failed", "93650")


async def test_a_set_that_is_not_path_equals_value_or_names_no_field_is_a_usage_error(
    hub: Hub, database: str
) -> None:
    exception_id = await refused_booking(hub, "O-1")

    no_value = crossdock(database, "exceptions", "retry", exception_id, "--set", "order.ship_to")
    no_field = crossdock(
        database, "exceptions", "retry", exception_id, "--set", "order.shipto.postal_code=1"
    )
    no_line = crossdock(
        database, "exceptions", "retry", exception_id, "--set", "order.lines.9.quantity=1"
    )

    assert (no_value.exit_code, no_field.exit_code, no_line.exit_code) == (2, 2, 2)
    assert "dotted.path=value" in no_value.stderr
    assert "order.shipto" in no_field.stderr
    assert "order.lines.9" in no_line.stderr
    assert booking(hub, "O-1") == ("failed", "93650")


# ---------------------------------------------------------------- triage


async def test_assign_tag_and_resolve_then_a_retry_is_refused(hub: Hub, database: str) -> None:
    exception_id = await refused_booking(hub, "O-1")

    ok(crossdock(database, "exceptions", "assign", exception_id, "alice"))
    ok(crossdock(database, "exceptions", "tag", exception_id, "--add", "postal", "--add", "x"))
    ok(crossdock(database, "exceptions", "tag", exception_id, "--remove", "x"))
    ok(crossdock(database, "exceptions", "resolve", exception_id, "--note", "booked by phone"))
    retried = crossdock(database, "exceptions", "retry", exception_id)

    record = as_json(crossdock(database, "exceptions", "show", exception_id, "--json"))
    assert (record["status"], record["assignee"], record["tags"]) == (
        "resolved",
        "alice",
        ["postal"],
    )
    assert record["note"] == "booked by phone"
    assert retried.exit_code == 1
    assert "resolved" in retried.stderr
    # --by defaults to the operator's own user name.
    assert f"assigned to alice by {getpass.getuser()}" in hub.summaries("O-1")


# ---------------------------------------------------------------- replay


async def test_replay_is_a_dry_run_by_default_and_sends_only_with_no_dry_run(
    hub: Hub, database: str
) -> None:
    exception_id = await refused_booking(hub, "O-1")
    await refused_booking(hub, "O-2", customer="C-B")

    dry = crossdock(database, "replay", "--filter", f"system={LEGACY}")

    out = ok(dry)
    assert "send" in out
    assert exception_id in out
    assert "dry run: 1 to send, 0 skipped" in out
    assert booking(hub, "O-1") == ("failed", "93650")

    report = as_json(
        crossdock(database, "replay", "--filter", f"system={LEGACY}", "--no-dry-run", "--json")
    )

    assert (report["dry_run"], report["to_send"], report["skipped"]) == (False, 1, 0)
    assert [item["order_id"] for item in report["items"]] == ["O-1"]
    assert booking(hub, "O-1")[0] == "pending"
    assert booking(hub, "O-2")[0] == "failed"
    again = as_json(crossdock(database, "replay", "--filter", "status=replayed", "--json"))
    assert [(i["action"], i["reason"]) for i in again["items"]] == [
        ("skip", "already queued: the delivery is waiting to go")
    ]


def test_replay_with_an_unknown_filter_key_is_a_usage_error_naming_it(database: str) -> None:
    unknown = crossdock(database, "replay", "--filter", "colour=red")
    resolved = crossdock(database, "replay", "--filter", "status=resolved")

    assert (unknown.exit_code, resolved.exit_code) == (2, 2)
    assert "colour" in unknown.stderr
    assert "resolved" in resolved.stderr


# ---------------------------------------------------------------- systems


def test_pause_and_resume_a_system_round_trip(database: str) -> None:
    before = {s["system"]: s for s in as_json(crossdock(database, "systems", "status", "--json"))}
    assert sorted(before) == ["cloud_erp", "customer_service", "edi_customer", "legacy_erp", "wms"]
    assert before[LEGACY]["paused"] is False

    ok(crossdock(database, "systems", "pause", LEGACY, "--reason", "ERP upgrade"))
    paused = {s["system"]: s for s in as_json(crossdock(database, "systems", "status", "--json"))}
    table = ok(crossdock(database, "systems", "status"))
    ok(crossdock(database, "systems", "resume", LEGACY, "--by", "jane"))
    resumed = {s["system"]: s for s in as_json(crossdock(database, "systems", "status", "--json"))}

    assert paused[LEGACY]["paused"] is True
    assert (paused[LEGACY]["paused_by"], paused[LEGACY]["paused_reason"]) == (
        getpass.getuser(),
        "ERP upgrade",
    )
    assert paused["wms"]["paused"] is False
    assert f"{LEGACY} paused by {getpass.getuser()}: ERP upgrade" in table
    assert resumed[LEGACY]["paused"] is False
    assert resumed[LEGACY]["last_change"] == f"{LEGACY} resumed by jane"


def test_an_unknown_system_is_refused_with_exit_code_1_naming_the_known_ones(
    database: str,
) -> None:
    result = crossdock(database, "systems", "pause", "sap")

    assert result.exit_code == 1
    assert "no system 'sap'" in result.stderr
    assert LEGACY in result.stderr
