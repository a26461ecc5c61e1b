"""855 bodies: BAK02 from the line answers, one PO1 + ACK per line echoing the partner, CTT."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

import pytest

from crossdock.channels.edi.mapping.acknowledgement_855 import (
    AckCode,
    LineAck,
    accept_all,
    backorder_short,
    build_855,
    reject_all,
)
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder, parse_850
from crossdock.channels.edi.x12.model import Delimiters, Segment, TransactionSet
from crossdock.core.errors import PermanentError
from crossdock.core.inventory import ShortLine

Sets = Callable[[str, str], list[tuple[TransactionSet, Delimiters]]]
TODAY = date(2026, 1, 16)


def _text(body: Sequence[Segment], *tags: str) -> list[str]:
    return ["*".join((s.tag, *s.elements)) for s in body if not tags or s.tag in tags]


@pytest.fixture
def vics_po(sample_sets: Sets) -> PurchaseOrder:
    [(transaction_set, delimiters)] = sample_sets("01_850_vics_tilde_nl__node-x12.edi", "850")
    return parse_850(transaction_set, delimiters)


def test_an_accepted_order_is_ad_with_every_line_ia_echoing_the_partners_line(
    vics_po: PurchaseOrder,
) -> None:
    body = build_855(vics_po, accept_all(vics_po), ack_date=TODAY, order_reference="SO-1")

    assert _text(body)[0] == "BAK*00*AD*08292233294*20101127****SO-1*20260116"
    assert _text(body, "N1", "N3", "N4") == [
        "N1*ST*XYZ RETAIL*9*0003947268292",
        "N3*31875 SOLON RD",
        "N4*SOLON*OH*44139",
    ]
    assert _text(body, "PO1", "ACK")[:4] == [
        "PO1*1*120*EA*9.25*TE*CB*065322-117*PR*RO*VN*AB3542",
        "ACK*IA*120*EA",
        "PO1*2*220*EA*13.79*TE*CB*066850-116*PR*RO*VN*RD5322",
        "ACK*IA*220*EA",
    ]
    assert _text(body)[-1] == "CTT*6"


def test_short_lines_are_backordered_in_full_and_the_order_is_accepted_with_changes(
    vics_po: PurchaseOrder,
) -> None:
    short = [
        ShortLine(line_no=2, sku="B", wanted=Decimal(220), available=Decimal(100)),
        ShortLine(line_no=5, sku="E", wanted=Decimal(72), available=Decimal(0)),
    ]

    body = build_855(
        vics_po, backorder_short(vics_po, short, ship_date=date(2026, 2, 1)), ack_date=TODAY
    )

    assert _text(body)[0].startswith("BAK*00*AC*08292233294")
    assert _text(body, "ACK") == [
        "ACK*IA*120*EA",
        "ACK*IB*220*EA*068*20260201",
        "ACK*IA*126*EA",
        "ACK*IA*76*EA",
        "ACK*IB*72*EA*068*20260201",
        "ACK*IA*696*EA",
    ]
    assert _text(body, "CTT") == ["CTT*6"]


def test_a_rejected_order_is_rd_with_every_line_ir_at_zero(vics_po: PurchaseOrder) -> None:
    body = build_855(vics_po, reject_all(vics_po), ack_date=TODAY)

    assert _text(body)[0].startswith("BAK*00*RD*")
    assert set(_text(body, "ACK")) == {"ACK*IR*0*EA"}
    assert len(_text(body, "PO1")) == 6


def test_a_changed_quantity_is_iq_and_lines_without_po101_stay_without(
    sample_sets: Sets,
) -> None:
    [(transaction_set, delimiters)] = sample_sets("09_850_CTT__x12-types.edi", "850")
    po = parse_850(transaction_set, delimiters)
    acks = accept_all(po)
    acks[0] = LineAck(line_no=1, code=AckCode.QUANTITY_CHANGED, quantity=Decimal(12))

    body = build_855(po, acks, ack_date=TODAY)

    assert _text(body)[0].startswith("BAK*00*AC*A99999-01*19970214")
    assert _text(body, "PO1", "ACK")[:2] == [
        "PO1**16*CA*12.34**CB*000111111*UA*002840022222",
        "ACK*IQ*12*CA",
    ]
    assert _text(body, "N1") == [
        "N1*BT*BUYSNACKS INC.*9*1223334444",
        "N1*ST*BUYSNACKS PORT*9*1223334445",
    ]
    assert _text(body, "CTT") == ["CTT*7"]


def test_every_line_needs_exactly_one_answer(vics_po: PurchaseOrder) -> None:
    with pytest.raises(PermanentError, match=r"lines \[1, 2, 3, 4, 5\]"):
        build_855(vics_po, accept_all(vics_po)[:5], ack_date=TODAY)
    with pytest.raises(PermanentError, match="answered twice"):
        build_855(vics_po, [*accept_all(vics_po), accept_all(vics_po)[0]], ack_date=TODAY)
