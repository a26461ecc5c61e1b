"""Our documents wait for the partner's 997: matched when it comes, an exception when it does not.

Runs the drop-directory partner of ``test_partner_flow`` through one order, then answers (or
fails to answer) the documents the hub wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from crossdock.channels.edi.ack_watch import AcknowledgementWatch
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.partner_documents import OutboundDocument
from crossdock.orchestration.store_ops import ExceptionQuery
from crossdock.rig import Rig, in_process_rig
from edi.test_partner_flow import PARTNER, eventually, orders_of, partner_estate, purchase_order


def documents(rig: Rig, order_id: str) -> list[OutboundDocument]:
    with rig.hub.store.unit_of_work(write=False) as uow:
        return uow.partner_documents.outbound_for_order(order_id)


def functional_ack(
    control: int, group: str, set_control: str, status: str, usage: str = "P"
) -> bytes:
    """The partner's 997 for our group ``group`` (GS01 SH), one AK2 loop for ``set_control``."""
    codes = "" if status == "A" else "*5"
    body = [
        f"AK1*SH*{group}",
        f"AK2*856*{set_control}",
        f"AK5*{status}{codes}",
        f"AK9*{status}*1*1*{1 if status == 'A' else 0}",
    ]
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{'ACMERETAIL':15}*ZZ*{'CROSSDOCK':15}*261127*1300*U*00401*"
        f"{control:09d}*0*{usage}*>"
    )
    segments = [
        isa,
        f"GS*FA*ACMERETAIL*CROSSDOCK*20261127*1300*{control}*X*004010",
        "ST*997*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return ("~\n".join(segments) + "~\n").encode()


async def closed_order(rig: Rig, root: Path) -> str:
    inbox = root / "in"
    inbox.mkdir()
    (inbox / "po.edi").write_bytes(purchase_order("PO-4001", 41, lines=1))
    await eventually(lambda: len(orders_of(rig)) == 1)
    assert await rig.wait_until_settled(1, timeout_s=60)
    [order_id] = orders_of(rig)
    await eventually(lambda: {d.set_id for d in documents(rig, order_id)} == {"855", "856", "810"})
    return order_id


@pytest.fixture
async def rig(tmp_path: Path, hub_database: str | None) -> AsyncIterator[Rig]:
    async with in_process_rig(
        data_dir=tmp_path, estate=partner_estate(tmp_path), database_url=hub_database
    ) as running:
        yield running


async def answer_856(rig: Rig, root: Path, control: int, status: str) -> tuple[str, str]:
    """Close an order, then drop the partner's 997 answering its 856 with ``status``; returns
    the order and the 856's ST02 once the 997 settled it."""
    order_id = await closed_order(rig, root)
    [asn] = [d for d in documents(rig, order_id) if d.set_id == "856"]
    (root / "in" / "997.edi").write_bytes(
        functional_ack(control, asn.group_control, asn.set_control, status)
    )
    settled = {"R": "rejected", "A": "accepted"}[status]
    await eventually(
        lambda: [d.ack_status for d in documents(rig, order_id) if d.set_id == "856"] == [settled]
    )
    return order_id, asn.set_control


async def test_a_997_that_rejects_our_856_settles_it_and_raises_an_exception(
    rig: Rig, tmp_path: Path
) -> None:
    order_id, st02 = await answer_856(rig, tmp_path, 90, "R")

    with rig.hub.store.unit_of_work(write=False) as uow:
        [raised] = uow.exceptions.search(ExceptionQuery(order_id=order_id, system=PARTNER))
    assert raised.error_type == "edi_rejected"
    assert raised.source == "partner"
    assert f"ST02 {st02}" in raised.error
    others = {d.set_id: d.ack_status for d in documents(rig, order_id) if d.set_id != "856"}
    assert others == {"855": "pending", "810": "pending"}, "another group's 997 is not ours"


async def test_documents_without_a_997_in_the_partners_window_become_exceptions_once(
    rig: Rig, tmp_path: Path
) -> None:
    order_id, _ = await answer_856(rig, tmp_path, 91, "A")
    sent_at = max(d.created_at for d in documents(rig, order_id))

    window = timedelta(hours=24)  # the profile's default expect_997_hours
    early = AcknowledgementWatch(rig.hub.store, FakeClock(sent_at + window / 2))
    late = AcknowledgementWatch(rig.hub.store, FakeClock(sent_at + window * 1.1))
    assert early.sweep() == []
    overdue = late.sweep()
    assert late.sweep() == [], "an overdue document is reported once"

    assert sorted(d.set_id for d in overdue) == ["810", "855"]
    with rig.hub.store.unit_of_work(write=False) as uow:
        raised = uow.exceptions.search(ExceptionQuery(order_id=order_id, system=PARTNER))
    assert sorted(r.operation for r in raised) == ["edi_810", "edi_855"]
    assert {r.error_type for r in raised} == {"edi_997_overdue"}


async def test_a_test_997_does_not_settle_production_documents(rig: Rig, tmp_path: Path) -> None:
    order_id = await closed_order(rig, tmp_path)
    [asn] = [d for d in documents(rig, order_id) if d.set_id == "856"]

    receipt = rig.hub.edi.inbox.receive_now(
        functional_ack(92, asn.group_control, asn.set_control, "R", usage="T"),
        "api", "997-test.edi", PARTNER,
    )  # fmt: skip

    assert receipt.status == "test"
    assert [d.ack_status for d in documents(rig, order_id) if d.set_id == "856"] == ["pending"]
    with rig.hub.store.unit_of_work(write=False) as uow:
        assert uow.exceptions.search(ExceptionQuery(order_id=order_id, system=PARTNER)) == []
