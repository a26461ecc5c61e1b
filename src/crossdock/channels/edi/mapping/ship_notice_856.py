"""The 856 ship notice we send for one shipment of a partner's purchase order (the set body).

The HL tree is written depth first, HL01 numbered from 1 (X12-RULES §6):

* **S-O-P-I** (BSN05 ``0001``) when every carton says what it holds: shipment → order → one
  pack per carton (MAN*GM with its SSCC-18) → one item per line in the carton.
* **S-O-I** (BSN05 ``0004``) when the warehouse reported cartons without their contents (or no
  cartons): shipment → order (its cartons as MAN*GM at the order level) → one item per shipped
  line. Partners that require pack levels will refuse this; their warehouses must report contents.

Items echo the partner's line id (LIN01, SN101) and item id pairs from the purchase order and
its UOM (SN103); quantities are the shipped ones. CTT01 = number of HL, CTT02 = ΣSN102.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from crossdock.channels.edi.mapping.item_ids import pair_elements
from crossdock.channels.edi.mapping.party import Party
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder
from crossdock.channels.edi.mapping.sscc import sscc_label
from crossdock.channels.edi.mapping.x12_values import (
    format_date,
    format_quantity,
    format_time,
    segment,
)
from crossdock.channels.edi.x12.model import Segment
from crossdock.core.errors import PermanentError
from crossdock.core.fulfilment import Carton, ShipmentMilestone, ShippedLine
from crossdock.core.party import Address
from crossdock.core.value import Value

PICK_AND_PACK = "0001"
"""BSN05: shipment, order, pack, item."""
NO_PACKS = "0004"
"""BSN05: shipment, order, item."""
CARTON_PACKAGING = "CTN25"
"""TD101: corrugated carton."""
SCAC = "2"
"""TD502: TD503 is a Standard Carrier Alpha Code."""


class Dispatch(Value):
    """What an 856 needs besides the purchase order and the warehouse's shipment report."""

    ship_from: Address
    """The shipping warehouse (N1*SF)."""
    ship_date: date
    """DTM*011, the date the goods left."""
    notice_at: datetime
    """BSN03/BSN04: when the notice was created."""
    bill_of_lading: str = ""
    """REF*BM, when the carrier issued one."""


class _Tree:
    """The HL segments and everything under them, numbered as they are opened."""

    def __init__(self) -> None:
        self.body: list[Segment] = []
        self.levels = 0
        self.shipped = Decimal(0)

    def open(self, parent: int | None, level: str, *, has_children: bool) -> int:
        self.levels += 1
        parent_id = str(parent) if parent is not None else ""
        self.body.append(
            segment("HL", str(self.levels), parent_id, level, "1" if has_children else "0")
        )
        return self.levels


def build_856(po: PurchaseOrder, shipment: ShipmentMilestone, dispatch: Dispatch) -> list[Segment]:
    """The 856 body (ST and SE excluded) for one shipment of ``po``.

    Raises :class:`PermanentError` (code ``mapping``) when nothing was shipped, a shipped line is
    not on the purchase order, a carton id is not an SSCC-18, or the cartons' contents do not add
    up to the shipped lines.
    """
    packed = bool(shipment.cartons) and all(carton.lines for carton in shipment.cartons)
    lines = _shipped(shipment.lines, po)
    if packed:
        _check_contents(shipment, lines, po)
    elif not lines:
        raise PermanentError(f"856 for {po.po_number}: nothing was shipped", code="mapping")
    tree = _Tree()
    tree.body.append(
        segment(
            "BSN",
            "00",
            shipment.shipment_id,
            format_date(dispatch.notice_at),
            format_time(dispatch.notice_at),
            PICK_AND_PACK if packed else NO_PACKS,
        )
    )
    top = tree.open(None, "S", has_children=True)
    tree.body.extend(_shipment_segments(po, shipment, dispatch))
    order = tree.open(top, "O", has_children=bool(shipment.cartons if packed else lines))
    tree.body.append(segment("PRF", po.po_number, po.release, "", format_date(po.po_date)))
    if packed:
        for carton in shipment.cartons:
            pack = tree.open(order, "P", has_children=True)
            tree.body.append(segment("MAN", "GM", sscc_label(carton.carton_id)))
            for line in _shipped(carton.lines, po):
                _item(tree, pack, line, po)
    else:
        for carton in shipment.cartons:
            tree.body.append(segment("MAN", "GM", sscc_label(carton.carton_id)))
        for line in lines:
            _item(tree, order, line, po)
    tree.body.append(segment("CTT", str(tree.levels), format_quantity(tree.shipped)))
    return tree.body


def _shipment_segments(
    po: PurchaseOrder, shipment: ShipmentMilestone, dispatch: Dispatch
) -> list[Segment]:
    found: list[Segment] = []
    if shipment.cartons:
        found.append(_td1(shipment.cartons))
    if shipment.carrier:
        found.append(segment("TD5", "", SCAC, shipment.carrier))
    if dispatch.bill_of_lading:
        found.append(segment("REF", "BM", dispatch.bill_of_lading))
    if shipment.tracking_number:
        found.append(segment("REF", "CN", shipment.tracking_number))
    found.append(segment("DTM", "011", format_date(dispatch.ship_date)))
    found.extend(Party.from_address("SF", dispatch.ship_from).segments())
    ship_to = po.party("ST")
    if ship_to is not None:
        found.extend(ship_to.segments())
    return found


def _td1(cartons: Sequence[Carton]) -> Segment:
    """TD1: carton count, and gross weight when every carton was weighed."""
    weights = [carton.weight_kg for carton in cartons]
    if any(weight is None for weight in weights):
        return segment("TD1", CARTON_PACKAGING, str(len(cartons)))
    total = sum((weight for weight in weights if weight is not None), Decimal(0))
    return segment(
        "TD1", CARTON_PACKAGING, str(len(cartons)), "", "", "", "G", format_quantity(total), "KG"
    )


def _item(tree: _Tree, parent: int, line: ShippedLine, po: PurchaseOrder) -> None:
    ordered = po.line(line.line_no)
    tree.open(parent, "I", has_children=False)
    tree.body.append(segment("LIN", ordered.line_id, *pair_elements(ordered.item_ids)))
    tree.body.append(segment("SN1", ordered.line_id, format_quantity(line.quantity), ordered.uom))
    tree.shipped += line.quantity


def _shipped(lines: Sequence[ShippedLine], po: PurchaseOrder) -> list[ShippedLine]:
    """The lines with something shipped, each checked against the purchase order."""
    known = {line.line_no for line in po.lines}
    for line in lines:
        if line.line_no not in known:
            raise PermanentError(
                f"856 for {po.po_number}: line {line.line_no} ({line.sku}) is not on the "
                "purchase order",
                code="mapping",
            )
    return [line for line in lines if line.quantity > 0]


def _check_contents(
    shipment: ShipmentMilestone, lines: Sequence[ShippedLine], po: PurchaseOrder
) -> None:
    """The cartons must hold exactly what the shipment says was shipped."""
    packed = _per_line(line for carton in shipment.cartons for line in _shipped(carton.lines, po))
    shipped = _per_line(lines)
    if not packed:
        raise PermanentError(f"856 for {po.po_number}: nothing was shipped", code="mapping")
    if shipment.lines and packed != shipped:
        raise PermanentError(
            f"856 for {po.po_number}: the cartons hold {_show(packed)}, "
            f"the shipment lists {_show(shipped)} (line: quantity)",
            code="mapping",
        )


def _per_line(lines: Iterable[ShippedLine]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for line in lines:
        totals[line.line_no] = totals.get(line.line_no, Decimal(0)) + line.quantity
    return totals


def _show(totals: dict[int, Decimal]) -> str:
    return ", ".join(f"{n}: {format_quantity(q)}" for n, q in sorted(totals.items())) or "nothing"
