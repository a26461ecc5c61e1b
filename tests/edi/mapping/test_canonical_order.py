"""A partner's purchase order → the canonical order: SKUs, ship-to, entity, region, currency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crossdock.channels.edi.mapping.canonical_order import to_order
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder, parse_850
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.x12.model import Delimiters, TransactionSet
from crossdock.core.order import Order
from crossdock.core.party import Customer
from crossdock.orchestration.intake import InvalidDocument

Sets = Callable[[str, str], list[tuple[TransactionSet, Delimiters]]]
SetFromText = Callable[[str, str], TransactionSet]
NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
SHIP_TO = "N1*ST*STORE 12*92*0012~N3*1 MAIN ST*SUITE 4~N4*SPRINGFIELD*IL*62701~"


def _po(set_from_text: SetFromText, text: str) -> PurchaseOrder:
    return parse_850(set_from_text("850", text), Delimiters())


def _order(po: PurchaseOrder, partner: PartnerProfile, customer: Customer) -> Order:
    return to_order(po, profile=partner, customer=customer, order_id="O-1", received_at=NOW)


def test_vp_ids_are_our_skus_and_the_po_number_is_the_channel_order_number(
    sample_sets: Sets, partner: PartnerProfile, customer: Customer
) -> None:
    [(transaction_set, delimiters), _] = sample_sets(
        "18_mixed_2GS_3ST_00501_caret_rep__synthetic.edi", "850"
    )

    order = _order(parse_850(transaction_set, delimiters), partner, customer)

    assert [
        (line.line_no, line.sku, line.quantity, line.uom, line.unit_price) for line in order.lines
    ] == [
        (1, "WID-100", Decimal(10), "EA", Decimal("12.5")),
        (2, "GAD-300", Decimal(5), "CS", Decimal(40)),
    ]
    assert (order.channel, order.channel_order_number, order.customer_po) == (
        "acme-retail",
        "PO-1001",
        "PO-1001",
    )
    assert (order.ship_to.name, order.ship_to.line1, order.ship_to.city) == (
        "STORE 12",
        "1 MAIN ST",
        "SPRINGFIELD",
    )
    assert (order.ship_to.region, order.ship_to.postal_code, order.ship_to.country) == (
        "IL",
        "62701",
        "US",
    )


def test_buyer_part_numbers_resolve_through_the_partners_cross_reference(
    set_from_text: SetFromText, partner: PartnerProfile, customer: Customer
) -> None:
    po = _po(
        set_from_text,
        "BEG*00*SA*PO-7**20260115~CUR*BY*CAD~DTM*002*20260201~"
        + SHIP_TO
        + "PO1*1*4*EA*2.5**BP*ABC-1~PO1*2*1*EA*9**UP*012345678912*BP*NOT-MAPPED~"
        "DTM*002*20260210~",
    )

    order = _order(po, partner, customer)

    assert [line.sku for line in order.lines] == ["WID-100", "WID-200"]
    assert [line.requested_date for line in order.lines] == [date(2026, 2, 1), date(2026, 2, 10)]
    assert order.currency == "CAD"
    assert order.ship_to.line2 == "SUITE 4"


def test_an_item_no_id_resolves_is_refused_naming_its_line(
    set_from_text: SetFromText, partner: PartnerProfile, customer: Customer
) -> None:
    po = _po(
        set_from_text,
        "BEG*00*SA*PO-7**20260115~" + SHIP_TO + "PO1*1*4*EA*2.5**VP*WID-100~"
        "PO1*2*1*EA*9**BP*UNKNOWN-9*EN*4006381333931~",
    )

    with pytest.raises(InvalidDocument) as raised:
        _order(po, partner, customer)

    [problem] = raised.value.problems
    assert problem.field == "PO1[2]"
    assert "BP UNKNOWN-9" in problem.message


def test_a_ship_to_given_only_by_location_code_is_refused(
    sample_sets: Sets, partner: PartnerProfile, customer: Customer
) -> None:
    [_, (transaction_set, delimiters)] = sample_sets(
        "18_mixed_2GS_3ST_00501_caret_rep__synthetic.edi", "850"
    )

    with pytest.raises(InvalidDocument) as raised:
        _order(parse_850(transaction_set, delimiters), partner, customer)

    fields = {problem.field: problem.message for problem in raised.value.problems}
    assert set(fields) == {"N1[ST].N3", "N1[ST].N4"}
    assert "not looked up" in fields["N1[ST].N3"]


def test_a_line_without_a_price_or_an_850_without_ship_to_is_refused(
    set_from_text: SetFromText, partner: PartnerProfile, customer: Customer
) -> None:
    po = _po(set_from_text, "BEG*00*SA*PO-7**20260115~PO1*1*4*EA***VP*WID-100~")

    with pytest.raises(InvalidDocument) as raised:
        _order(po, partner, customer)

    assert {problem.field for problem in raised.value.problems} == {"N1[ST]", "PO1[1].PO104"}


def test_the_profile_overrides_the_legal_entity_and_the_customer_fills_the_rest(
    set_from_text: SetFromText, partner: PartnerProfile, customer: Customer
) -> None:
    po = _po(set_from_text, "BEG*00*SA*PO-7**20260115~" + SHIP_TO + "PO1*1*4*EA*2.5**VP*W~")

    order = _order(po, partner, customer)

    assert (order.legal_entity, order.region, order.currency) == ("US-EAST", "east", "USD")
    assert order.bill_to == customer.bill_to
    assert order.customer_id == "C-ACME"
