"""What we send partners: rendered once, archived, numbered from persistent sequences, tracked.

A document is rendered the first time its delivery runs, in one transaction that takes its
control numbers (ISA13, GS06, ST02) from the partner's sequences, archives the exact bytes, links
them to the order and starts waiting for the partner's 997. Every later attempt of the same
delivery finds the document by its key and sends the same bytes: a partner that checks for
duplicates sees one interchange, however often the network failed us.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.x12.builder import (
    GroupSpec,
    InterchangeSpec,
    SetSpec,
    build_interchange,
)
from crossdock.channels.edi.x12.model import Delimiters, Segment
from crossdock.channels.edi.x12.writer import render_bytes
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.messages import SendPartnerFile
from crossdock.orchestration.partner_documents import OutboundDocument, PartnerFile
from crossdock.orchestration.store import Store, TimelineEntry, UnitOfWork, pending_delivery

FUNCTIONAL_IDS = {"855": "PR", "856": "SH", "810": "IN", "846": "IB", "997": "FA"}
"""GS01 for each set we write."""


@dataclass(frozen=True, slots=True)
class Document:
    """A set to send about an order."""

    profile: PartnerProfile
    order_id: str
    set_id: str
    body: Sequence[Segment]
    document_key: str
    description: str


@dataclass(frozen=True, slots=True)
class Report:
    """A document about no one order (an 846): sent once per key, tracked for its 997."""

    set_id: str
    body: Sequence[Segment]
    document_key: str
    order_id: str
    """The pseudo order its delivery and exceptions hang on (``edi-<partner>-846``)."""
    description: str


@dataclass(frozen=True, slots=True)
class Acknowledgements:
    """What we owe a partner for one of its interchanges: a TA1, 997 sets, or both."""

    profile: PartnerProfile
    ta1: Segment | None
    sets: tuple[Sequence[Segment], ...]
    """997 bodies (between ST and SE), one per received group."""
    order_id: str
    """The first order the interchange created (deliveries and exceptions hang on an order);
    empty when it created none."""
    answering: str
    """The received ISA13."""
    usage: str = ""
    """ISA15 of our answer: a test interchange (``T``) is answered as test; empty: the profile's."""


class EdiOutbox:
    """Renders, numbers, archives and tracks our documents; queues acknowledgements."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def file(self, file_id: str) -> PartnerFile:
        """An archived file (raises KeyError when there is none)."""
        with self.store.unit_of_work(write=False) as uow:
            found = uow.partner_documents.file(file_id)
        if found is None:
            raise KeyError(file_id)
        return found

    def tracked(self, document_key: str) -> PartnerFile | None:
        """The file of the document written under this key, if one was."""
        with self.store.unit_of_work(write=False) as uow:
            found = uow.partner_documents.outbound(document_key)
            return None if found is None else _file(uow, found.file_id)

    def prepare(self, document: Document) -> PartnerFile:
        """The file carrying ``document``: rendered and archived the first time, the same after."""
        try:
            return self._prepare(document)
        except _AlreadyQueued:
            # Another attempt of the same delivery wrote it a moment ago: send that one.
            found = self.tracked(document.document_key)
            assert found is not None
            return found

    def _prepare(self, document: Document) -> PartnerFile:
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            tracked = uow.partner_documents.outbound(document.document_key)
            if tracked is not None:
                return _file(uow, tracked.file_id)
            profile = document.profile
            file, controls = self._render(
                uow, profile, [(document.set_id, document.body)], None, now
            )
            uow.partner_documents.archive(file)
            uow.partner_documents.settle_file(
                file.file_id,
                status="rendered",
                summary=document.description,
                order_ids=[document.order_id],
            )
            _track(uow, profile.name, document.document_key, document.order_id,
                   document.set_id, controls, file.file_id, now)  # fmt: skip
            uow.timeline.append(
                [
                    TimelineEntry(
                        order_id=document.order_id,
                        at=now,
                        kind="delivery",
                        system=profile.name,
                        summary=f"{document.description} written as interchange {controls[0]}",
                        correlation_id=document.order_id,
                        detail={"file_id": file.file_id, "set_control": controls[2][0]},
                    )
                ]
            )
        return file

    def mark_sent(self, file: PartnerFile, note: str, profile: PartnerProfile) -> None:
        """Record that a file reached the partner's transport (and what the transport said), and
        start the 997 clock of the documents it carries."""
        expect = timedelta(hours=profile.deadlines.expect_997_hours)
        with self.store.unit_of_work() as uow:
            uow.partner_documents.settle_file(
                file.file_id, status="sent", summary=f"{file.summary}; {note}".strip("; ")
            )
            uow.partner_documents.expect_acknowledgement(file.file_id, self.clock.now() + expect)

    def already_sent(self, order_id: str, set_id: str) -> bool:
        """Whether a document of this kind went out about the order."""
        with self.store.unit_of_work(write=False) as uow:
            sent = uow.partner_documents.outbound_for_order(order_id)
        return any(document.set_id == set_id for document in sent)

    def queue_acknowledgements(self, acks: Acknowledgements) -> str:
        """Archive our answer to an interchange and queue its delivery; returns its file id."""
        now = self.clock.now()
        profile = acks.profile
        order_id = acks.order_id or f"edi-{profile.name}-{acks.answering}"
        with self.store.unit_of_work() as uow:
            sets = [("997", body) for body in acks.sets]
            file, _ = self._render(uow, profile, sets, acks.ta1, now, usage=acks.usage)
            uow.partner_documents.archive(file)
            parts = (["TA1"] if acks.ta1 is not None else []) + (
                [f"{len(sets)} 997"] if sets else []
            )
            what = " and ".join(parts)
            description = f"{what} for interchange {acks.answering}"
            uow.partner_documents.settle_file(
                file.file_id,
                status="queued",
                summary=description,
                order_ids=[acks.order_id] if acks.order_id else [],
            )
            _enqueue_send(
                uow, profile.name, order_id, file.file_id, description,
                f"interchange:{profile.name}:{acks.answering}", now,
            )  # fmt: skip
        return file.file_id

    def queue_report(self, profile: PartnerProfile, report: Report) -> str | None:
        """Archive a report (an 846) once per key, track it for its 997 and queue its delivery;
        returns its file id, or None when this report was queued before."""
        try:
            return self._queue_report(profile, report)
        except _AlreadyQueued:
            return None

    def _queue_report(self, profile: PartnerProfile, report: Report) -> str | None:
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            if uow.partner_documents.outbound(report.document_key) is not None:
                return None
            file, controls = self._render(uow, profile, [(report.set_id, report.body)], None, now)
            uow.partner_documents.archive(file)
            uow.partner_documents.settle_file(
                file.file_id, status="queued", summary=report.description
            )
            _track(uow, profile.name, report.document_key, report.order_id,
                   report.set_id, controls, file.file_id, now)  # fmt: skip
            _enqueue_send(
                uow, profile.name, report.order_id, file.file_id, report.description,
                f"report:{report.document_key}", now,
            )  # fmt: skip
        return file.file_id

    def _render(
        self,
        uow: UnitOfWork,
        profile: PartnerProfile,
        sets: Sequence[tuple[str, Sequence[Segment]]],
        ta1: Segment | None,
        now: datetime,
        *,
        usage: str = "",
    ) -> tuple[PartnerFile, tuple[str, str, tuple[str, ...]]]:
        numbers = uow.partner_documents
        interchange = numbers.next_control_number(profile.name, "interchange")
        group = numbers.next_control_number(profile.name, "group") if sets else 0
        set_numbers = [numbers.next_control_number(profile.name, "set") for _ in sets]
        functional_id = FUNCTIONAL_IDS[sets[0][0]] if sets else ""
        built = build_interchange(
            InterchangeSpec(
                sender=(profile.us.isa_qualifier, profile.us.isa_id),
                receiver=(profile.partner.isa_qualifier, profile.partner.isa_id),
                control_number=interchange,
                now=now,
                version=profile.interchange_version,
                delimiters=our_delimiters(profile),
                usage=usage or profile.usage,
            ),
            [
                GroupSpec(
                    functional_id=functional_id,
                    sender=profile.us.application_id,
                    receiver=profile.partner.application_id,
                    control_number=group,
                    version=profile.gs_version or profile.version,
                    sets=[
                        SetSpec(set_id=set_id, control_number=number, body=body)
                        for (set_id, body), number in zip(sets, set_numbers, strict=True)
                    ],
                )
            ]
            if sets
            else [],
        )
        if ta1 is not None:
            built.segments.append(ta1)
        content = render_bytes(built, line_break="\n" if profile.line_breaks else "")
        isa13 = f"{interchange:09d}"
        kinds = "-".join(set_id for set_id, _ in sets) or "TA1"
        file = PartnerFile(
            file_id=str(uuid.uuid4()),
            partner=profile.name,
            direction="out",
            transport="as2" if profile.as2 is not None else "drop",
            name=f"{profile.name}-{isa13}-{kinds}.edi",
            content=content,
            at=now,
            status="rendered",
        )
        return file, (isa13, str(group), tuple(f"{n:04d}" for n in set_numbers))


class _AlreadyQueued(Exception):
    """Rolls back a document another worker (or attempt) wrote first."""


def _track(
    uow: UnitOfWork,
    partner: str,
    document_key: str,
    order_id: str,
    set_id: str,
    controls: tuple[str, str, tuple[str, ...]],
    file_id: str,
    now: datetime,
) -> None:
    """Track a written document until its 997; raises :class:`_AlreadyQueued` (rolling the
    transaction back) when another writer tracked one under the same key first."""
    recorded = uow.partner_documents.record_outbound(
        OutboundDocument(
            document_key=document_key,
            partner=partner,
            order_id=order_id,
            set_id=set_id,
            interchange_control=controls[0],
            group_control=controls[1],
            set_control=controls[2][0],
            file_id=file_id,
            created_at=now,
            ack_due_at=None,  # the 997 clock starts when the file is sent
        )
    )
    if not recorded:
        raise _AlreadyQueued


def _enqueue_send(
    uow: UnitOfWork,
    partner: str,
    order_id: str,
    file_id: str,
    description: str,
    cause: str,
    now: datetime,
) -> None:
    """Queue the delivery of an archived file to a partner (retried like any delivery)."""
    command = SendPartnerFile(
        system=partner, order_id=order_id, file_id=file_id, description=description
    )
    uow.deliveries.enqueue(pending_delivery(command, now=now, cause=cause))


def our_delimiters(profile: PartnerProfile) -> Delimiters:
    """The separators we write to a partner (no repetition separator before 00402)."""
    chosen = profile.delimiters
    repetition = chosen.repetition if profile.interchange_version >= "00402" else None
    return Delimiters(chosen.element, chosen.component, chosen.segment, repetition)


def _file(uow: UnitOfWork, file_id: str) -> PartnerFile:
    found = uow.partner_documents.file(file_id)
    if found is None:
        raise KeyError(file_id)
    return found
