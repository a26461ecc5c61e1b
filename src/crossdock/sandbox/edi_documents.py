"""The documents the retailer writes: its 850 purchase orders and its 997 acknowledgements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from crossdock.sandbox.catalog import Customer, money
from crossdock.sandbox.x12_lite import Group, SetSpec


@dataclass(frozen=True, kw_only=True)
class PoLine:
    """One PO1 line: the retailer's line id, the supplier's SKU, quantity and unit price."""

    line_id: str
    sku: str
    qty: int
    price: Decimal
    uom: str = "EA"

    def as_json(self) -> dict[str, str | int]:
        return {
            "line_id": self.line_id,
            "sku": self.sku,
            "qty": self.qty,
            "price": money(self.price),
            "uom": self.uom,
        }


def purchase_order_850(
    *, po_number: str, customer: Customer, lines: Sequence[PoLine], at: datetime, control: str
) -> SetSpec:
    """An 850: BEG (original, stand-alone), ship-to and bill-to, PO1 per line, CTT with ΣPO102.

    The ship-to is the catalog customer's address; N104 carries its customer id (qualifier 92,
    assigned by the buyer).
    """
    address = customer.bill_to
    body: list[tuple[str, ...]] = [
        ("BEG", "00", "SA", po_number, "", at.strftime("%Y%m%d")),
        ("N1", "ST", customer.name, "92", customer.customer_id),
        ("N3", address.address1, address.address2),
        ("N4", address.city, address.province_code, address.zip, address.country_code),
        ("N1", "BT", customer.name, "92", customer.customer_id),
    ]
    body += [
        ("PO1", line.line_id, str(line.qty), line.uom, money(line.price), "PE", "VP", line.sku)
        for line in lines
    ]
    body.append(("CTT", str(len(lines)), str(sum(line.qty for line in lines))))
    return SetSpec(set_id="850", control=control, body=body)


def acknowledgement_997(group: Group, control: str) -> SetSpec:
    """A 997 accepting every set of a received group (AK1, AK2/AK5 per set, AK9*A)."""
    body: list[tuple[str, ...]] = [("AK1", group.functional_id, group.control)]
    for document in group.sets:
        body += [("AK2", document.set_id, document.control), ("AK5", "A")]
    received = str(len(group.sets))
    included = group.trailer.element(1) if group.trailer is not None else received
    body.append(("AK9", "A", included, received, received))
    return SetSpec(set_id="997", control=control, body=body)
