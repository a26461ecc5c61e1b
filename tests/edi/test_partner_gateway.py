"""The partner gateway: a retried delivery resends the document it wrote, byte for byte; the 997
clock starts when a file is sent; a shipment of nothing advises nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.channels.edi.gateway import EdiPartnerGateway
from crossdock.channels.edi.mapping.item_ids import ItemId
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder, PurchaseOrderLine, Purpose
from crossdock.channels.edi.outbox import EdiOutbox
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.core.errors import RetryableError
from crossdock.core.fulfilment import Milestone, ShipmentMilestone, ShippedLine
from crossdock.integration.store.migrate import upgrade
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.messages import NotifyStatus, StatusNotified
from crossdock.orchestration.partner_documents import PartnerFile, PurchaseOrderRecord

AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ORDER = "ord_1"


class FlakyTransport:
    """Refuses the first ``failures`` files, then takes them; remembers what it took."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[bytes] = []

    async def send(self, profile: PartnerProfile, file: PartnerFile) -> str:
        if self.failures:
            self.failures -= 1
            raise RetryableError("partner's AS2 server timed out", code="timeout")
        self.sent.append(file.content)
        return "taken"

    async def aclose(self) -> None:
        """Nothing to close."""


def profile(**changes: object) -> PartnerProfile:
    return PartnerProfile.model_validate(
        {
            "name": "retailco",
            "customer_id": "C0003",
            "partner": {"isa_id": "RETAILCO"},
            "us": {"isa_id": "CROSSDOCK"},
            "drop": {"inbox": "/nonexistent/in", "outbox": "/nonexistent/out"},
            "ship_from": {
                "name": "DC", "line1": "1 Dock Rd", "city": "Newark", "postal_code": "07101",
                "country": "US",
            },
            **changes,
        }
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    url = f"sqlite:///{tmp_path}/hub.db"
    upgrade(url)
    built = SqlStore(url)
    po = PurchaseOrder(
        purpose=Purpose.ORIGINAL, order_type="SA", po_number="PO-1", po_date=AT.date(),
        lines=(
            PurchaseOrderLine(
                line_no=1, line_id="1", quantity=Decimal(2), uom="EA", unit_price=Decimal("9.5"),
                item_ids=(ItemId(qualifier="VP", id="SKU-1"),),
            ),
        ),
    )  # fmt: skip
    with built.unit_of_work() as uow:
        uow.partner_documents.remember_purchase_order(
            PurchaseOrderRecord(
                partner="retailco", po_number="PO-1", order_id=ORDER,
                document=po.model_dump(mode="json"),
            )
        )  # fmt: skip
    yield built
    built.close()


def notify(status: str, **detail: object) -> NotifyStatus:
    return NotifyStatus(
        system="retailco", order_id=ORDER, channel_order_number="PO-1", customer_po="PO-1",
        status=status, detail=dict(detail),
    )  # fmt: skip


async def test_a_retry_sends_the_855_the_first_attempt_wrote(store: SqlStore) -> None:
    clock = FakeClock(AT)
    transport = FlakyTransport(failures=1)
    gateway = EdiPartnerGateway(profile(), store, EdiOutbox(store, clock), transport)

    with pytest.raises(RetryableError):
        await gateway.deliver(notify("accepted"))
    with store.unit_of_work(write=False) as uow:
        [written] = uow.partner_documents.outbound_for_order(ORDER)
    assert written.ack_due_at is None, "no 997 is due for a document that never left"

    clock.advance(timedelta(minutes=5))
    result = await gateway.deliver(notify("accepted"))

    assert result == StatusNotified(system="retailco", status="accepted")
    [sent] = transport.sent
    [interchange] = read_interchanges(sent)
    assert interchange.control_number == written.interchange_control
    assert [s.set_id for g in interchange.groups for s in g.sets] == ["855"]
    with store.unit_of_work(write=False) as uow:
        [tracked] = uow.partner_documents.outbound_for_order(ORDER)
    assert tracked.ack_due_at == AT + timedelta(minutes=5) + timedelta(hours=24)


async def test_a_second_acknowledging_status_sends_no_second_855(store: SqlStore) -> None:
    transport = FlakyTransport()
    gateway = EdiPartnerGateway(profile(), store, EdiOutbox(store, FakeClock(AT)), transport)

    await gateway.deliver(notify("backordered", short=[]))
    await gateway.deliver(notify("accepted"))

    assert len(transport.sent) == 1


async def test_a_shipment_of_nothing_advises_nothing_and_statuses_without_documents_pass(
    store: SqlStore,
) -> None:
    transport = FlakyTransport()
    gateway = EdiPartnerGateway(profile(), store, EdiOutbox(store, FakeClock(AT)), transport)
    empty = ShipmentMilestone(
        order_id=ORDER, shipment_id="S2", milestone=Milestone.SHIPPED, occurred_at=AT,
        lines=(ShippedLine(line_no=1, sku="SKU-1", quantity=Decimal(0)),), final=True,
    )  # fmt: skip

    shipped = await gateway.deliver(notify("shipped", shipment=empty.model_dump(mode="json")))
    held = await gateway.deliver(notify("on_hold"))

    assert shipped == StatusNotified(system="retailco", status="shipped")
    assert held == StatusNotified(system="retailco", status="on_hold")
    assert transport.sent == []


async def test_gs08_carries_the_partners_industry_variant(store: SqlStore) -> None:
    transport = FlakyTransport()
    chosen = profile(gs_version="004010VICS")
    gateway = EdiPartnerGateway(chosen, store, EdiOutbox(store, FakeClock(AT)), transport)

    await gateway.deliver(notify("accepted"))

    [interchange] = read_interchanges(transport.sent[0])
    assert interchange.groups[0].version == "004010VICS"
    assert interchange.version == "00401"


def test_a_gs_version_must_be_a_variant_of_the_version() -> None:
    with pytest.raises(ValueError, match="not a variant of 004010"):
        profile(gs_version="005010VICS")
