"""A partner's :class:`PurchaseOrder` → the canonical :class:`~crossdock.core.order.Order`.

* Line numbers are the PO1 positions (1..n); the partner's PO101 stays on the purchase order
  and is echoed on our documents.
* SKUs come from the partner's item ids (:func:`~.item_ids.resolve_sku`).
* The ship-to is the N1*ST loop and must carry its address (N3 and N4). A ship-to given only as
  a location code (``N1*ST*STORE 14*92*0014``) is not looked up: the order is refused, naming
  ``N1[ST].N3``.
* Legal entity and region are the profile's overrides, else the customer's; the currency is the
  850's CUR, else the customer's.
* A line's requested date is its own DTM*002, else the header's DTM*002. The other dates (010,
  037, 038) stay on the purchase order for the channel.
* The purpose (cancel, replace) is not looked at here: the channel acts on it.
"""

from __future__ import annotations

from datetime import datetime

from crossdock.channels.edi.mapping.item_ids import describe, resolve_sku
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder, PurchaseOrderLine
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.core.order import Order, OrderLine
from crossdock.core.party import Address, Customer
from crossdock.orchestration.intake import FieldProblem, InvalidDocument


def to_order(
    po: PurchaseOrder,
    *,
    profile: PartnerProfile,
    customer: Customer,
    order_id: str,
    received_at: datetime,
) -> Order:
    """The canonical order for ``po``; raises :class:`InvalidDocument` naming every problem."""
    problems: list[FieldProblem] = []
    ship_to = _address(po, "ST", problems, required=True)
    bill_to = _address(po, "BT", problems, required=False)
    lines = [_line(po, line, profile, problems) for line in po.lines]
    if not po.lines:
        problems.append(FieldProblem("PO1", "the 850 has no lines"))
    if problems:
        raise InvalidDocument(problems)
    assert ship_to is not None
    return Order(
        order_id=order_id,
        channel=profile.name,
        channel_order_number=po.po_number,
        customer_po=po.po_number,
        customer_id=customer.customer_id,
        ship_to=ship_to,
        bill_to=bill_to or customer.bill_to,
        legal_entity=profile.legal_entity or customer.legal_entity,
        region=profile.region or customer.region,
        currency=po.currency or customer.currency,
        lines=tuple(line for line in lines if line is not None),
        received_at=received_at,
    )


def _address(
    po: PurchaseOrder, code: str, problems: list[FieldProblem], *, required: bool
) -> Address | None:
    party = po.party(code)
    if party is None:
        if required:
            problems.append(FieldProblem(f"N1[{code}]", "required"))
        return None
    address = party.address()
    if address is None and (required or party.address_lines or party.city):
        if not party.address_lines:
            message = "the address is required (ship-to by location code is not looked up)"
            problems.append(FieldProblem(f"N1[{code}].N3", message))
        if not party.city or not party.postal_code:
            problems.append(FieldProblem(f"N1[{code}].N4", "city and postal code are required"))
    return address


def _line(
    po: PurchaseOrder,
    line: PurchaseOrderLine,
    profile: PartnerProfile,
    problems: list[FieldProblem],
) -> OrderLine | None:
    where = f"PO1[{line.line_no}]"
    sku = resolve_sku(line.item_ids, profile)
    if sku is None:
        problems.append(FieldProblem(where, describe(line.item_ids, profile)))
    if line.unit_price is None:
        problems.append(FieldProblem(f"{where}.PO104", "a unit price is required"))
    if sku is None or line.unit_price is None:
        return None
    return OrderLine(
        line_no=line.line_no,
        sku=sku,
        quantity=line.quantity,
        uom=line.uom,
        unit_price=line.unit_price,
        requested_date=line.requested_date or po.delivery_requested,
    )
