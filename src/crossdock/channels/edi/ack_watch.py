"""Our documents whose 997 did not come in time become exceptions, once each."""

from __future__ import annotations

from crossdock.channels.edi.partner_exception import raise_partner_exception
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.partner_documents import OutboundDocument
from crossdock.orchestration.store import Store, TimelineEntry

BATCH = 100


class AcknowledgementWatch:
    """Finds documents past their partner's 997 window."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def sweep(self) -> list[OutboundDocument]:
        """Raise an exception for every overdue document; returns them."""
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            overdue = uow.partner_documents.overdue(now, BATCH)
            for document in overdue:
                waited = now - document.created_at
                error = (
                    f"no 997 from {document.partner} for our {document.set_id} "
                    f"(ISA13 {document.interchange_control}, GS06 {document.group_control}, "
                    f"ST02 {document.set_control}) after {waited.total_seconds() / 3600:.1f} h"
                )
                raise_partner_exception(
                    uow,
                    partner=document.partner,
                    order_id=document.order_id,
                    operation=f"edi_{document.set_id}",
                    error_type="edi_997_overdue",
                    error=error,
                    file_id=document.file_id,
                    now=now,
                )
                uow.timeline.append(
                    [
                        TimelineEntry(
                            order_id=document.order_id,
                            at=now,
                            kind="exception",
                            system=document.partner,
                            summary=error,
                            correlation_id=document.order_id,
                            detail={"file_id": document.file_id},
                        )
                    ]
                )
        return overdue
