"""856 bodies: the HL tree (numbering, parents, levels), SSCCs, totals, and the S-O-I fallback."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder, parse_850
from crossdock.channels.edi.mapping.ship_notice_856 import Dispatch, build_856
from crossdock.channels.edi.x12.model import Delimiters, Segment, TransactionSet
from crossdock.core.errors import PermanentError
from crossdock.core.fulfilment import Carton, Milestone, ShipmentMilestone, ShippedLine
from crossdock.core.party import Address

Sets = Callable[[str, str], list[tuple[TransactionSet, Delimiters]]]
SSCC_A = "106141411234567897"
SSCC_B = "00006141411234567890"
"""Valid SSCC-18s, the second given with its ``00`` application identifier."""
SHIPPED_AT = datetime(2026, 1, 20, 16, 45, tzinfo=UTC)


def _text(body: Sequence[Segment], *tags: str) -> list[str]:
    return ["*".join((s.tag, *s.elements)) for s in body if not tags or s.tag in tags]


@pytest.fixture
def po(sample_sets: Sets) -> PurchaseOrder:
    transaction_set, delimiters = sample_sets(
        "18_mixed_2GS_3ST_00501_caret_rep__synthetic.edi", "850"
    )[0]
    return parse_850(transaction_set, delimiters)


@pytest.fixture
def dispatch(warehouse: Address) -> Dispatch:
    return Dispatch(
        ship_from=warehouse,
        ship_date=date(2026, 1, 20),
        notice_at=SHIPPED_AT,
        bill_of_lading="BOL-77",
    )


def _shipment(*cartons: Carton) -> ShipmentMilestone:
    return ShipmentMilestone(
        order_id="O-1",
        shipment_id="SHP-1",
        milestone=Milestone.SHIPPED,
        occurred_at=SHIPPED_AT,
        lines=(
            ShippedLine(line_no=1, sku="WID-100", quantity=Decimal(10)),
            ShippedLine(line_no=2, sku="GAD-300", quantity=Decimal(5)),
        ),
        cartons=cartons,
        carrier="UPSN",
        tracking_number="1Z999",
    )


def _line(line_no: int, quantity: int) -> ShippedLine:
    return ShippedLine(line_no=line_no, sku="X", quantity=Decimal(quantity))


def test_two_packed_cartons_make_a_depth_first_s_o_p_i_tree(
    po: PurchaseOrder, dispatch: Dispatch
) -> None:
    shipment = _shipment(
        Carton(carton_id=SSCC_A, weight_kg=Decimal("4.5"), lines=(_line(1, 6),)),
        Carton(carton_id=SSCC_B, weight_kg=Decimal("7.25"), lines=(_line(1, 4), _line(2, 5))),
    )

    body = build_856(po, shipment, dispatch)

    assert _text(body)[0] == "BSN*00*SHP-1*20260120*1645*0001"
    assert _text(body, "HL") == [
        "HL*1**S*1",
        "HL*2*1*O*1",
        "HL*3*2*P*1",
        "HL*4*3*I*0",
        "HL*5*2*P*1",
        "HL*6*5*I*0",
        "HL*7*5*I*0",
    ]
    assert _text(body, "MAN") == [f"MAN*GM*00{SSCC_A}", f"MAN*GM*{SSCC_B}"]
    assert _text(body, "LIN", "SN1") == [
        "LIN*1*VP*WID-100*UP*012345678905",
        "SN1*1*6*EA",
        "LIN*1*VP*WID-100*UP*012345678905",
        "SN1*1*4*EA",
        "LIN*2*VP*GAD-300",
        "SN1*2*5*CS",
    ]
    assert _text(body, "PRF") == ["PRF*PO-1001***20260115"]
    assert _text(body)[-1] == "CTT*7*15"


def test_the_shipment_level_names_carrier_references_date_and_both_ends(
    po: PurchaseOrder, dispatch: Dispatch
) -> None:
    shipment = _shipment(
        Carton(carton_id=SSCC_A, weight_kg=Decimal("4.5"), lines=(_line(1, 10),)),
        Carton(carton_id=SSCC_B, weight_kg=Decimal("7.25"), lines=(_line(2, 5),)),
    )

    body = _text(build_856(po, shipment, dispatch))

    shipment_level = body[body.index("HL*1**S*1") + 1 : body.index("HL*2*1*O*1")]
    assert shipment_level == [
        "TD1*CTN25*2****G*11.75*KG",
        "TD5**2*UPSN",
        "REF*BM*BOL-77",
        "REF*CN*1Z999",
        "DTM*011*20260120",
        "N1*SF*CROSSDOCK DC1",
        "N3*100 DOCK RD",
        "N4*RENO*NV*89502*US",
        "N1*ST*STORE 12*92*0012",
        "N3*1 MAIN ST",
        "N4*SPRINGFIELD*IL*62701*US",
    ]


def test_cartons_without_contents_fall_back_to_s_o_i_with_cartons_at_the_order_level(
    po: PurchaseOrder, dispatch: Dispatch
) -> None:
    shipment = _shipment(Carton(carton_id=SSCC_A), Carton(carton_id=SSCC_B))

    body = _text(build_856(po, shipment, dispatch))

    assert body[0].endswith("*0004")
    assert [s for s in body if s.startswith(("HL", "MAN", "SN1"))] == [
        "HL*1**S*1",
        "HL*2*1*O*1",
        f"MAN*GM*00{SSCC_A}",
        f"MAN*GM*{SSCC_B}",
        "HL*3*2*I*0",
        "SN1*1*10*EA",
        "HL*4*2*I*0",
        "SN1*2*5*CS",
    ]
    assert "TD1*CTN25*2" in body
    assert body[-1] == "CTT*4*15"


def test_a_carton_id_that_is_not_an_sscc_is_never_sent(
    po: PurchaseOrder, dispatch: Dispatch
) -> None:
    with pytest.raises(PermanentError, match="check digit"):
        build_856(po, _shipment(Carton(carton_id="106141411234567890")), dispatch)
    with pytest.raises(PermanentError, match="not an SSCC-18"):
        build_856(po, _shipment(Carton(carton_id="CARTON-1")), dispatch)


def test_cartons_must_hold_what_the_shipment_lists(po: PurchaseOrder, dispatch: Dispatch) -> None:
    shipment = _shipment(Carton(carton_id=SSCC_A, lines=(_line(1, 10),)))

    with pytest.raises(
        PermanentError, match="the cartons hold 1: 10, the shipment lists 1: 10, 2: 5"
    ):
        build_856(po, shipment, dispatch)


def test_a_shipped_line_not_on_the_purchase_order_is_refused(
    po: PurchaseOrder, dispatch: Dispatch
) -> None:
    shipment = _shipment().model_copy(update={"lines": (_line(9, 1),)})

    with pytest.raises(PermanentError, match="line 9"):
        build_856(po, shipment, dispatch)
