"""Reading 850s into purchase orders: the sample files, purposes, and problems named by position."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from crossdock.channels.edi.mapping.item_ids import ItemId
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder, Purpose, parse_850
from crossdock.channels.edi.x12.model import Delimiters, TransactionSet
from crossdock.orchestration.intake import InvalidDocument

Sets = Callable[[str, str], list[tuple[TransactionSet, Delimiters]]]
SetFromText = Callable[[str, str], TransactionSet]

HEADER = (
    "BEG*{purpose}*SA*PO-9**20260115~N1*ST*STORE 12*92*0012~N3*1 MAIN ST~N4*SPRINGFIELD*IL*62701~"
)


def test_the_vics_sample_maps_every_line_with_its_ids_and_ship_to(sample_sets: Sets) -> None:
    [(transaction_set, delimiters)] = sample_sets("01_850_vics_tilde_nl__node-x12.edi", "850")

    po = parse_850(transaction_set, delimiters)

    assert (po.purpose, po.order_type, po.po_number) == (Purpose.ORIGINAL, "SA", "08292233294")
    assert po.po_date == date(2010, 11, 27)
    assert po.delivery_requested == date(2010, 12, 14)
    assert [(line.line_id, line.quantity, line.unit_price) for line in po.lines] == [
        ("1", Decimal(120), Decimal("9.25")),
        ("2", Decimal(220), Decimal("13.79")),
        ("3", Decimal(126), Decimal("10.99")),
        ("4", Decimal(76), Decimal("4.35")),
        ("5", Decimal(72), Decimal("7.5")),
        ("6", Decimal(696), Decimal("9.55")),
    ]
    first = po.lines[0]
    assert first.item_ids == (
        ItemId(qualifier="CB", id="065322-117"),
        ItemId(qualifier="PR", id="RO"),
        ItemId(qualifier="VN", id="AB3542"),
    )
    assert (first.uom, first.price_basis, first.description) == ("EA", "TE", "SMALL WIDGET")
    ship_to = po.party("ST")
    assert ship_to is not None
    assert (ship_to.name, ship_to.id, ship_to.address_lines) == (
        "XYZ RETAIL",
        "0003947268292",
        ("31875 SOLON RD",),
    )
    assert (ship_to.city, ship_to.state, ship_to.postal_code) == ("SOLON", "OH", "44139")
    assert po.line_count == 6


def test_lines_without_po101_are_numbered_from_one(sample_sets: Sets) -> None:
    [(transaction_set, delimiters)] = sample_sets("09_850_CTT__x12-types.edi", "850")

    po = parse_850(transaction_set, delimiters)

    assert po.po_number == "A99999-01"
    assert [line.line_no for line in po.lines] == [1, 2, 3, 4, 5, 6, 7]
    assert all(line.line_id == "" for line in po.lines)
    assert [line.quantity for line in po.lines] == [Decimal(q) for q in (16, 13, 32, 51, 9, 85, 1)]
    assert po.lines[0].item_ids == (
        ItemId(qualifier="CB", id="000111111"),
        ItemId(qualifier="UA", id="002840022222"),
    )
    assert (po.lines[0].uom, po.lines[0].unit_price) == ("CA", Decimal("12.34"))
    assert [party.code for party in po.parties] == ["BT", "ST"]
    ship_to = po.party("ST")
    assert ship_to is not None
    assert ship_to.city == "ATHENS"


def test_both_850s_of_the_mixed_5010_file_are_read(sample_sets: Sets) -> None:
    [first, second] = [
        parse_850(s, d)
        for s, d in sample_sets("18_mixed_2GS_3ST_00501_caret_rep__synthetic.edi", "850")
    ]

    assert first.po_number == "PO-1001"
    assert [(line.line_no, line.quantity, line.uom) for line in first.lines] == [
        (1, Decimal(10), "EA"),
        (2, Decimal(5), "CS"),
    ]
    assert first.lines[0].item_ids[0] == ItemId(qualifier="VP", id="WID-100")
    assert first.lines[1].unit_price == Decimal(40)
    assert (first.line_count, first.quantity_total) == (2, Decimal(15))
    ship_to = first.party("ST")
    assert ship_to is not None
    assert ship_to.country == "US"
    assert second.po_number == "PO-1002"
    assert second.lines[0].item_ids == (ItemId(qualifier="VP", id="WID-200"),)


@pytest.mark.parametrize(
    ("code", "purpose"), [("01", Purpose.CANCELLATION), ("05", Purpose.REPLACE)]
)
def test_cancel_and_replace_purposes_are_read(
    set_from_text: SetFromText, code: str, purpose: Purpose
) -> None:
    text = HEADER.format(purpose=code) + "PO1*1*2*EA*3**VP*WID-100~CTT*1~"

    po = parse_850(set_from_text("850", text), Delimiters())

    assert po.purpose is purpose


def test_a_cancellation_may_carry_no_lines(set_from_text: SetFromText) -> None:
    po = parse_850(set_from_text("850", HEADER.format(purpose="01")), Delimiters())

    assert (po.purpose, po.lines) == (Purpose.CANCELLATION, ())


def test_every_bad_element_is_named_by_its_x12_position(set_from_text: SetFromText) -> None:
    text = (
        "BEG*06*SA***2026011~"
        "PO1*1*2*EA*3**VP*WID-100~"
        "PO1*2*0**x**VP~"
        "N1*ST*LINE SHIP-TO~"
        "DTM*002*2026~"
    )

    with pytest.raises(InvalidDocument) as raised:
        parse_850(set_from_text("850", text), Delimiters())

    assert {problem.field for problem in raised.value.problems} == {
        "BEG01",
        "BEG03",
        "BEG05",
        "PO1[2].PO102",
        "PO1[2].PO103",
        "PO1[2].PO104",
        "PO1[2].PO107",
        "PO1[2].N1",
        "PO1[2].DTM*002.DTM02",
    }


def test_a_purchase_order_survives_its_json_round_trip(sample_sets: Sets) -> None:
    [(transaction_set, delimiters)] = sample_sets("01_850_vics_tilde_nl__node-x12.edi", "850")
    po = parse_850(transaction_set, delimiters)

    assert PurchaseOrder.model_validate_json(po.model_dump_json()) == po
    assert PurchaseOrder.model_validate(po.model_dump(mode="json")) == po
