"""Which document a status change means for a partner, and its body (see the gateway's table)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from crossdock.channels.edi.mapping.acknowledgement_855 import (
    accept_all,
    backorder_short,
    build_855,
    reject_all,
)
from crossdock.channels.edi.mapping.invoice_810 import build_810
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder
from crossdock.channels.edi.mapping.ship_notice_856 import Dispatch, build_856
from crossdock.channels.edi.outbox import Document
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.core.errors import PermanentError
from crossdock.core.fulfilment import ShipmentMilestone
from crossdock.core.inventory import ShortLine
from crossdock.core.invoice import Invoice
from crossdock.orchestration.messages import NotifyStatus
from crossdock.orchestration.partner_documents import PurchaseOrderRecord

ACKNOWLEDGING = ("accepted", "backordered", "cancelled")
"""Statuses answered with an 855 (the first of them only)."""


def produces_document(profile: PartnerProfile, command: NotifyStatus) -> bool:
    """Whether this notification can mean a document for the partner (others are only noted)."""
    status, documents = command.status, profile.documents
    return (
        (status in ACKNOWLEDGING and "855" in documents)
        or (status == "shipped" and "856" in documents)
        or (status == "invoice_posted" and "810" in documents)
    )


def document_for(
    profile: PartnerProfile,
    command: NotifyStatus,
    record: PurchaseOrderRecord,
    *,
    now: datetime,
    sent: Callable[[str], bool],
) -> Document | None:
    """The document to send for this notification, or None when there is nothing to send.

    ``sent(set_id)`` says whether a document of that kind already went out about the order.
    """
    po = PurchaseOrder.model_validate(record.document)
    status = command.status
    detail = command.detail
    key = command.idempotency_key
    if status in ACKNOWLEDGING and "855" in profile.documents:
        if sent("855"):
            return None
        if status == "accepted":
            acks = accept_all(po)
        elif status == "backordered":
            short = [ShortLine.model_validate(line) for line in detail.get("short", [])]
            acks = backorder_short(po, short)
        else:
            acks = reject_all(po)
        # BAK08 (our order number) is at most 22 characters: our ids are longer, so none is sent.
        body = build_855(po, acks, ack_date=now.date())
        return Document(
            profile, command.order_id, "855", body, key, f"855 ({status}) for PO {po.po_number}"
        )
    if status == "shipped" and "856" in profile.documents:
        shipment = ShipmentMilestone.model_validate(_required(detail, "shipment", command))
        if not any(line.quantity > 0 for line in shipment.lines):
            return None  # a final report that ships nothing (the rest is short): nothing to advise
        if profile.ship_from is None:
            raise PermanentError(
                f"{profile.name}: an 856 needs the partner profile's ship_from address",
                code="configuration",
            )
        dispatch = Dispatch(
            ship_from=profile.ship_from,
            ship_date=shipment.occurred_at.date(),
            notice_at=now,
        )
        body = build_856(po, shipment, dispatch)
        return Document(
            profile,
            command.order_id,
            "856",
            body,
            key,
            f"856 for shipment {shipment.shipment_id} of PO {po.po_number}",
        )
    if status == "invoice_posted" and "810" in profile.documents:
        invoice = Invoice.model_validate(_required(detail, "invoice", command))
        number = str(detail.get("invoice_number") or invoice.invoice_id)
        body = build_810(po, invoice, invoice_number=number, invoice_date=now.date())
        return Document(
            profile,
            command.order_id,
            "810",
            body,
            key,
            f"810 invoice {number} for PO {po.po_number}",
        )
    return None


def _required(detail: dict[str, object], name: str, command: NotifyStatus) -> object:
    if name not in detail:
        raise PermanentError(
            f"the {command.status} notification for {command.order_id} carries no {name}",
            code="mapping",
        )
    return detail[name]
