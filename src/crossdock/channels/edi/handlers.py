"""What each accepted transaction set does: an 850 becomes an order, an 846 stock, a 997 a receipt.

The channel acts only on sets the validator accepted (their 997 says A or E). An 850 maps to the
canonical order and is handed to the order desk, which refuses a second order for the same partner
and PO number (the partner's PO is the channel order number). A cancellation (BEG01 01) asks the
order's workflow to cancel; a replacement (05) of an order already taken is put on the order's
timeline for a person, because what may still change depends on how far the order has gone.
Test traffic (ISA15 T) is mapped (so its errors show) but never reaches an order.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from crossdock.channels.edi.mapping.canonical_order import to_order
from crossdock.channels.edi.mapping.inventory_846 import parse_846
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder, Purpose, parse_850
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.partner_exception import raise_partner_exception
from crossdock.channels.edi.x12.acknowledgement import FunctionalAck, read_997
from crossdock.channels.edi.x12.model import Delimiters, FunctionalGroup, TransactionSet
from crossdock.core.inventory import InventoryPosition
from crossdock.integration.api.identifiers import new_order_id
from crossdock.orchestration.intake import FieldProblem, InvalidDocument, OrderDesk
from crossdock.orchestration.partner_documents import (
    AckStatus,
    OutboundDocument,
    PurchaseOrderRecord,
)
from crossdock.orchestration.store import Store, TimelineEntry, UnitOfWork

if TYPE_CHECKING:
    from crossdock.channels.edi.inbox import InboundReceipt

ACK_STATUS: dict[str, AckStatus] = {
    "A": "accepted",
    "E": "accepted_with_errors",
    "P": "partial",
    "R": "rejected",
}


def take(
    store: Store,
    desk: OrderDesk,
    profile: PartnerProfile,
    transaction_set: TransactionSet,
    delimiters: Delimiters,
    *,
    test: bool,
    file_id: str,
    receipt: InboundReceipt,
    now: datetime,
) -> None:
    """Act on one accepted set."""
    match transaction_set.set_id:
        case "850":
            _purchase_order(
                store, desk, profile, transaction_set, delimiters, test, file_id, receipt, now
            )
        case "846":
            _inventory(store, profile, transaction_set, delimiters, test, receipt)
        case other:
            receipt.notes.append(f"set {transaction_set.control_number}: {other} acknowledged only")


def _purchase_order(
    store: Store,
    desk: OrderDesk,
    profile: PartnerProfile,
    transaction_set: TransactionSet,
    delimiters: Delimiters,
    test: bool,
    file_id: str,
    receipt: InboundReceipt,
    now: datetime,
) -> None:
    where = f"850 {transaction_set.control_number}"
    try:
        po = parse_850(transaction_set, delimiters)
    except InvalidDocument as exc:
        receipt.status = "partial"
        problems = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
        receipt.notes.append(f"{where} cannot be mapped: {problems}")
        if not test:
            _refused(store, profile, f"edi-{profile.name}-{transaction_set.control_number}",
                     f"{where} cannot be mapped: {problems}", file_id, now)  # fmt: skip
        return
    if test:
        receipt.notes.append(f"{where} (PO {po.po_number}) is test traffic: no order")
        return
    with store.unit_of_work(write=False) as uow:
        existing = uow.orders.find_by_channel_number(profile.name, po.po_number)
        customer = uow.masterdata.customer(profile.customer_id)
    if po.purpose is Purpose.CANCELLATION:
        _cancel(store, desk, profile, po, existing, file_id, receipt, now)
        return
    if existing is not None:
        # The first receipt may have created the order and died before keeping its PO: keep it
        # now (the first record stands when there is one), or no 855, 856 or 810 could be written.
        verb = "replaces" if po.purpose is Purpose.REPLACE else "repeats"
        _remember(
            store, profile, po, existing, file_id, now,
            line=f"{profile.name} sent PO {po.po_number} again ({where}, BEG01 "
            f"{po.purpose.value}): not applied; a replacement needs a person",
        )  # fmt: skip
        receipt.order_ids.append(existing)
        receipt.notes.append(f"{where} {verb} PO {po.po_number}: order {existing} stands")
        return
    try:
        if customer is None:
            raise InvalidDocument(
                [
                    FieldProblem(
                        "customer_id",
                        f"partner customer {profile.customer_id} is not in the master data",
                    )
                ]
            )
        order = to_order(
            po, profile=profile, customer=customer, order_id=new_order_id(now), received_at=now
        )
        submitted = desk.submit(order, source=profile.name, dedupe_key=None)
    except InvalidDocument as exc:
        receipt.status = "partial"
        problems = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
        receipt.notes.append(f"{where} (PO {po.po_number}) refused: {problems}")
        _refused(store, profile, f"edi-{profile.name}-{po.po_number}",
                 f"PO {po.po_number} ({where}) refused: {problems}", file_id, now)  # fmt: skip
        return
    receipt.order_ids.append(submitted.order_id)
    if not submitted.created:
        _remember(store, profile, po, submitted.order_id, file_id, now)
        receipt.notes.append(f"{where}: PO {po.po_number} is order {submitted.order_id} already")
        return
    _remember(
        store, profile, po, submitted.order_id, file_id, now,
        line=f"850 {transaction_set.control_number} (PO {po.po_number}) received from "
        f"{profile.name}",
    )  # fmt: skip
    receipt.notes.append(f"{where}: PO {po.po_number} → order {submitted.order_id}")


def _remember(
    store: Store,
    profile: PartnerProfile,
    po: PurchaseOrder,
    order_id: str,
    file_id: str,
    now: datetime,
    *,
    line: str = "",
) -> None:
    """Keep the PO with its order (once: a later copy does not replace the first) and, with
    ``line``, say so on the order's timeline, in one transaction."""
    with store.unit_of_work() as uow:
        uow.partner_documents.remember_purchase_order(
            PurchaseOrderRecord(
                partner=profile.name,
                po_number=po.po_number,
                order_id=order_id,
                document=po.model_dump(mode="json"),
                file_id=file_id,
            )
        )
        if line:
            uow.timeline.append([_entry(order_id, now, profile.name, line, file_id)])


def _cancel(
    store: Store,
    desk: OrderDesk,
    profile: PartnerProfile,
    po: PurchaseOrder,
    existing: str | None,
    file_id: str,
    receipt: InboundReceipt,
    now: datetime,
) -> None:
    if existing is None:
        receipt.status = "partial"
        receipt.notes.append(f"cancellation of PO {po.po_number}: no such order")
        return
    desk.request_cancellation(
        existing, f"{profile.name} cancelled PO {po.po_number} (850 BEG01 01)", profile.name
    )
    receipt.order_ids.append(existing)
    _line(store, existing, now, profile.name, f"cancellation of PO {po.po_number}", file_id)
    receipt.notes.append(f"PO {po.po_number}: cancellation of order {existing} requested")


def _inventory(
    store: Store,
    profile: PartnerProfile,
    transaction_set: TransactionSet,
    delimiters: Delimiters,
    test: bool,
    receipt: InboundReceipt,
) -> None:
    where = f"846 {transaction_set.control_number}"
    if not profile.inventory_location:
        receipt.notes.append(f"{where}: {profile.name} reports no stock to us; archived")
        return
    try:
        positions = parse_846(transaction_set, delimiters, profile)
    except InvalidDocument as exc:
        receipt.status = "partial"
        problems = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
        receipt.notes.append(f"{where} cannot be mapped: {problems}")
        return
    if test:
        receipt.notes.append(f"{where} is test traffic: {len(positions)} positions not applied")
        return
    # Positions reported per partner location become one position per SKU at ours.
    on_hand: dict[str, InventoryPosition] = {}
    for position in positions:
        found = on_hand.get(position.sku)
        quantity = position.on_hand + (found.on_hand if found is not None else 0)
        on_hand[position.sku] = position.model_copy(
            update={"location": profile.inventory_location, "on_hand": quantity}
        )
    placed = list(on_hand.values())
    receipt.stock.extend(placed)
    receipt.notes.append(f"{where}: {len(placed)} positions at {profile.inventory_location}")


def acknowledgements_received(
    store: Store,
    profile: PartnerProfile,
    group: FunctionalGroup,
    delimiters: Delimiters,
    receipt: InboundReceipt,
    now: datetime,
) -> None:
    """Match the partner's 997s to our documents; a rejection becomes an exception per order."""
    for transaction_set in group.sets:
        if transaction_set.set_id != "997":
            continue
        ack = read_997(transaction_set.segments, delimiters.component)
        if not ack.group_control_number:
            receipt.notes.append(f"997 {transaction_set.control_number} names no group of ours")
            continue
        with store.unit_of_work() as uow:
            documents = uow.partner_documents
            # The group's verdict covers every set the 997 does not list; an AK2 loop overrides it.
            implied = ACK_STATUS.get("A" if ack.status in ("A", "E", "P") else "R", "rejected")
            settled = {
                d.document_key: d
                for d in documents.acknowledge(
                    profile.name, ack.group_control_number, None, implied, now
                )
            }
            for set_ack in ack.sets:
                status = ACK_STATUS.get(set_ack.status, "rejected")
                for d in documents.acknowledge(
                    profile.name, ack.group_control_number, [set_ack.control_number], status, now
                ):
                    settled[d.document_key] = d
            for document in settled.values():
                _acknowledged(uow, profile, document, ack, receipt.file_id, now)
                if (
                    not document.order_id.startswith("edi-")
                    and document.order_id not in receipt.order_ids
                ):
                    receipt.order_ids.append(document.order_id)
        receipt.notes.append(
            f"997 for our group {ack.group_control_number} ({ack.status}): "
            f"{len(settled)} documents settled"
        )


def _acknowledged(
    uow: UnitOfWork,
    profile: PartnerProfile,
    document: OutboundDocument,
    ack: FunctionalAck,
    file_id: str,
    now: datetime,
) -> None:
    status = document.ack_status
    summary = (
        f"997 from {profile.name}: our {document.set_id} {document.set_control} "
        f"{status.replace('_', ' ')}"
    )
    uow.timeline.append(
        [
            TimelineEntry(
                order_id=document.order_id,
                at=now,
                kind="inbound",
                system=profile.name,
                summary=summary,
                correlation_id=document.order_id,
                detail={"file_id": file_id, "document": document.document_key},
            )
        ]
    )
    if status != "rejected":
        return
    errors = next((s for s in ack.sets if s.control_number == document.set_control), None)
    codes = ", ".join(errors.codes) if errors is not None else ", ".join(ack.group_codes)
    raise_partner_exception(
        uow,
        partner=profile.name,
        order_id=document.order_id,
        operation=f"edi_{document.set_id}",
        error_type="edi_rejected",
        error=f"{profile.name} rejected our {document.set_id} (GS06 {document.group_control}, "
        f"ST02 {document.set_control}): codes {codes or 'none'}",
        file_id=document.file_id,
        now=now,
        customer_id=profile.customer_id,
    )


def _refused(
    store: Store, profile: PartnerProfile, order_id: str, error: str, file_id: str, now: datetime
) -> None:
    """An 850 the syntax accepted (its 997 says so) but the hub cannot take: a person must act,
    with the partner, under the pseudo order the exception names (no order exists)."""
    with store.unit_of_work() as uow:
        raise_partner_exception(
            uow,
            partner=profile.name,
            order_id=order_id,
            operation="edi_850",
            error_type="edi_refused",
            error=error,
            file_id=file_id,
            now=now,
            customer_id=profile.customer_id,
        )


def _line(store: Store, order_id: str, now: datetime, system: str, text: str, file_id: str) -> None:
    with store.unit_of_work() as uow:
        uow.timeline.append([_entry(order_id, now, system, text, file_id)])


def _entry(order_id: str, now: datetime, system: str, text: str, file_id: str) -> TimelineEntry:
    """A line on an order's timeline about a partner's file."""
    return TimelineEntry(
        order_id=order_id,
        at=now,
        kind="inbound",
        system=system,
        summary=text,
        correlation_id=order_id,
        detail={"file_id": file_id},
    )
