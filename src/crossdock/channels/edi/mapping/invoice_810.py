"""The 810 invoice we send for one invoiced shipment of a partner's purchase order (the set body).

* BIG carries our invoice date and the ERP's invoice number, the PO date and PO number.
* CUR*SE appears only for a currency other than USD; REF*SI names the shipment (the 856's BSN02).
* N1*ST and N1*BT echo the 850's parties; N1*RE (remit-to) is written when given. ITD echoes the
  850's terms as sent.
* One IT1 per invoice line echoes the partner's line id and item ids, with the invoiced
  quantity, the PO line's UOM, the booked unit price and price basis ``PE``.
* TDS01 is the invoice total *including tax*, N2 in cents (285.66 → ``28566``); the tax is a
  summary TXI (``TX`` all taxes: amount and percent). A validator recomputing TDS01 as
  ΣIT102×IT104 must add TXI02 (and line amounts are rounded to the cent per line first).
* CTT01 = number of IT1, CTT02 = ΣIT102.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crossdock.channels.edi.mapping.item_ids import pair_elements
from crossdock.channels.edi.mapping.party import Party
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder
from crossdock.channels.edi.mapping.x12_values import (
    format_cents,
    format_date,
    format_price,
    format_quantity,
    segment,
)
from crossdock.channels.edi.x12.model import Segment
from crossdock.core.errors import PermanentError
from crossdock.core.invoice import Invoice, InvoiceLine
from crossdock.core.party import Address

ECHOED_PARTIES = ("ST", "BT")
"""The 850's N1 loops the 810 echoes."""
PRICE_PER_EACH = "PE"
"""IT105: the unit price basis."""
ALL_TAXES = "TX"
"""TXI01: the tax type for the invoice's one tax amount."""
HOME_CURRENCY = "USD"
"""No CUR segment is written for this currency."""


def build_810(
    po: PurchaseOrder,
    invoice: Invoice,
    *,
    invoice_number: str,
    invoice_date: date,
    shipped_on: date | None = None,
    remit_to: Address | None = None,
) -> list[Segment]:
    """The 810 body (ST and SE excluded) for ``invoice``, billing lines of ``po``.

    Raises :class:`PermanentError` (code ``mapping``) when the invoice has no lines or bills a
    line that is not on the purchase order.
    """
    if not invoice.lines:
        raise PermanentError(f"810 for {po.po_number}: the invoice has no lines", code="mapping")
    body = [
        segment(
            "BIG",
            format_date(invoice_date),
            invoice_number,
            format_date(po.po_date),
            po.po_number,
            po.release,
        )
    ]
    if invoice.currency != HOME_CURRENCY:
        body.append(segment("CUR", "SE", invoice.currency))
    body.append(segment("REF", "SI", invoice.shipment_id))
    for party in po.parties:
        if party.code in ECHOED_PARTIES:
            body.extend(party.segments())
    if remit_to is not None:
        body.extend(Party.from_address("RE", remit_to).segments())
    if po.terms:
        body.append(segment("ITD", *po.terms))
    if shipped_on is not None:
        body.append(segment("DTM", "011", format_date(shipped_on)))
    body.extend(_it1(po, line) for line in invoice.lines)
    body.append(segment("TDS", format_cents(invoice.total)))
    body.append(
        segment(
            "TXI",
            ALL_TAXES,
            format_quantity(invoice.tax_amount),
            format_quantity(invoice.tax.rate * 100),
        )
    )
    quantity = sum((line.quantity for line in invoice.lines), Decimal(0))
    body.append(segment("CTT", str(len(invoice.lines)), format_quantity(quantity)))
    return body


def _it1(po: PurchaseOrder, line: InvoiceLine) -> Segment:
    try:
        ordered = po.line(line.line_no)
    except KeyError:
        raise PermanentError(
            f"810 for {po.po_number}: line {line.line_no} ({line.sku}) is not on the purchase "
            "order",
            code="mapping",
        ) from None
    return segment(
        "IT1",
        ordered.line_id,
        format_quantity(line.quantity),
        ordered.uom,
        format_price(line.unit_price),
        PRICE_PER_EACH,
        *pair_elements(ordered.item_ids),
    )
