"""The store port's trading-partner side: archived files, control numbers, interchanges, documents.

Every file a partner sends us and every file we send a partner is archived byte for byte, linked
to the orders it concerns (so the order timeline reaches it), and kept. Control numbers come from
persistent, atomic sequences per partner, so two workers never issue the same ISA13, GS06 or ST02.
Received interchanges are registered by (sender, control number), which is how a repeated
interchange is recognised. Our outbound documents are tracked until the partner's functional
acknowledgement (997) arrives, or its window passes. The purchase order a partner sent is kept
with the order it became, so the documents we send back echo the partner's own line ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

Direction = Literal["in", "out"]
ControlKind = Literal["interchange", "group", "set"]
AckStatus = Literal["pending", "accepted", "accepted_with_errors", "partial", "rejected", "overdue"]

CONTROL_NUMBER_MAX = 999_999_999
"""Control numbers wrap to 1 after this (ISA13 is 9 digits)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerFile:
    """One file received from or sent to a partner, exactly as it travelled."""

    file_id: str
    partner: str
    """The partner's name in the estate; empty when the sender could not be identified."""
    direction: Direction
    transport: str
    """``as2``, ``drop``, ``api`` or ``cli``."""
    name: str
    """The file name, or the AS2 Message-ID."""
    content: bytes
    at: datetime
    status: str = ""
    """What became of it: ``accepted``, ``rejected``, ``duplicate``, ``test``, ``sent`` …"""
    summary: str = ""
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundDocument:
    """A transaction set we sent, tracked until its 997 arrives."""

    document_key: str
    """The delivery's idempotency key: a retry finds the same document and resends its bytes."""
    partner: str
    order_id: str
    set_id: str
    """``855``, ``856``, ``810``, ``846``, ``997``."""
    interchange_control: str
    group_control: str
    set_control: str
    file_id: str
    created_at: datetime
    ack_due_at: datetime | None = None
    """None for documents no 997 is expected for (a 997 itself)."""
    ack_status: AckStatus = "pending"
    acknowledged_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderRecord:
    """A partner's purchase order as received, with the order it became."""

    partner: str
    po_number: str
    order_id: str
    document: dict[str, Any] = field(default_factory=dict)
    """The parsed purchase order (the EDI channel's own JSON shape)."""
    file_id: str = ""


class PartnerDocumentRepository(Protocol):
    """Archive, sequences, interchange register and outbound tracking."""

    def archive(self, file: PartnerFile) -> None:
        """Store a file (its id is new)."""
        ...

    def settle_file(
        self, file_id: str, *, status: str, summary: str, order_ids: Sequence[str] = ()
    ) -> None:
        """Record what became of a file and link it to the orders it concerns."""
        ...

    def file(self, file_id: str) -> PartnerFile | None:
        """One archived file, with its content."""
        ...

    def files(
        self, *, partner: str | None = None, order_id: str | None = None, limit: int = 100
    ) -> list[PartnerFile]:
        """Archived files, newest first (content included), by partner or linked order."""
        ...

    def next_control_number(self, partner: str, kind: ControlKind) -> int:
        """The next number of a partner's sequence: atomic across workers; wraps after 9 digits."""
        ...

    def register_interchange(
        self, sender: str, control_number: str, file_id: str, at: datetime
    ) -> bool:
        """Remember a received interchange; False when this sender sent this number before."""
        ...

    def registered_file(self, sender: str, control_number: str) -> str | None:
        """The file in which this sender's interchange was first received, if it was."""
        ...

    def record_outbound(self, document: OutboundDocument) -> bool:
        """Track a document we are about to send; False when its key is already tracked."""
        ...

    def outbound(self, document_key: str) -> OutboundDocument | None:
        """The document tracked under this key."""
        ...

    def outbound_for_order(self, order_id: str) -> list[OutboundDocument]:
        """Every document we sent about an order, oldest first."""
        ...

    def acknowledge(
        self,
        partner: str,
        group_control: str,
        set_controls: Sequence[str] | None,
        status: AckStatus,
        at: datetime,
    ) -> list[OutboundDocument]:
        """Mark documents of one group acknowledged (all of them when ``set_controls`` is None);
        returns the documents updated, as updated."""
        ...

    def expect_acknowledgement(self, file_id: str, due_at: datetime) -> int:
        """Start the 997 clock of the pending documents a file carries, once it has been sent
        (a document waiting in a paused partner's queue is not overdue); returns how many."""
        ...

    def overdue(self, now: datetime, limit: int) -> list[OutboundDocument]:
        """Pending documents past their 997 window, marked ``overdue`` as they are returned."""
        ...

    def remember_purchase_order(self, record: PurchaseOrderRecord) -> None:
        """Keep a partner's purchase order with its order (once per partner and PO number)."""
        ...

    def purchase_order(self, order_id: str) -> PurchaseOrderRecord | None:
        """The purchase order an order came from, if a partner sent one."""
        ...
