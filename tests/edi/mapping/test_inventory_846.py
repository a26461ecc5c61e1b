"""846s: what becomes on hand (QTY 33, else 17, never 02), locations, and build → parse."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crossdock.channels.edi.mapping.inventory_846 import build_846, parse_846
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.x12.model import Delimiters, Segment, TransactionSet
from crossdock.core.inventory import InventoryPosition
from crossdock.orchestration.intake import InvalidDocument

Sets = Callable[[str, str], list[tuple[TransactionSet, Delimiters]]]
SetFromText = Callable[[str, str], TransactionSet]
UPCS = {"UP:012345678905": "WID-100", "UP:012345678912": "WID-200", "UP:012345678929": "GAD-300"}


def _text(body: Sequence[Segment], *tags: str) -> list[str]:
    return ["*".join((s.tag, *s.elements)) for s in body if not tags or s.tag in tags]


def _as_set(body: Sequence[Segment]) -> TransactionSet:
    st = Segment(tag="ST", elements=("846", "0001"))
    se = Segment(tag="SE", elements=(str(len(body) + 2), "0001"))
    return TransactionSet(segments=[st, *body, se])


def _position(sku: str, location: str, quantity: str) -> InventoryPosition:
    return InventoryPosition(sku=sku, location=location, on_hand=Decimal(quantity))


@pytest.fixture
def supplier(partner: PartnerProfile) -> PartnerProfile:
    """A partner whose 846s name items by UPC."""
    return partner.model_copy(update={"item_qualifiers": ("VP", "UP"), "items": UPCS})


def test_the_sample_846_gives_available_for_sale_as_on_hand_at_its_warehouse(
    sample_sets: Sets, supplier: PartnerProfile
) -> None:
    [(transaction_set, delimiters)] = sample_sets("17_846_LIN_QTY_CTT_hash__synthetic.edi", "846")

    positions = parse_846(transaction_set, delimiters, supplier)

    assert positions == [
        _position("WID-100", "DC01", "120"),  # QTY*02 (cumulative) 40 is not stock
        _position("WID-200", "DC01", "0"),
        _position("GAD-300", "DC01", "75"),  # QTY*33 75 wins over QTY*17 60
    ]


def test_on_hand_comes_from_qty_17_without_33_and_sdq_splits_it_per_location(
    set_from_text: SetFromText, partner: PartnerProfile
) -> None:
    text = (
        "BIA*00*DD*R-1*20260115~N1*WH*MAIN*92*DC01~"
        "LIN*1*VP*WID-100~QTY*02*500*EA~QTY*17*30*EA~"
        "LIN*2*VP*WID-200~QTY*33*12*EA~SDQ*EA*92*DC02*5*DC03*7~"
        "LIN*3*BP*ABC-1~N1*WH*EAST*92*DC09~QTY*17*4*EA~CTT*3*558~"
    )

    positions = parse_846(set_from_text("846", text), Delimiters(), partner)

    assert positions == [
        _position("WID-100", "DC01", "30"),
        _position("WID-200", "DC02", "5"),
        _position("WID-200", "DC03", "7"),
        _position("WID-100", "DC09", "4"),
    ]


def test_an_unknown_item_or_a_missing_quantity_refuses_the_report_naming_the_lin(
    sample_sets: Sets, set_from_text: SetFromText, partner: PartnerProfile
) -> None:
    [(transaction_set, delimiters)] = sample_sets(
        "18_mixed_2GS_3ST_00501_caret_rep__synthetic.edi", "846"
    )
    with pytest.raises(InvalidDocument) as raised:
        parse_846(transaction_set, delimiters, partner)
    assert "sent XX WID-100" in str(raised.value)
    assert {problem.field for problem in raised.value.problems} == {"LIN[1]"}

    text = "BIA*00*SI*R-1*20260115~N1*WH**92*DC01~LIN*1*VP*WID-100~QTY*02*5*EA~"
    with pytest.raises(InvalidDocument) as raised:
        parse_846(set_from_text("846", text), Delimiters(), partner)
    assert [problem.field for problem in raised.value.problems] == ["LIN[1].QTY"]


def test_our_846_names_items_by_sku_and_cross_reference_and_totals_qty(
    supplier: PartnerProfile,
) -> None:
    positions = [
        _position("WID-100", "DC01", "120"),
        InventoryPosition(
            sku="GAD-300", location="DC01", on_hand=Decimal(90), reserved=Decimal(15)
        ),
        _position("NEW-1", "DC01", "2.5"),
    ]

    body = build_846(
        positions,
        supplier,
        report_id="INV-7",
        reported_at=datetime(2026, 1, 15, 10, 30, tzinfo=UTC),
    )

    assert _text(body) == [
        "BIA*00*SI*INV-7*20260115*1030",
        "N1*WH**92*DC01",
        "LIN*1*VP*WID-100*UP*012345678905",
        "QTY*33*120*EA",
        "LIN*2*VP*GAD-300*UP*012345678929",
        "QTY*33*75*EA",
        "LIN*3*VP*NEW-1",
        "QTY*33*2.5*EA",
        "CTT*3*197.5",
    ]


@pytest.mark.parametrize("locations", [("DC01",), ("DC01", "DC02")])
def test_what_we_build_reads_back_as_the_same_positions(
    supplier: PartnerProfile, locations: tuple[str, ...]
) -> None:
    positions = [
        _position(sku, location, quantity)
        for location in locations
        for sku, quantity in (("WID-100", "120"), ("WID-200", "0"), ("GAD-300", "7.25"))
    ]

    body = build_846(
        positions, supplier, report_id="R", reported_at=datetime(2026, 1, 15, tzinfo=UTC)
    )

    assert sorted(parse_846(_as_set(body), Delimiters(), supplier), key=repr) == sorted(
        positions, key=repr
    )
