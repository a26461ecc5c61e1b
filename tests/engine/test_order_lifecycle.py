"""The engine carries an order from the channel to closed, exactly once per fact it learns."""

from __future__ import annotations

from decimal import Decimal

from crossdock.core.fulfilment import Milestone
from crossdock.core.inventory import InventoryPosition
from crossdock.core.order import OrderStatus
from crossdock.orchestration.sync import InventorySync

from .hub import Hub

S = OrderStatus
D = Decimal


async def test_a_submitted_order_is_booked_and_released_to_the_warehouse(hub: Hub) -> None:
    order_id = hub.submit("O-1")

    await hub.drain()

    assert hub.status(order_id) is S.RELEASED
    state = hub.state(order_id)
    assert state.sales_order is not None
    assert state.sales_order.sales_order_number == "SO-O-1"
    assert state.fulfilment_id == "F-O-1"
    assert [c.operation for c in hub.gateways["legacy_erp"].sent] == ["create_sales_order"]
    assert [c.operation for c in hub.gateways["wms"].sent] == ["request_fulfilment"]
    assert hub.gateways["cloud_erp"].sent == []
    assert hub.position("BOLT").reserved == D(10)


async def test_a_shipped_order_is_invoiced_and_closed(hub: Hub) -> None:
    order_id = hub.submit("O-1")
    await hub.drain()

    assert hub.report(order_id, "evt-1")
    await hub.drain()

    assert hub.status(order_id) is S.CLOSED
    [invoice] = hub.deliveries(order_id, "post_invoice")
    assert (invoice.system, invoice.status) == ("legacy_erp", "done")
    assert hub.state(order_id).shipments[0].invoice_number == "INV-S-1"
    bolt = hub.position("BOLT")
    assert (bolt.on_hand, bolt.reserved) == (D(90), D(0))
    assert {d.status for d in hub.deliveries(order_id)} == {"done"}


async def test_the_timeline_links_every_entry_to_the_order_and_to_its_cause(hub: Hub) -> None:
    order_id = hub.submit("O-1")
    await hub.drain()
    hub.report(order_id, "evt-1")
    await hub.drain()

    timeline = hub.timeline(order_id)

    assert {"inbound", "decision", "delivery"} <= {e.kind for e in timeline}
    assert {e.correlation_id for e in timeline} == {order_id}
    received = next(e for e in timeline if e.kind == "inbound")
    assert received.summary == "order_received from storefront"
    message_ref = f"msg-{received.detail['message_id']}"
    routed = next(e for e in timeline if e.kind == "decision" and e.rule == "entity-A")
    assert "routed to legacy_erp by rule entity-A" in routed.summary
    assert routed.causation_id == message_ref
    # The booking was sent because of that message; the ERP's answer was caused by the booking.
    [booking] = hub.deliveries(order_id, "create_sales_order")
    sent = next(
        e for e in timeline if e.kind == "delivery" and e.summary.startswith("create_sales_order")
    )
    assert sent.causation_id == message_ref
    assert sent.detail["idempotency_key"] == f"{order_id}:create_sales_order"
    answer = next(e for e in timeline if e.kind == "inbound" and e.system == "legacy_erp")
    assert answer.summary == "sales_order_booked from legacy_erp"
    assert answer.causation_id == booking.delivery_id
    assert timeline[-1].kind == "decision"
    assert "closed" in timeline[-1].summary


async def test_an_order_for_entity_b_at_its_contract_price_is_booked_in_the_cloud_erp(
    hub: Hub,
) -> None:
    order_id = hub.submit("O-1", customer="C-B")

    await hub.drain()

    assert hub.status(order_id) is S.RELEASED
    assert [c.operation for c in hub.gateways["cloud_erp"].sent] == ["create_sales_order"]
    assert hub.gateways["legacy_erp"].sent == []


async def test_the_same_warehouse_event_twice_records_one_shipment_and_one_invoice(
    hub: Hub,
) -> None:
    order_id = hub.submit("O-1")
    await hub.drain()

    first = hub.report(order_id, "evt-1")
    again = hub.report(order_id, "evt-1")
    await hub.drain()

    assert (first, again) == (True, False)
    assert len(hub.state(order_id).shipments) == 1
    assert len(hub.deliveries(order_id, "post_invoice")) == 1
    assert len(hub.gateways["legacy_erp"].keys("post_invoice")) == 1
    assert hub.position("BOLT").on_hand == D(90)
    assert hub.status(order_id) is S.CLOSED


async def test_messages_for_one_order_are_applied_in_the_order_they_arrived(hub: Hub) -> None:
    order_id = hub.submit("O-1")
    await hub.drain()

    hub.report(order_id, "evt-1", Milestone.PICKED)
    hub.report(order_id, "evt-2", Milestone.PACKED)
    hub.report(order_id, "evt-3", Milestone.SHIPPED)
    await hub.drain()

    [shipment] = hub.state(order_id).shipments
    assert shipment.milestones == ("picked", "packed", "shipped")
    inbound = [e.detail["body"] for e in hub.timeline(order_id) if e.kind == "inbound"]
    milestones = [b["milestone"]["milestone"] for b in inbound if "milestone" in b]
    assert milestones == ["picked", "packed", "shipped"]


async def test_cancelling_a_released_order_withdraws_it_everywhere_and_frees_its_stock(
    hub: Hub,
) -> None:
    before = hub.position("BOLT"), hub.position("NUT")
    order_id = hub.submit("O-1")
    await hub.drain()
    assert hub.position("BOLT").reserved == D(10)

    assert hub.desk.request_cancellation(order_id, "customer changed their mind", "storefront")
    await hub.drain()

    assert hub.status(order_id) is S.CANCELLED
    [cancel_so] = hub.deliveries(order_id, "cancel_sales_order")
    [cancel_f] = hub.deliveries(order_id, "cancel_fulfilment")
    assert (cancel_so.system, cancel_so.status) == ("legacy_erp", "done")
    assert (cancel_f.system, cancel_f.status) == ("wms", "done")
    assert cancel_so.command["sales_order_number"] == "SO-O-1"
    assert cancel_f.command["fulfilment_id"] == "F-O-1"
    assert (hub.position("BOLT"), hub.position("NUT")) == before
    with hub.store.unit_of_work(write=False) as uow:
        assert uow.inventory.reserved_for(order_id) == []


class RaisedStock:
    """The WMS as an inventory source: reports whatever the test put on its shelves."""

    def __init__(self, *positions: InventoryPosition) -> None:
        self._positions = positions

    async def positions(self) -> tuple[InventoryPosition, ...]:
        return self._positions


async def test_a_backordered_order_reserves_and_proceeds_once_stock_arrives(hub: Hub) -> None:
    hub.stock(BOLT="10")
    order_id = hub.submit("O-1", bolts="20")
    await hub.drain()

    assert hub.status(order_id) is S.BACKORDERED
    assert "line 1 (BOLT) wants 20, 10 available" in hub.summaries(order_id)
    assert hub.position("BOLT").reserved == D(0)
    assert hub.gateways["legacy_erp"].sent == []

    restock = RaisedStock(InventoryPosition(sku="BOLT", location="WH1", on_hand=D(50)))
    report = await InventorySync(hub.store, restock, hub.clock, hub.wakeups).run_once()
    await hub.drain()

    assert report.woken_orders == 1
    assert hub.status(order_id) is S.RELEASED
    bolt = hub.position("BOLT")
    assert (bolt.on_hand, bolt.reserved) == (D(50), D(20))
