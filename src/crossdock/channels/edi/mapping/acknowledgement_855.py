"""The 855 purchase order acknowledgement we send for a partner's 850 (the set body).

One PO1 per purchase order line echoes the partner's line id, quantity, UOM, price and item ids,
followed by one ACK with our answer for the line. BAK02 follows from the line answers: every line
accepted as ordered → ``AD``; every line rejected → ``RD``; anything else → ``AC``. The header
echoes the buyer's parties (N1*ST, BT, BY) as the partner sent them.

A reservation takes the whole order or nothing (ADR 0005), so a backordered line is backordered
in full: :func:`backorder_short` answers its short lines ``IB`` with the line's whole quantity
and the others ``IA``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum

from crossdock.channels.edi.mapping.item_ids import pair_elements
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder, PurchaseOrderLine
from crossdock.channels.edi.mapping.x12_values import (
    format_date,
    format_price,
    format_quantity,
    segment,
)
from crossdock.channels.edi.x12.model import Segment
from crossdock.core.errors import PermanentError
from crossdock.core.inventory import ShortLine
from crossdock.core.value import Value

ECHOED_PARTIES = ("ST", "BT", "BY")
"""The N1 loops of the 850 the 855 echoes back, in the order they were sent."""

SCHEDULED_SHIP = "068"
"""ACK04 qualifier for ACK05: current schedule ship date."""


class AckCode(StrEnum):
    """ACK01, our answer for one line."""

    ACCEPTED = "IA"
    BACKORDERED = "IB"
    QUANTITY_CHANGED = "IQ"
    REJECTED = "IR"


class LineAck(Value):
    """Our answer for one purchase order line."""

    line_no: int
    """The purchase order line (its PO1 position, as on the canonical order)."""
    code: AckCode
    quantity: Decimal
    """ACK02: accepted, backordered or changed quantity (0 for a rejected line)."""
    ship_date: date | None = None
    """ACK05 (qualified ``068``, scheduled ship), when we can promise one."""


class AckType(StrEnum):
    """BAK02, our answer for the whole purchase order."""

    ACCEPTED = "AD"
    """Accepted, no changes."""
    ACCEPTED_WITH_CHANGES = "AC"
    REJECTED = "RD"


def ack_type(acks: Sequence[LineAck], po: PurchaseOrder) -> AckType:
    """BAK02 for these line answers."""
    if all(ack.code is AckCode.REJECTED for ack in acks):
        return AckType.REJECTED
    unchanged = all(
        ack.code is AckCode.ACCEPTED and ack.quantity == po.line(ack.line_no).quantity
        for ack in acks
    )
    return AckType.ACCEPTED if unchanged else AckType.ACCEPTED_WITH_CHANGES


def build_855(
    po: PurchaseOrder,
    acks: Sequence[LineAck],
    *,
    ack_date: date,
    order_reference: str = "",
) -> list[Segment]:
    """The 855 body (ST and SE excluded) answering ``po`` line by line.

    ``order_reference`` is our order number for the partner (BAK08). Every purchase order line
    needs exactly one answer; anything else raises :class:`PermanentError` (code ``mapping``).
    """
    by_line = _one_per_line(po, acks)
    body = [
        segment(
            "BAK",
            "00",
            ack_type(acks, po).value,
            po.po_number,
            format_date(po.po_date),
            po.release,
            "",
            "",
            order_reference,
            format_date(ack_date),
        )
    ]
    for party in po.parties:
        if party.code in ECHOED_PARTIES:
            body.extend(party.segments())
    for line in po.lines:
        body.append(_po1(line))
        body.append(_ack(line, by_line[line.line_no]))
    body.append(segment("CTT", str(len(po.lines))))
    return body


def accept_all(po: PurchaseOrder, *, ship_date: date | None = None) -> list[LineAck]:
    """Every line accepted as ordered (``IA``)."""
    return [_answer(line, AckCode.ACCEPTED, line.quantity, ship_date) for line in po.lines]


def backorder_short(
    po: PurchaseOrder, short: Sequence[ShortLine], *, ship_date: date | None = None
) -> list[LineAck]:
    """The short lines backordered in full (``IB``), the others accepted (``IA``).

    ``ship_date`` is the expected ship date of the backorder, when known.
    """
    short_lines = {line.line_no for line in short}
    return [
        _answer(line, AckCode.BACKORDERED, line.quantity, ship_date)
        if line.line_no in short_lines
        else _answer(line, AckCode.ACCEPTED, line.quantity, None)
        for line in po.lines
    ]


def reject_all(po: PurchaseOrder) -> list[LineAck]:
    """Every line rejected (``IR``, quantity 0)."""
    return [_answer(line, AckCode.REJECTED, Decimal(0), None) for line in po.lines]


def _answer(
    line: PurchaseOrderLine, code: AckCode, quantity: Decimal, ship_date: date | None
) -> LineAck:
    return LineAck(line_no=line.line_no, code=code, quantity=quantity, ship_date=ship_date)


def _one_per_line(po: PurchaseOrder, acks: Sequence[LineAck]) -> dict[int, LineAck]:
    by_line: dict[int, LineAck] = {}
    for ack in acks:
        if ack.line_no in by_line:
            raise PermanentError(
                f"855 for {po.po_number}: line {ack.line_no} answered twice", code="mapping"
            )
        by_line[ack.line_no] = ack
    expected = {line.line_no for line in po.lines}
    if set(by_line) != expected:
        raise PermanentError(
            f"855 for {po.po_number}: answers for lines {sorted(by_line)}, "
            f"the purchase order has lines {sorted(expected)}",
            code="mapping",
        )
    return by_line


def _po1(line: PurchaseOrderLine) -> Segment:
    price = format_price(line.unit_price) if line.unit_price is not None else ""
    return segment(
        "PO1",
        line.line_id,
        format_quantity(line.quantity),
        line.uom,
        price,
        line.price_basis,
        *pair_elements(line.item_ids),
    )


def _ack(line: PurchaseOrderLine, ack: LineAck) -> Segment:
    dated = ack.ship_date is not None and ack.code is not AckCode.REJECTED
    return segment(
        "ACK",
        ack.code.value,
        format_quantity(ack.quantity),
        line.uom,
        SCHEDULED_SHIP if dated else "",
        format_date(ack.ship_date) if dated and ack.ship_date else "",
    )
