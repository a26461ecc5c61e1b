"""Every event the real workflow writes to the outbox matches its registered contract.

Orders go through the engine as production wires it (``engine.hub``: real workflow, real SQLite
store, fake gateways): one to closed, one cancelled, one held by a refused booking, one
backordered. Each outbox row is checked twice: against the contract's model (which also refuses
fields the contract does not name) and, as a consumer would, as a CloudEvent against the
published JSON Schema its ``dataschema`` names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jsonschema_rs
import pytest

from crossdock.core.errors import PermanentError
from crossdock.integration.contracts import ORDER_EVENTS, ContractViolation
from crossdock.integration.transport.cloudevents import to_cloudevent
from crossdock.orchestration.store import OutboxRecord
from engine.hub import Hub


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    built = Hub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


async def run_every_path(hub: Hub) -> list[OutboxRecord]:
    """Drive orders down every path that publishes an event; return the whole outbox."""
    hub.gateways["legacy_erp"].fail(
        "create_sales_order", PermanentError("customer_po is too long", code="http_422")
    )
    held = hub.submit("O-HELD")
    await hub.drain()

    shipped = hub.submit("O-SHIPPED")
    cancelled = hub.submit("O-CANCELLED")
    await hub.drain()
    assert hub.report(shipped, "evt-1", shipment_id="S-1")
    assert hub.desk.request_cancellation(cancelled, "customer changed their mind", "storefront")
    await hub.drain()

    backordered = hub.submit("O-SHORT", bolts="1000")
    await hub.drain()

    assert [hub.status(o).value for o in (held, shipped, cancelled, backordered)] == [
        "on_hold",
        "closed",
        "cancelled",
        "backordered",
    ]
    with hub.store.unit_of_work(write=False) as uow:
        return uow.outbox.after(0, 1000)


async def test_every_event_the_workflow_emits_matches_its_contract(hub: Hub) -> None:
    events = await run_every_path(hub)

    for event in events:
        ORDER_EVENTS.validate(event.type, event.data)  # raises ContractViolation with the reasons
    assert {e.type for e in events} == {c.type for c in ORDER_EVENTS}, "a contract went unused"


async def test_every_published_cloudevent_matches_the_schema_its_dataschema_names(
    hub: Hub,
) -> None:
    events = await run_every_path(hub)
    schemas = {c.dataschema: c.schema() for c in ORDER_EVENTS}

    for event in events:
        envelope = to_cloudevent(event)
        schema = schemas[envelope["dataschema"]]
        errors = [
            e.message for e in jsonschema_rs.validator_for(schema).iter_errors(envelope["data"])
        ]
        assert errors == [], (envelope["type"], envelope["data"])


async def test_the_invoice_total_is_a_decimal_string_as_the_contract_says(hub: Hub) -> None:
    events = await run_every_path(hub)

    [invoice] = [e.data for e in events if e.type == "crossdock.order.invoice_issued.v1"]
    assert invoice["order_id"] == "O-SHIPPED"
    assert invoice["shipment_id"] == "S-1"
    assert isinstance(invoice["total"], str)
    # 10 bolts at 2.50 and 4 nuts at 12.00 = 73.00, plus 8.25 % tax (6.02), to the cent.
    assert invoice["total"] == "79.02"


def test_data_that_drifts_from_its_contract_is_refused_with_every_reason() -> None:
    with pytest.raises(ContractViolation) as refused:
        ORDER_EVENTS.validate(
            "crossdock.order.routed.v1",
            {"order_id": "O-1", "status": "routed", "system": 7, "erp": "legacy_erp"},
        )

    assert refused.value.problems == [
        "system: Input should be a valid string",
        "rule: Field required",
        "erp: Extra inputs are not permitted",
    ]


def test_an_event_type_without_a_contract_is_refused() -> None:
    with pytest.raises(ContractViolation, match="no contract is registered"):
        ORDER_EVENTS.validate("crossdock.order.teleported.v1", {"order_id": "O-1"})
