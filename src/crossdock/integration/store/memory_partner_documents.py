"""Archived partner files, control numbers, interchanges and outbound documents of a
:class:`~.memory.MemoryStore` (one writer at a time, so a sequence needs no lock of its own)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from crossdock.integration.store.memory_tables import (
    MemoryTables,
    PurchaseOrderRow,
    ReceivedInterchange,
    decode,
    encode,
    utc,
)
from crossdock.orchestration.partner_documents import (
    CONTROL_NUMBER_MAX,
    AckStatus,
    ControlKind,
    OutboundDocument,
    PartnerFile,
    PurchaseOrderRecord,
)


def _stored(document: OutboundDocument) -> OutboundDocument:
    """A document with its timestamps in UTC, as the SQL adapter returns them."""
    return replace(
        document,
        created_at=utc(document.created_at),
        ack_due_at=None if document.ack_due_at is None else utc(document.ack_due_at),
        acknowledged_at=None if document.acknowledged_at is None else utc(document.acknowledged_at),
    )


def _oldest_first(documents: list[OutboundDocument]) -> list[OutboundDocument]:
    return sorted(documents, key=lambda document: (document.created_at, document.document_key))


class MemoryPartnerDocumentRepository:
    """Archive, sequences, interchange register and outbound tracking."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def archive(self, file: PartnerFile) -> None:
        if file.file_id in self.t.partner_files:
            # The SQL adapters refuse a second row under the same primary key.
            raise ValueError(f"partner file {file.file_id} is already archived")
        stored = replace(file, content=bytes(file.content), at=utc(file.at), order_ids=())
        self.t.partner_files.put(file.file_id, stored)
        self._link(file.file_id, file.order_ids)

    def settle_file(
        self, file_id: str, *, status: str, summary: str, order_ids: Sequence[str] = ()
    ) -> None:
        current = self.t.partner_files.get(file_id)
        if current is None:
            return
        self.t.partner_files.put(file_id, replace(current, status=status, summary=summary))
        self._link(file_id, order_ids)

    def _link(self, file_id: str, order_ids: Sequence[str]) -> None:
        for order_id in order_ids:
            if (file_id, order_id) not in self.t.partner_file_orders:
                self.t.partner_file_orders.put((file_id, order_id), None)

    def _with_orders(self, file: PartnerFile) -> PartnerFile:
        linked = sorted(
            order_id for file_id, order_id in self.t.partner_file_orders if file_id == file.file_id
        )
        return replace(file, order_ids=tuple(linked))

    def file(self, file_id: str) -> PartnerFile | None:
        found = self.t.partner_files.get(file_id)
        return None if found is None else self._with_orders(found)

    def files(
        self, *, partner: str | None = None, order_id: str | None = None, limit: int = 100
    ) -> list[PartnerFile]:
        linked = (
            None
            if order_id is None
            else {
                file_id
                for file_id, linked_order in self.t.partner_file_orders
                if linked_order == order_id
            }
        )
        found = [
            file
            for file in self.t.partner_files.values()
            if (partner is None or file.partner == partner)
            and (linked is None or file.file_id in linked)
        ]
        # Newest first, ties broken by id (descending), as the SQL adapter sorts them.
        found.sort(key=lambda file: (file.at, file.file_id), reverse=True)
        return [self._with_orders(file) for file in found[: max(limit, 0)]]

    def next_control_number(self, partner: str, kind: ControlKind) -> int:
        last = self.t.control_numbers.get((partner, kind)) or 0
        value = 1 if last >= CONTROL_NUMBER_MAX else last + 1
        self.t.control_numbers.put((partner, kind), value)
        return value

    def register_interchange(
        self, sender: str, control_number: str, file_id: str, at: datetime
    ) -> bool:
        key = (sender, control_number)
        if key in self.t.partner_interchanges:
            return False
        self.t.partner_interchanges.put(
            key, ReceivedInterchange(file_id=file_id, received_at=utc(at))
        )
        return True

    def registered_file(self, sender: str, control_number: str) -> str | None:
        found = self.t.partner_interchanges.get((sender, control_number))
        return None if found is None else found.file_id

    def record_outbound(self, document: OutboundDocument) -> bool:
        if document.document_key in self.t.partner_documents:
            return False
        self.t.partner_documents.put(document.document_key, _stored(document))
        return True

    def outbound(self, document_key: str) -> OutboundDocument | None:
        return self.t.partner_documents.get(document_key)

    def outbound_for_order(self, order_id: str) -> list[OutboundDocument]:
        return _oldest_first(
            [d for d in self.t.partner_documents.values() if d.order_id == order_id]
        )

    def acknowledge(
        self,
        partner: str,
        group_control: str,
        set_controls: Sequence[str] | None,
        status: AckStatus,
        at: datetime,
    ) -> list[OutboundDocument]:
        at = utc(at)
        named = None if set_controls is None else set(set_controls)
        updated = [
            replace(document, ack_status=status, acknowledged_at=at)
            for document in self.t.partner_documents.values()
            if (document.partner, document.group_control) == (partner, group_control)
            and (named is None or document.set_control in named)
        ]
        for document in updated:
            self.t.partner_documents.put(document.document_key, document)
        return _oldest_first(updated)

    def expect_acknowledgement(self, file_id: str, due_at: datetime) -> int:
        started = [
            replace(document, ack_due_at=utc(due_at))
            for document in self.t.partner_documents.values()
            if document.file_id == file_id
            and document.ack_status == "pending"
            and document.ack_due_at is None
        ]
        for document in started:
            self.t.partner_documents.put(document.document_key, document)
        return len(started)

    def overdue(self, now: datetime, limit: int) -> list[OutboundDocument]:
        now = utc(now)
        due = sorted(
            (
                document
                for document in self.t.partner_documents.values()
                if document.ack_status == "pending"
                and document.ack_due_at is not None
                and document.ack_due_at <= now
            ),
            key=lambda document: (document.ack_due_at or now, document.document_key),
        )
        marked = [replace(document, ack_status="overdue") for document in due[: max(limit, 0)]]
        for document in marked:
            self.t.partner_documents.put(document.document_key, document)
        return marked

    def remember_purchase_order(self, record: PurchaseOrderRecord) -> None:
        key = (record.partner, record.po_number)
        if key in self.t.partner_purchase_orders:
            return
        self.t.partner_purchase_orders.put(
            key,
            PurchaseOrderRow(
                partner=record.partner,
                po_number=record.po_number,
                order_id=record.order_id,
                document=encode(record.document),
                file_id=record.file_id,
            ),
        )

    def purchase_order(self, order_id: str) -> PurchaseOrderRecord | None:
        found = sorted(
            (row for row in self.t.partner_purchase_orders.values() if row.order_id == order_id),
            key=lambda row: (row.partner, row.po_number),
        )
        if not found:
            return None
        row = found[0]
        return PurchaseOrderRecord(
            partner=row.partner,
            po_number=row.po_number,
            order_id=row.order_id,
            document=decode(row.document),
            file_id=row.file_id,
        )
