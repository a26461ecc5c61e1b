"""846 out: a partner that takes 846s gets our available-to-promise for its assortment."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.validator import validate_interchange
from crossdock.estate import Estate
from crossdock.rig import in_process_rig
from edi.test_partner_flow import PARTNER, eventually, partner_estate

ASSORTMENT = ("SKU-0001", "SKU-0002", "SKU-9999")
"""Two SKUs the WMS stocks, and one it does not (advertised at 0)."""


def advertising_estate(root: Path) -> Estate:
    base = partner_estate(root)
    profile = base.edi.partners[PARTNER].model_copy(
        update={"documents": ("855", "856", "810", "846"), "availability_skus": ASSORTMENT}
    )
    edi = base.edi.model_copy(update={"partners": {PARTNER: profile}})
    return base.model_copy(update={"edi": edi})


async def test_the_846_advertises_available_to_promise_per_sku_once_a_minute(
    tmp_path: Path,
) -> None:
    async with in_process_rig(data_dir=tmp_path, estate=advertising_estate(tmp_path)) as rig:
        hub = rig.hub
        first = await hub.store.run(hub.edi.availability.send_all)
        again = await hub.store.run(hub.edi.availability.send_all)
        assert len(first) == 1
        assert again == [], "the same minute's snapshot is queued once"
        hub.wakeups.notify(f"delivery:{PARTNER}")
        outbox = tmp_path / "out"
        await eventually(lambda: any(outbox.glob("*846.edi")))

        with hub.store.unit_of_work(write=False) as uow:
            positions = uow.inventory.positions(list(ASSORTMENT))
        expected = {sku: Decimal(0) for sku in ASSORTMENT}
        assert {p.sku for p in positions} == {"SKU-0001", "SKU-0002"}
        for position in positions:
            expected[position.sku] += position.available
        [path] = outbox.glob("*846.edi")
        [interchange] = read_interchanges(path.read_bytes())
        result = validate_interchange(interchange)
        assert [f for g in result.groups for s in g.sets for f in s.errors] == []
        [transaction_set] = interchange.groups[0].sets
        advertised: dict[str, Decimal] = {}
        sku = ""
        for segment in transaction_set.segments:
            if segment.tag == "LIN":
                sku = segment.element(3)
            elif segment.tag == "QTY" and segment.element(1) == "33":
                advertised[sku] = Decimal(segment.element(2))
        assert advertised == expected
        assert advertised["SKU-9999"] == 0
        assert all(advertised[sku] > 0 for sku in ("SKU-0001", "SKU-0002"))
        [bia] = [s for s in transaction_set.segments if s.tag == "BIA"]
        assert len(bia.element(3)) == 12, "BIA03 is the period's start, YYYYMMDDHHMM"
        assert bia.element(3).startswith("20")
