"""What the inbox does with the awkward cases: a broken envelope, test traffic, an 850 it cannot
take, a first receipt that never finished, an 846 reported per partner location."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.channels.edi.mapping.canonical_order import to_order
from crossdock.channels.edi.mapping.purchase_order import parse_850
from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.estate import Estate
from crossdock.orchestration.partner_documents import PartnerFile
from crossdock.orchestration.store_ops import ExceptionQuery
from crossdock.rig import Rig, in_process_rig
from edi.test_partner_flow import PARTNER, orders_of, partner_estate, purchase_order


def stocking_estate(root: Path) -> Estate:
    base = partner_estate(root)
    profile = base.edi.partners[PARTNER].model_copy(update={"inventory_location": "WH-3PL"})
    edi = base.edi.model_copy(update={"partners": {PARTNER: profile}})
    return base.model_copy(update={"edi": edi})


@pytest.fixture
async def rig(tmp_path: Path, hub_database: str | None) -> AsyncIterator[Rig]:
    async with in_process_rig(
        data_dir=tmp_path, estate=stocking_estate(tmp_path), database_url=hub_database
    ) as running:
        yield running


def answer(rig: Rig, file_id: str) -> list[str]:
    """What we queued for the partner in answer to one of its files: TA1 codes and set ids."""
    with rig.hub.store.unit_of_work(write=False) as uow:
        file = uow.partner_documents.file(file_id)
    assert file is not None
    [interchange] = read_interchanges(file.content)
    ta1 = [f"TA1 {s.element(4)} {s.element(5)}" for s in interchange.segments if s.tag == "TA1"]
    sets = [s.set_id for g in interchange.groups for s in g.sets]
    return [f"ISA15 {interchange.usage}", *ta1, *sets]


def test_a_rejected_envelope_is_answered_by_its_ta1_alone(rig: Rig) -> None:
    raw = purchase_order("PO-6001", 61).replace(b"*000000061*", b"*00000006X*", 1)

    receipt = rig.hub.edi.inbox.receive_now(raw, "api", "bad.edi", PARTNER)

    assert receipt.status == "rejected"
    assert orders_of(rig) == []
    [file_id] = receipt.acknowledgements
    assert answer(rig, file_id) == ["ISA15 P", "TA1 R 018"]


def test_test_traffic_is_answered_as_test(rig: Rig) -> None:
    receipt = rig.hub.edi.inbox.receive_now(
        purchase_order("PO-6002", 62, usage="T"), "api", "t.edi", PARTNER
    )

    assert receipt.status == "test"
    [file_id] = receipt.acknowledgements
    assert answer(rig, file_id) == ["ISA15 T", "TA1 A 000", "997"]


def test_an_850_the_hub_cannot_take_becomes_an_exception_with_the_reason(rig: Rig) -> None:
    raw = purchase_order("PO-6003", 63).replace(b"VP*SKU-0001", b"VP*NO-SUCH-SKU")

    receipt = rig.hub.edi.inbox.receive_now(raw, "api", "po.edi", PARTNER)

    assert receipt.status == "partial"
    assert orders_of(rig) == []
    with rig.hub.store.unit_of_work(write=False) as uow:
        [raised] = uow.exceptions.search(ExceptionQuery(system=PARTNER))
    assert raised.order_id == f"edi-{PARTNER}-PO-6003"
    assert raised.error_type == "edi_refused"
    assert "NO-SUCH-SKU" in raised.error


def test_a_repeat_of_an_interchange_whose_first_receipt_never_finished_is_taken(
    rig: Rig,
) -> None:
    raw = purchase_order("PO-6004", 64)
    now = rig.hub.clock.now()
    # As a worker killed between registering the interchange and finishing the file leaves it.
    with rig.hub.store.unit_of_work() as uow:
        uow.partner_documents.archive(
            PartnerFile(
                file_id="crashed", partner=PARTNER, direction="in", transport="drop",
                name="po.edi", content=raw, at=now - timedelta(minutes=5), status="received",
            )
        )  # fmt: skip
        uow.partner_documents.register_interchange(
            "ZZ/ACMERETAIL", "000000064", "crashed", now - timedelta(minutes=5)
        )

    receipt = rig.hub.edi.inbox.receive_now(raw, "drop", "po.edi", PARTNER)
    again = rig.hub.edi.inbox.receive_now(raw, "drop", "po-again.edi", PARTNER)

    assert receipt.status == "accepted"
    assert len(orders_of(rig)) == 1
    assert again.status == "duplicate", "a finished receipt makes the next repeat a duplicate"


def test_an_846_reported_per_partner_location_becomes_one_position_per_sku(rig: Rig) -> None:
    segments = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{'ACMERETAIL':15}*ZZ*{'CROSSDOCK':15}*261127*1200*U*00401*"
        "000000065*0*P*>",
        "GS*IB*ACMERETAIL*CROSSDOCK*20261127*1200*65*X*004010",
        "ST*846*0001",
        "BIA*00*DD*INV-1*20261127",
        "LIN*1*VP*SKU-0001",
        "QTY*33*40*EA",
        "N1*WH**92*NORTH",
        "LIN*2*VP*SKU-0001",
        "QTY*33*2*EA",
        "N1*WH**92*SOUTH",
        "CTT*2*42",
        "SE*10*0001",
        "GE*1*65",
        "IEA*1*000000065",
    ]
    raw = ("~".join(segments) + "~").encode()

    receipt = rig.hub.edi.inbox.receive_now(raw, "api", "846.edi", PARTNER)

    assert receipt.status == "accepted", receipt.notes
    with rig.hub.store.unit_of_work(write=False) as uow:
        [position] = uow.inventory.positions(["SKU-0001"], location="WH-3PL")
    assert position.on_hand == Decimal(42)


def test_a_repeat_keeps_the_po_a_dead_first_receipt_did_not_so_documents_can_be_written(
    rig: Rig,
) -> None:
    raw = purchase_order("PO-6005", 66)
    [interchange] = read_interchanges(raw)
    transaction_set = interchange.groups[0].sets[0]
    po = parse_850(transaction_set, interchange.delimiters)
    now = rig.hub.clock.now()
    with rig.hub.store.unit_of_work(write=False) as uow:
        customer = uow.masterdata.customer("C0003")
    assert customer is not None
    profile = rig.hub.edi.partners.get(PARTNER)
    assert profile is not None
    # As a first receipt that died after creating the order, before keeping its PO.
    order = to_order(po, profile=profile, customer=customer, order_id="ord_dead", received_at=now)
    rig.hub.desk.submit(order, source=PARTNER, dedupe_key=None)

    receipt = rig.hub.edi.inbox.receive_now(raw, "drop", "po.edi", PARTNER)

    assert receipt.order_ids == ["ord_dead"]
    with rig.hub.store.unit_of_work(write=False) as uow:
        kept = uow.partner_documents.purchase_order("ord_dead")
    assert kept is not None
    assert kept.po_number == "PO-6005"
