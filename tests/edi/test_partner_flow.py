"""An EDI partner over a drop directory, through the whole order-to-cash flow of the sandbox.

The partner drops an 850; the hub acknowledges it (997), books and ships it through the sandbox
ERP and WMS, and writes the 855, 856 and 810 into the partner's outbox directory. Every file the
hub writes must read back clean through our own validator.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import waiting
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.validator import validate_interchange
from crossdock.estate import Estate, sandbox_estate
from crossdock.rig import Rig, in_process_rig
from crossdock.sandbox.catalog import seed_catalog

PARTNER = "acme_retail"


def partner_estate(root: Path) -> Estate:
    """The sandbox estate with one drop-directory partner ordering as customer C0003."""
    base = sandbox_estate()
    profile = PartnerProfile.model_validate(
        {
            "customer_id": "C0003",
            "partner": {"isa_qualifier": "ZZ", "isa_id": "ACMERETAIL"},
            "us": {"isa_qualifier": "ZZ", "isa_id": "CROSSDOCK"},
            "drop": {"inbox": str(root / "in"), "outbox": str(root / "out")},
            "ship_from": {
                "name": "Crossdock East DC",
                "line1": "1 Dock Rd",
                "city": "Newark",
                "region": "NJ",
                "postal_code": "07101",
                "country": "US",
            },
        }
    )
    edi = base.edi.model_copy(update={"partners": {PARTNER: profile}, "drop_scan_s": 0.05})
    return base.model_copy(update={"edi": edi})


def purchase_order(po_number: str, control: int, *, usage: str = "P", lines: int = 2) -> bytes:
    """An 850 from the partner for C0003 at the catalog's list prices."""
    catalog = seed_catalog(7)
    customer = catalog.customer("C0003")
    assert customer is not None
    assert customer.bill_to is not None
    address = customer.bill_to
    body = [
        f"BEG*00*SA*{po_number}**20261127",
        f"N1*ST*{customer.name}",
        f"N3*{address.address1}",
        f"N4*{address.city}*{address.province_code}*{address.zip}*US",
    ]
    total = 0
    for n, product in enumerate(catalog.products[:lines], start=1):
        price = catalog.list_price(product.sku)
        assert price is not None
        body.append(f"PO1*{n}*{n + 1}*EA*{price}*PE*VP*{product.sku}")
        total += n + 1
    body.append(f"CTT*{lines}*{total}")
    st = [f"ST*850*{control:04d}", *body, f"SE*{len(body) + 2}*{control:04d}"]
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{'ACMERETAIL':15}*ZZ*{'CROSSDOCK':15}*261127*1200*U*00401*"
        f"{control:09d}*1*{usage}*>"
    )
    segments = [
        isa,
        f"GS*PO*ACMERETAIL*CROSSDOCK*20261127*1200*{control}*X*004010",
        *st,
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return ("~\n".join(segments) + "~\n").encode()


async def eventually(check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Wait for ``check`` to hold (the hub works in the background), up to ``timeout_s``."""
    await waiting.eventually(check, timeout_s=timeout_s, poll_s=0.05)


def sets_written(outbox: Path) -> list[str]:
    """ST01 of every set the hub wrote to the partner, plus ``TA1`` for each TA1."""
    found: list[str] = []
    for path in sorted(outbox.glob("*.edi")):
        for interchange in read_interchanges(path.read_bytes()):
            found.extend("TA1" for s in interchange.segments if s.tag == "TA1")
            found.extend(s.set_id for g in interchange.groups for s in g.sets)
    return found


def orders_of(rig: Rig) -> list[str]:
    return [row.order_id for row in rig.orders() if row.order.channel == PARTNER]


async def test_an_850_dropped_by_a_partner_goes_through_order_to_cash_and_back(
    tmp_path: Path,
) -> None:
    async with in_process_rig(data_dir=tmp_path, estate=partner_estate(tmp_path)) as rig:
        inbox, outbox = tmp_path / "in", tmp_path / "out"
        inbox.mkdir()
        (inbox / "po-1.edi").write_bytes(purchase_order("PO-1001", 1))

        await eventually(lambda: len(orders_of(rig)) == 1)
        assert await rig.wait_until_settled(1, timeout_s=60)
        [row] = [r for r in rig.orders() if r.order.channel == PARTNER]
        assert row.status.value == "closed"
        assert row.order.customer_po == "PO-1001"
        assert [line.quantity for line in row.order.lines] == [Decimal(2), Decimal(3)]

        await eventually(lambda: "810" in sets_written(outbox))
        written = sets_written(outbox)
        assert written.count("997") == 1
        assert written.count("855") == 1
        assert written.count("856") >= 1
        assert written.count("810") == written.count("856")
        for path in outbox.glob("*.edi"):
            for interchange in read_interchanges(path.read_bytes()):
                result = validate_interchange(interchange)
                errors = [f for g in result.groups for s in g.sets for f in s.errors]
                assert errors == [], f"{path.name}: {errors}"
        timeline = rig.hub.desk.timeline(row.order_id)
        files = {e.detail.get("file_id") for e in timeline if e.detail.get("file_id")}
        assert len(files) >= 4, "the 850 and the 855, 856 and 810 files are on the timeline"


async def test_a_repeated_interchange_gets_ta1_025_and_a_repeated_po_no_second_order(
    tmp_path: Path,
) -> None:
    async with in_process_rig(data_dir=tmp_path, estate=partner_estate(tmp_path)) as rig:
        inbox, outbox = tmp_path / "in", tmp_path / "out"
        inbox.mkdir()
        first = purchase_order("PO-2001", 7)
        (inbox / "a.edi").write_bytes(first)
        await eventually(lambda: len(orders_of(rig)) == 1)
        (inbox / "again.edi").write_bytes(first)
        (inbox / "same-po.edi").write_bytes(purchase_order("PO-2001", 8))
        await eventually(lambda: not any(p.is_file() for p in inbox.iterdir()))
        await eventually(lambda: sets_written(outbox).count("TA1") == 3)

        assert len(orders_of(rig)) == 1
        ta1s = [
            s
            for path in outbox.glob("*.edi")
            for i in read_interchanges(path.read_bytes())
            for s in i.segments
            if s.tag == "TA1"
        ]
        # Each interchange asked for a TA1 (ISA14 1): accepted twice, the repeat refused (025).
        assert sorted((s.element(1), s.element(4), s.element(5)) for s in ta1s) == [
            ("000000007", "A", "000"),
            ("000000007", "R", "025"),
            ("000000008", "A", "000"),
        ]


async def test_test_traffic_is_acknowledged_but_never_becomes_an_order(tmp_path: Path) -> None:
    async with in_process_rig(data_dir=tmp_path, estate=partner_estate(tmp_path)) as rig:
        inbox, outbox = tmp_path / "in", tmp_path / "out"
        inbox.mkdir()
        (inbox / "t.edi").write_bytes(purchase_order("PO-3001", 11, usage="T"))
        await eventually(lambda: "997" in sets_written(outbox))
        assert orders_of(rig) == []
