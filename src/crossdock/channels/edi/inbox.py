"""Everything a partner sends us, whatever the transport: archived, checked, acknowledged, acted on.

For each file (an AS2 message, a file in a drop directory, an upload)::

    archive the bytes ─► each interchange:
        sender unknown ............................ rejected (nobody to answer)
        sender + ISA13 seen before ................ TA1 note 025; nothing created
        envelope broken ........................... TA1 with its note code
        each group:
            GS*FA (997s) .......................... our documents marked acknowledged (never acked)
            anything else ......................... validated; one 997 set per group
            each accepted set:
                850 original / replace ............ a canonical order (one per partner + PO number)
                850 cancel ........................ the order's cancellation requested
                846 ............................... stock positions (partners that report stock)
        ISA15 = T ................................. acknowledged, never reaches an order
    TA1 and 997s go back in one interchange, queued as a delivery (retried, never lost)

A file's own record says what became of it (accepted, partial, rejected, duplicate, test) and
links the orders it concerns, whose timelines link back to the file.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from crossdock.channels.edi import handlers
from crossdock.channels.edi.outbox import Acknowledgements, EdiOutbox, our_delimiters
from crossdock.channels.edi.partner import PartnerDirectory, PartnerProfile
from crossdock.channels.edi.x12.acknowledgement import (
    AckOptions,
    acknowledge_group,
    build_ta1,
    ta1_for,
)
from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.model import Finding, Interchange, Segment
from crossdock.channels.edi.x12.validator import validate_interchange
from crossdock.core.inventory import InventoryPosition
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.partner_documents import PartnerFile
from crossdock.orchestration.store import Store

DUPLICATE_INTERCHANGE = "025"
"""TA105 for an interchange whose sender and control number we have seen before."""


@dataclass(slots=True)
class InboundReceipt:
    """What became of one file."""

    file_id: str
    partner: str = ""
    status: str = "accepted"
    """``accepted``, ``partial`` (some sets refused), ``rejected``, ``duplicate`` or ``test``."""
    notes: list[str] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)
    acknowledgements: list[str] = field(default_factory=list)
    """Archived files queued back to the partner (its TA1 and 997s)."""
    findings: list[Finding] = field(default_factory=list)
    stock: list[InventoryPosition] = field(default_factory=list)
    """Positions 846s reported (applied once the file is processed)."""

    @property
    def summary(self) -> str:
        """One line for people."""
        return "; ".join(self.notes) or self.status


class EdiInbox:
    """Takes partner files in. Synchronous: run it on the store's worker (``store.run``)."""

    def __init__(
        self,
        store: Store,
        desk: OrderDesk,
        partners: PartnerDirectory,
        outbox: EdiOutbox,
        clock: Clock,
        *,
        stock: Callable[[list[InventoryPosition]], object] | None = None,
    ) -> None:
        self.stock = stock
        self.store = store
        self.desk = desk
        self.partners = partners
        self.outbox = outbox
        self.clock = clock

    async def receive(
        self, content: bytes, *, transport: str, name: str, partner: str | None = None
    ) -> InboundReceipt:
        """Archive and process a file; ``partner`` is who the transport says sent it."""
        return await self.store.run(self.receive_now, content, transport, name, partner)

    def receive_now(
        self, content: bytes, transport: str, name: str, partner: str | None = None
    ) -> InboundReceipt:
        """The same, on the calling thread."""
        now = self.clock.now()
        receipt = InboundReceipt(file_id=str(uuid.uuid4()))
        with self.store.unit_of_work() as uow:
            uow.partner_documents.archive(
                PartnerFile(
                    file_id=receipt.file_id,
                    partner=partner or "",
                    direction="in",
                    transport=transport,
                    name=name,
                    content=content,
                    at=now,
                    status="received",
                )
            )
        seen = 0
        try:
            for interchange in read_interchanges(content):
                seen += 1
                self._interchange(interchange, partner, receipt, now)
        except Exception as exc:
            # The sender will send it again (AS2 answers 5xx, a drop file stays claimed): mark the
            # file failed so the repeat is taken, not refused as a duplicate.
            with self.store.unit_of_work() as uow:
                uow.partner_documents.settle_file(
                    receipt.file_id, status="failed", summary=f"{receipt.summary}; failed: {exc}"
                )
            raise
        if receipt.stock and self.stock is not None:
            self.stock(receipt.stock)
        if not seen:
            receipt.status = "rejected"
            receipt.notes.append("no interchange found")
        with self.store.unit_of_work() as uow:
            uow.partner_documents.settle_file(
                receipt.file_id,
                status=receipt.status,
                summary=receipt.summary,
                order_ids=receipt.order_ids,
            )
        return receipt

    def _interchange(
        self, interchange: Interchange, claimed: str | None, receipt: InboundReceipt, now: datetime
    ) -> None:
        receipt.findings.extend(interchange.findings)
        qualifier, sender = interchange.sender
        profile = self.partners.by_sender(qualifier, sender)
        if profile is None or (claimed and profile.name != claimed):
            receipt.status = "rejected"
            who = f"{qualifier}/{sender}"
            receipt.notes.append(
                f"interchange {interchange.control_number}: sender {who} is not a known partner"
                + (f" (the transport says {claimed})" if claimed else "")
            )
            return
        receipt.partner = profile.name
        control = interchange.control_number
        if not self._first_time(f"{qualifier}/{sender}", control, receipt.file_id, now):
            receipt.status = "duplicate"
            receipt.notes.append(f"interchange {control} from {profile.name} was received before")
            ta1 = build_ta1(control, now, "R", DUPLICATE_INTERCHANGE)
            self._answer(profile, interchange, ta1, [], receipt)
            return
        result = validate_interchange(interchange)
        ta1 = ta1_for(result, now)
        broken = ta1.element(4) == "R"
        test = interchange.usage == "T"
        scrub = our_delimiters(profile)
        acks: list[list[Segment]] = []
        for group, group_result in zip(interchange.groups, result.groups, strict=True):
            if group.functional_id == "FA":
                if test or broken:
                    # A test 997 must not settle production documents (group numbers collide),
                    # nor one in an interchange we refused.
                    receipt.notes.append(f"997s in {control} not applied: test or refused")
                else:
                    handlers.acknowledgements_received(
                        self.store, profile, group, interchange.delimiters, receipt, now
                    )
                continue
            if broken:
                # A rejected interchange is answered by its TA1 alone: 997s would speak for
                # groups nobody read.
                continue
            options = AckOptions(loops=profile.ack_loops, version=profile.version)
            ack = acknowledge_group(group_result, options, scrub)
            if ack is not None:
                acks.append(ack)
            if group_result.rejected:
                receipt.status = "partial"
                continue
            for transaction_set, set_result in zip(group.sets, group_result.sets, strict=True):
                if set_result.accepted:
                    handlers.take(
                        self.store,
                        self.desk,
                        profile,
                        transaction_set,
                        interchange.delimiters,
                        test=test,
                        file_id=receipt.file_id,
                        receipt=receipt,
                        now=now,
                    )
                else:
                    receipt.status = "partial"
                    receipt.notes.append(
                        f"{set_result.set_id} {set_result.control_number} rejected "
                        f"(AK5 codes {', '.join(set_result.set_codes)})"
                    )
        if test:
            receipt.status = "test"
            receipt.notes.append(f"interchange {control} is test traffic: acknowledged only")
        if broken:
            receipt.status = "rejected"
            receipt.notes.append(f"interchange {control}: envelope error {ta1.element(5)}")
        wanted = interchange.ack_requested or profile.ta1 == "always" or ta1.element(4) != "A"
        self._answer(profile, interchange, ta1 if wanted else None, acks, receipt)

    def _first_time(self, sender: str, control: str, file_id: str, now: datetime) -> bool:
        """Register the interchange; False for a repeat of one that was taken in full.

        A repeat of an interchange whose first file has not finished (it failed, its worker died
        between registering it and settling the file, or it is still being taken in) is taken
        again: orders are deduplicated by PO number and POs kept once, so taking it again loses
        nothing and doubles nothing, where refusing it (TA1 025) could lose the partner's orders.
        The price, when the first was merely slow, is a second 997 for the same group.
        """
        with self.store.unit_of_work() as uow:
            documents = uow.partner_documents
            if documents.register_interchange(sender, control, file_id, now):
                return True
            first_id = documents.registered_file(sender, control)
            first = None if first_id is None else documents.file(first_id)
            if first is None or first.status not in ("received", "failed"):
                return False
            documents.settle_file(
                first.file_id,
                status="superseded",
                summary=f"{first.summary}; interchange {control} taken again in file {file_id}",
            )
        return True

    def _answer(
        self,
        profile: PartnerProfile,
        interchange: Interchange,
        ta1: Segment | None,
        acks: Sequence[Sequence[Segment]],
        receipt: InboundReceipt,
    ) -> None:
        if ta1 is None and not acks:
            return
        file_id = self.outbox.queue_acknowledgements(
            Acknowledgements(
                profile=profile,
                ta1=ta1,
                sets=tuple(acks),
                order_id=receipt.order_ids[0] if receipt.order_ids else "",
                answering=interchange.control_number,
                usage="T" if interchange.usage == "T" else "",
            )
        )
        receipt.acknowledgements.append(file_id)
        self.desk.wakeups.notify(f"delivery:{profile.name}")
