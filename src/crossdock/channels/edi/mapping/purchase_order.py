"""The 850 purchase order as the EDI channel keeps it, and how an 850 set is read into it.

:class:`PurchaseOrder` keeps what the partner sent in the partner's own terms (its line ids, its
item id pairs, its parties) so the 855, 856 and 810 we send back can echo them. It is a frozen
value that round-trips through JSON (``model_dump(mode="json")`` / ``model_validate``), which is
how the channel stores it with the order (``PurchaseOrderRecord.document``).

Problems are named by X12 position: ``BEG03``, ``PO1[2].PO104`` (the second PO1 of the set,
counting from 1), ``N1[ST].N3``. Envelope and syntax checks (segment order, CTT01 against the PO1
count) belong to the validator; reading keeps CTT and AMT as sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from pydantic import Field

from crossdock.channels.edi.mapping.item_ids import ItemId, read_item_ids
from crossdock.channels.edi.mapping.party import Party, read_party, split_loops
from crossdock.channels.edi.mapping.x12_values import parse_dt, parse_r
from crossdock.channels.edi.x12.model import Delimiters, Segment, TransactionSet
from crossdock.core.value import Value
from crossdock.orchestration.intake import FieldProblem, InvalidDocument

T = TypeVar("T")


class Purpose(StrEnum):
    """BEG01, the transaction set purpose. The channel acts on it."""

    ORIGINAL = "00"
    CANCELLATION = "01"
    REPLACE = "05"


class PurchaseOrderLine(Value):
    """One PO1 loop."""

    line_no: int = Field(ge=1)
    """The line's position among the PO1 segments, from 1; the canonical order's line number."""
    line_id: str = ""
    """PO101 exactly as sent (``0001``, ``000010``, or empty): echoed on the 855, 856 and 810."""
    quantity: Decimal
    """PO102."""
    uom: str
    """PO103."""
    unit_price: Decimal | None = None
    """PO104; None when the partner sent no price."""
    price_basis: str = ""
    """PO105, e.g. ``PE`` price per each, ``TE`` contract price per each."""
    item_ids: tuple[ItemId, ...] = ()
    """PO106/107, PO108/109, …: every pair, in the partner's order."""
    description: str = ""
    """PID05 of the first free-form (``PID*F``) description."""
    requested_date: date | None = None
    """DTM*002 inside the PO1 loop, when the line has its own delivery date."""


class PurchaseOrder(Value):
    """An 850 as the partner sent it."""

    purpose: Purpose
    """BEG01."""
    order_type: str
    """BEG02: ``SA`` stand-alone, ``NE`` new, ``DS`` drop-ship, ``RL`` release …"""
    po_number: str
    """BEG03: the partner's PO number (our channel order number and customer PO)."""
    release: str = ""
    """BEG04."""
    po_date: date
    """BEG05."""
    currency: str = ""
    """CUR02; empty when the 850 has no CUR (the customer's currency applies)."""
    terms: tuple[str, ...] = ()
    """ITD elements as sent, echoed on the 810."""
    parties: tuple[Party, ...] = ()
    """The header N1 loops, in order."""
    delivery_requested: date | None = None
    """DTM*002."""
    ship_requested: date | None = None
    """DTM*010."""
    ship_not_before: date | None = None
    """DTM*037."""
    ship_no_later: date | None = None
    """DTM*038."""
    lines: tuple[PurchaseOrderLine, ...] = ()
    line_count: int | None = None
    """CTT01 as sent."""
    quantity_total: Decimal | None = None
    """CTT02 (the hash of PO102) as sent."""
    total_amount: Decimal | None = None
    """AMT*TT as sent."""

    def party(self, code: str) -> Party | None:
        """The first party with this N101 code (``ST``, ``BT`` …)."""
        return next((party for party in self.parties if party.code == code), None)

    def line(self, line_no: int) -> PurchaseOrderLine:
        """The line with this number (raises KeyError when there is none)."""
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise KeyError(line_no)


_DATES = {
    "002": "delivery_requested",
    "010": "ship_requested",
    "037": "ship_not_before",
    "038": "ship_no_later",
}


def parse_850(transaction_set: TransactionSet, delimiters: Delimiters) -> PurchaseOrder:
    """Read an 850; raises :class:`InvalidDocument` naming every element it cannot map.

    ``delimiters`` are the interchange's; no 850 element read here is a composite, so they are
    only part of the signature every set reader shares.
    """
    del delimiters
    problems: list[FieldProblem] = []
    header, line_loops, summary = _split(transaction_set.body)
    loops, others = split_loops(header)
    fields: dict[str, object] = {"parties": tuple(read_party(loop) for loop in loops)}
    for found in others + summary:
        _read_header_segment(found, fields, problems)
    if "po_number" not in fields:
        problems.append(FieldProblem("BEG", "the 850 has no BEG segment"))
    lines = [_read_line(n, loop, problems) for n, loop in enumerate(line_loops, start=1)]
    if not line_loops and fields.get("purpose") != Purpose.CANCELLATION:
        problems.append(FieldProblem("PO1", "the 850 has no lines"))
    if problems:
        raise InvalidDocument(problems)
    return PurchaseOrder.model_validate(
        {**fields, "lines": tuple(line for line in lines if line is not None)}
    )


def _split(
    body: Sequence[Segment],
) -> tuple[list[Segment], list[list[Segment]], list[Segment]]:
    header: list[Segment] = []
    loops: list[list[Segment]] = []
    summary: list[Segment] = []
    for found in body:
        if summary or (loops and _starts_summary(found)):
            summary.append(found)
        elif found.tag == "PO1":
            loops.append([found])
        elif loops:
            loops[-1].append(found)
        else:
            header.append(found)
    return header, loops, summary


def _starts_summary(found: Segment) -> bool:
    """CTT, or AMT*TT (any other AMT after a PO1 is the line's own)."""
    return found.tag == "CTT" or (found.tag == "AMT" and found.element(1) == "TT")


def _read_header_segment(
    found: Segment, fields: dict[str, object], problems: list[FieldProblem]
) -> None:
    match found.tag:
        case "BEG":
            purpose = found.element(1)
            if purpose in {p.value for p in Purpose}:
                fields["purpose"] = Purpose(purpose)
            else:
                message = f"purpose {purpose!r} is not handled (00 original, 01 cancel, 05 replace)"
                problems.append(FieldProblem("BEG01", message))
            fields["order_type"] = found.element(2)
            fields["po_number"] = _required(found, 3, "BEG03", problems)
            fields["release"] = found.element(4)
            fields["po_date"] = _date(found, 5, "BEG05", problems, required=True)
        case "CUR":
            fields.setdefault("currency", found.element(2))
        case "ITD":
            fields.setdefault("terms", found.elements)
        case "DTM" if found.element(1) in _DATES:
            value = _date(found, 2, f"DTM*{found.element(1)}.DTM02", problems, required=True)
            fields.setdefault(_DATES[found.element(1)], value)
        case "CTT":
            count = _number(found, 1, "CTT01", problems)
            fields["line_count"] = int(count) if count is not None else None
            fields["quantity_total"] = _number(found, 2, "CTT02", problems)
        case "AMT" if found.element(1) == "TT":
            fields["total_amount"] = _number(found, 2, "AMT*TT.AMT02", problems)
        case _:
            pass


def _read_line(
    n: int, loop: Sequence[Segment], problems: list[FieldProblem]
) -> PurchaseOrderLine | None:
    po1, where = loop[0], f"PO1[{n}]"
    before = len(problems)
    quantity = _number(po1, 2, f"{where}.PO102", problems, required=True)
    if quantity is not None and quantity <= 0:
        problems.append(FieldProblem(f"{where}.PO102", "the quantity must be greater than 0"))
    uom = _required(po1, 3, f"{where}.PO103", problems)
    price = _number(po1, 4, f"{where}.PO104", problems)
    if price is not None and price < 0:
        problems.append(FieldProblem(f"{where}.PO104", "the price must not be negative"))
    ids = read_item_ids(po1, 6, where, problems)
    description, requested = "", None
    for found in loop[1:]:
        if found.tag == "PID" and found.element(1) == "F" and not description:
            description = found.element(5)
        elif found.tag == "DTM" and found.element(1) == "002" and requested is None:
            requested = _date(found, 2, f"{where}.DTM*002.DTM02", problems, required=True)
        elif found.tag == "N1":
            message = "line-level parties (a ship-to per line) are not supported"
            problems.append(FieldProblem(f"{where}.N1", message))
    if len(problems) > before or quantity is None:
        return None
    return PurchaseOrderLine(
        line_no=n,
        line_id=po1.element(1),
        quantity=quantity,
        uom=uom,
        unit_price=price,
        price_basis=po1.element(5),
        item_ids=ids,
        description=description,
        requested_date=requested,
    )


def _required(found: Segment, position: int, where: str, problems: list[FieldProblem]) -> str:
    value = found.element(position)
    if not value:
        problems.append(FieldProblem(where, "required"))
    return value


def _number(
    found: Segment,
    position: int,
    where: str,
    problems: list[FieldProblem],
    *,
    required: bool = False,
) -> Decimal | None:
    return _parsed(found, position, where, problems, parse_r, required=required)


def _date(
    found: Segment,
    position: int,
    where: str,
    problems: list[FieldProblem],
    *,
    required: bool = False,
) -> date | None:
    return _parsed(found, position, where, problems, parse_dt, required=required)


def _parsed(
    found: Segment,
    position: int,
    where: str,
    problems: list[FieldProblem],
    parse: Callable[[str], T],
    *,
    required: bool,
) -> T | None:
    """Element ``position`` parsed; a missing required one or a bad one is a named problem."""
    text = found.element(position)
    if not text:
        if required:
            problems.append(FieldProblem(where, "required"))
        return None
    try:
        return parse(text)
    except ValueError as exc:
        problems.append(FieldProblem(where, str(exc)))
        return None
