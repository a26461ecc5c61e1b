"""``crossdock search backfill``: orders shipped before migration 0006 become findable by their
shipment (ASN) and tracking numbers, once, however often it runs.

A real engine (``OperatorHub``: real workflow and store, fake gateways) ships and invoices orders
on a migrated database; the bindings a pre-0006 hub never wrote are then deleted, as that hub
would have left them. The CLI runs on the same database through ``CROSSDOCK_STORE__URL``, and the
search API is asked afterwards, as a customer service agent would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import delete, or_
from typer.testing import CliRunner

from api.estate import client
from api.operator_hub import OperatorHub
from crossdock.cli import app
from crossdock.integration.api import create_app
from crossdock.integration.store import schema as t
from crossdock.integration.store.migrate import upgrade
from crossdock.visibility.search import search_router
from postgres import DATABASES, empty_database


@pytest.fixture(params=DATABASES)
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OperatorHub]:
    with empty_database(request.param, tmp_path) as url:
        upgrade(url)
        built = OperatorHub(url)
        yield built
        built.close()


@pytest.fixture
async def shipped_before_0006(hub: OperatorHub) -> OperatorHub:
    """O-1 shipped as S-1 and invoiced, O-2 shipped as S-2, O-3 only booked; then the shipment
    and tracking bindings of O-1 and O-2 taken away (a hub before 0006 never wrote them)."""
    for order_id in ("O-1", "O-2", "O-3"):
        hub.submit(order_id)
    await hub.drain()
    hub.report("O-1", "evt-1", shipment_id="S-1")
    hub.report("O-2", "evt-2", shipment_id="S-2")
    await hub.drain()
    b = t.bindings
    with hub.store.engine.begin() as connection:
        connection.execute(
            delete(b).where(or_(b.c.kind.like("shipment:%"), b.c.kind.like("tracking:%")))
        )
    return hub


def crossdock(hub: OperatorHub, *args: str) -> Result:
    env = {"CROSSDOCK_STORE__URL": hub.store.url, "CROSSDOCK_ESTATE_FILE": None}
    return CliRunner().invoke(app, ["search", *args], env=env)


def counts(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


async def search(hub: OperatorHub, number: str) -> list[tuple[str, str, str]]:
    api = create_app(
        desk=hub.desk, access=hub.access, exceptions=hub.exceptions, routers=[search_router()]
    )
    async with client(api, key=hub.admin_key()) as http:
        response = await http.get("/api/v1/search", params={"q": number})
    assert response.status_code == 200
    return [(m["order_id"], m["matched_on"], m["system"]) for m in response.json()]


async def test_after_the_backfill_an_order_shipped_before_0006_is_found_by_its_tracking_number(
    shipped_before_0006: OperatorHub,
) -> None:
    hub = shipped_before_0006
    assert await search(hub, "1Z-S-1") == []

    result = crossdock(hub, "backfill")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "3 orders looked at, 2 with shipments; added 4 bindings to 2 orders"
    )
    assert await search(hub, "1Z-S-1") == [("O-1", "tracking", "UPS")]
    assert await search(hub, "S-2") == [("O-2", "shipment", "wms")]


async def test_a_second_backfill_adds_nothing(shipped_before_0006: OperatorHub) -> None:
    hub = shipped_before_0006

    first = counts(crossdock(hub, "backfill", "--json", "--batch", "1"))
    second = counts(crossdock(hub, "backfill", "--json"))

    assert (first["added"], first["orders_changed"]) == (4, 2)
    assert (second["orders"], second["shipped"], second["added"]) == (3, 2, 0)
    kinds = sorted(b.kind for b in hub.bindings("O-1"))
    assert kinds == [
        "fulfilment",
        "invoice:O-1-S-1",
        "sales_order",
        "shipment:S-1",
        "tracking:S-1",
    ]


async def test_a_dry_run_counts_what_is_missing_and_writes_nothing(
    shipped_before_0006: OperatorHub,
) -> None:
    hub = shipped_before_0006

    dry = counts(crossdock(hub, "backfill", "--dry-run", "--json"))

    assert (dry["dry_run"], dry["added"], dry["orders_changed"]) == (True, 4, 2)
    assert await search(hub, "1Z-S-1") == []


async def test_a_backfilled_binding_is_dated_by_the_orders_last_update(
    shipped_before_0006: OperatorHub,
) -> None:
    hub = shipped_before_0006

    counts(crossdock(hub, "backfill", "--json"))

    [binding] = hub.bindings("O-2", "shipment:S-2")
    assert binding.bound_at == hub.row("O-2").updated_at


async def test_orders_shipped_after_0006_keep_the_bindings_their_steps_wrote(
    hub: OperatorHub,
) -> None:
    hub.submit("O-1")
    await hub.drain()
    hub.report("O-1", "evt-1", shipment_id="S-1")
    await hub.drain()
    recorded = hub.bindings("O-1")

    result = counts(crossdock(hub, "backfill", "--json"))

    assert (result["shipped"], result["added"]) == (1, 0)
    assert hub.bindings("O-1") == recorded
