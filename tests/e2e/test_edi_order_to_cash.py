"""The sandbox's retailer end to end over AS2: 850 → 997 → 855 → 856 → 810, each checked by it.

The retailer is its own translator (``sandbox/x12_lite.py``): it checks our envelopes, control
numbers, HL tree, totals and line-by-line agreement with the orders it sent, and answers each of
our documents with its own 997, which the hub matches to what it sent.
"""

from __future__ import annotations

from pathlib import Path

from crossdock.rig import in_process_rig
from waiting import eventually

PARTNER = "edi_customer"


async def test_the_retailer_gets_997_855_856_and_810_for_every_850_it_sends(
    tmp_path: Path,
) -> None:
    async with in_process_rig(faults="none", data_dir=tmp_path) as rig:
        retailer = rig.sandbox.edi_customer
        sent = await retailer.send_purchase_orders(5, concurrency=2)
        assert [po.mdn_ok for po in sent] == [True] * 5

        assert await rig.wait_until_settled(5, timeout_s=90)
        rows = [row for row in rig.orders() if row.order.channel == PARTNER]
        assert sorted(row.order.customer_po for row in rows) == sorted(p.po_number for p in sent)
        assert {row.status.value for row in rows} == {"closed"}
        await retailer.drain()

        report = retailer.report()
        assert report["findings"] == []
        for key in ("sent", "mdn_ok", "acknowledged", "acknowledged_855", "shipped", "invoiced"):
            assert report[key] == 5, key

        # The retailer's own 997s settled every document we sent it.
        with rig.hub.store.unit_of_work(write=False) as uow:
            documents = [
                d for row in rows for d in uow.partner_documents.outbound_for_order(row.order_id)
            ]
        assert {d.set_id for d in documents} == {"855", "856", "810"}
        assert {d.ack_status for d in documents} == {"accepted"}


async def test_a_repeated_850_interchange_creates_no_second_order(tmp_path: Path) -> None:
    async with in_process_rig(faults="none", data_dir=tmp_path) as rig:
        retailer = rig.sandbox.edi_customer
        [po] = await retailer.send_purchase_orders(1)
        assert await rig.wait_until_settled(1, timeout_s=60)
        with rig.hub.store.unit_of_work(write=False) as uow:
            [received] = [
                f
                for f in uow.partner_documents.files(partner=PARTNER)
                if f.direction == "in" and f.order_ids and "850" in f.summary
            ]

        # The same bytes again, as if the retailer's translator had resent the interchange.
        receipt = await rig.hub.edi.inbox.receive(
            received.content, transport="as2", name="<resent@retailer>", partner=PARTNER
        )
        await retailer.drain()

        assert receipt.status == "duplicate"
        assert [row.order.customer_po for row in rig.orders()] == [po.po_number]
        # The TA1 that refused the repeat reaches the retailer, whose translator flags it.
        refusal = f"TA1 for {po.isa13}: R note 025"
        await eventually(
            lambda: any(refusal in str(f) for f in retailer.report()["findings"]),
            timeout_s=30,
            what="the retailer receiving the TA1 025",
        )
