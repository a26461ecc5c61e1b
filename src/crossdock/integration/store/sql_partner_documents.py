"""Archived partner files, control-number sequences, interchanges and outbound documents, in SQL."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crossdock.integration.store import schema as t
from crossdock.integration.store.sql_repository import SqlRepository, dump_json, load_json
from crossdock.orchestration.partner_documents import (
    CONTROL_NUMBER_MAX,
    AckStatus,
    ControlKind,
    OutboundDocument,
    PartnerFile,
    PurchaseOrderRecord,
)


def _file_columns(file: PartnerFile) -> dict[str, Any]:
    content = bytes(file.content)
    return {
        "file_id": file.file_id,
        "partner": file.partner,
        "direction": file.direction,
        "transport": file.transport,
        "name": file.name,
        "content": content,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "at": file.at,
        "status": file.status,
        "summary": file.summary,
    }


def _partner_file(row: Any, order_ids: Sequence[str]) -> PartnerFile:
    return PartnerFile(
        file_id=row.file_id,
        partner=row.partner,
        direction=row.direction,
        transport=row.transport,
        name=row.name,
        # psycopg may hand back a memoryview; the port promises bytes.
        content=bytes(row.content),
        at=row.at,
        status=row.status,
        summary=row.summary,
        order_ids=tuple(sorted(order_ids)),
    )


_DOCUMENT_FIELDS = tuple(OutboundDocument.__dataclass_fields__)
"""The stored columns of an outbound document: its fields, one for one."""


def _outbound(row: Any) -> OutboundDocument:
    return OutboundDocument(**{name: getattr(row, name) for name in _DOCUMENT_FIELDS})


def _oldest_first(documents: list[OutboundDocument]) -> list[OutboundDocument]:
    return sorted(documents, key=lambda document: (document.created_at, document.document_key))


class SqlPartnerDocumentRepository(SqlRepository):
    """Archive, sequences, interchange register and outbound tracking."""

    def archive(self, file: PartnerFile) -> None:
        self.c.execute(t.partner_files.insert().values(**_file_columns(file)))
        self._link(file.file_id, file.order_ids)

    def settle_file(
        self, file_id: str, *, status: str, summary: str, order_ids: Sequence[str] = ()
    ) -> None:
        f = t.partner_files
        settled = self.c.execute(
            update(f).where(f.c.file_id == file_id).values(status=status, summary=summary)
        )
        if settled.rowcount:
            self._link(file_id, order_ids)

    def _link(self, file_id: str, order_ids: Sequence[str]) -> None:
        for order_id in dict.fromkeys(order_ids):
            self._insert_ignore(t.partner_file_orders, {"file_id": file_id, "order_id": order_id})

    def file(self, file_id: str) -> PartnerFile | None:
        found = self._with_orders(
            select(t.partner_files).where(t.partner_files.c.file_id == file_id)
        )
        return found[0] if found else None

    def files(
        self, *, partner: str | None = None, order_id: str | None = None, limit: int = 100
    ) -> list[PartnerFile]:
        f, links = t.partner_files, t.partner_file_orders
        statement = select(f)
        if partner is not None:
            statement = statement.where(f.c.partner == partner)
        if order_id is not None:
            linked = select(links.c.file_id).where(links.c.order_id == order_id)
            statement = statement.where(f.c.file_id.in_(linked))
        return self._with_orders(
            statement.order_by(f.c.at.desc(), f.c.file_id.desc()).limit(max(limit, 0))
        )

    def _with_orders(self, statement: Any) -> list[PartnerFile]:
        rows = self.c.execute(statement).all()
        if not rows:
            return []
        links = t.partner_file_orders
        linked: dict[str, list[str]] = {}
        for file_id, order_id in self.c.execute(
            select(links.c.file_id, links.c.order_id).where(
                links.c.file_id.in_([row.file_id for row in rows])
            )
        ):
            linked.setdefault(file_id, []).append(order_id)
        return [_partner_file(row, linked.get(row.file_id, ())) for row in rows]

    def next_control_number(self, partner: str, kind: ControlKind) -> int:
        n = t.control_numbers
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        first = dialect_insert(n).values(partner=partner, kind=kind, value=1)
        # One statement reads and moves the sequence: PostgreSQL holds the row lock until the
        # transaction ends, and SQLite's BEGIN IMMEDIATE has already made this the only writer.
        taken = first.on_conflict_do_update(
            index_elements=[n.c.partner, n.c.kind],
            set_={"value": case((n.c.value >= CONTROL_NUMBER_MAX, 1), else_=n.c.value + 1)},
        ).returning(n.c.value)
        return int(self.c.execute(taken).scalar_one())

    def register_interchange(
        self, sender: str, control_number: str, file_id: str, at: datetime
    ) -> bool:
        return self._insert_ignore(
            t.partner_interchanges,
            {
                "sender": sender,
                "control_number": control_number,
                "file_id": file_id,
                "received_at": at,
            },
        )

    def registered_file(self, sender: str, control_number: str) -> str | None:
        i = t.partner_interchanges
        found = self.c.execute(
            select(i.c.file_id).where(i.c.sender == sender, i.c.control_number == control_number)
        ).scalar_one_or_none()
        return None if found is None else str(found)

    def record_outbound(self, document: OutboundDocument) -> bool:
        values = {name: getattr(document, name) for name in _DOCUMENT_FIELDS}
        return self._insert_ignore(t.partner_documents, values)

    def outbound(self, document_key: str) -> OutboundDocument | None:
        d = t.partner_documents
        row = self.c.execute(select(d).where(d.c.document_key == document_key)).first()
        return None if row is None else _outbound(row)

    def outbound_for_order(self, order_id: str) -> list[OutboundDocument]:
        d = t.partner_documents
        rows = self.c.execute(
            select(d).where(d.c.order_id == order_id).order_by(d.c.created_at, d.c.document_key)
        )
        return [_outbound(row) for row in rows]

    def acknowledge(
        self,
        partner: str,
        group_control: str,
        set_controls: Sequence[str] | None,
        status: AckStatus,
        at: datetime,
    ) -> list[OutboundDocument]:
        d = t.partner_documents
        statement = update(d).where(d.c.partner == partner, d.c.group_control == group_control)
        if set_controls is not None:
            statement = statement.where(d.c.set_control.in_(list(set_controls)))
        rows = self.c.execute(
            statement.values(ack_status=status, acknowledged_at=at).returning(d)
        ).all()
        return _oldest_first([_outbound(row) for row in rows])

    def expect_acknowledgement(self, file_id: str, due_at: datetime) -> int:
        d = t.partner_documents
        result = self.c.execute(
            update(d)
            .where(d.c.file_id == file_id, d.c.ack_status == "pending", d.c.ack_due_at.is_(None))
            .values(ack_due_at=due_at)
        )
        return int(result.rowcount or 0)

    def overdue(self, now: datetime, limit: int) -> list[OutboundDocument]:
        d = t.partner_documents
        due_rows = (
            select(d)
            .where(d.c.ack_status == "pending", d.c.ack_due_at <= now)
            .order_by(d.c.ack_due_at, d.c.document_key)
            .limit(max(limit, 0))
        )
        if self.dialect == "postgresql":
            # Watchers in other processes skip what this one took, so each is reported once.
            due_rows = due_rows.with_for_update(skip_locked=True)
        due = [_outbound(row) for row in self.c.execute(due_rows)]
        if not due:
            return []
        self.c.execute(
            update(d)
            .where(d.c.document_key.in_([document.document_key for document in due]))
            .values(ack_status="overdue")
        )
        return [replace(document, ack_status="overdue") for document in due]

    def remember_purchase_order(self, record: PurchaseOrderRecord) -> None:
        self._insert_ignore(
            t.partner_purchase_orders,
            {
                "partner": record.partner,
                "po_number": record.po_number,
                "order_id": record.order_id,
                "document": dump_json(record.document),
                "file_id": record.file_id,
            },
        )

    def purchase_order(self, order_id: str) -> PurchaseOrderRecord | None:
        p = t.partner_purchase_orders
        row = self.c.execute(
            select(p).where(p.c.order_id == order_id).order_by(p.c.partner, p.c.po_number).limit(1)
        ).first()
        if row is None:
            return None
        return PurchaseOrderRecord(
            partner=row.partner,
            po_number=row.po_number,
            order_id=row.order_id,
            document=load_json(row.document),
            file_id=row.file_id,
        )
