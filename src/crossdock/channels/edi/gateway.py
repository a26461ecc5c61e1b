"""An EDI partner as a :class:`SystemGateway`: status changes become 855, 856 and 810 documents.

The workflow tells an order's channel about its statuses as it tells any system of engagement
(``NotifyStatus``); this gateway turns each into the document the partner expects and sends it
through the partner's transport:

==================  ===========================================================================
``accepted``        855, every line IA (once per order)
``backordered``     855, the short lines IB, the rest IA (once per order)
``cancelled``       855 BAK02 RD, every line IR, unless an 855 already went out
``shipped``         856 for the shipment (S-O-P-I with an SSCC-18 per carton)
``invoice_posted``  810 for the invoice, numbered as the ERP numbered it
others              acknowledged, nothing sent
==================  ===========================================================================

Acknowledgements (TA1, 997) we owe the partner arrive as ``SendPartnerFile``. Rendering and
numbering happen once per delivery (see :mod:`~crossdock.channels.edi.outbox`); a retry resends
the same bytes.
"""

from __future__ import annotations

from crossdock.channels.edi.documents import document_for, produces_document
from crossdock.channels.edi.outbox import EdiOutbox
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.transport import PartnerTransport
from crossdock.core.errors import PermanentError
from crossdock.orchestration.messages import (
    DeliveryCommand,
    Message,
    NotifyStatus,
    SendPartnerFile,
    StatusNotified,
)
from crossdock.orchestration.partner_documents import PartnerFile
from crossdock.orchestration.store import Store


class EdiPartnerGateway:
    """Sends one partner its documents."""

    operations = frozenset({"notify_status", "send_partner_file"})

    def __init__(
        self,
        profile: PartnerProfile,
        store: Store,
        outbox: EdiOutbox,
        transport: PartnerTransport,
    ) -> None:
        self.profile = profile
        self.store = store
        self.outbox = outbox
        self.transport = transport

    @property
    def system(self) -> str:
        """The partner's name in the estate."""
        return self.profile.name

    def supports(self, operation: str) -> bool:
        """Status notifications and archived files."""
        return operation in self.operations

    async def deliver(self, command: DeliveryCommand) -> Message | None:
        """Write and send the document a command stands for."""
        match command:
            case SendPartnerFile(file_id=file_id):
                file = await self.store.run(self.outbox.file, file_id)
                note = await self.transport.send(self.profile, file)
                await self.store.run(self.outbox.mark_sent, file, note, self.profile)
                return None
            case NotifyStatus(status=status):
                document = await self.store.run(self._prepare, command)
                if document is not None:
                    note = await self.transport.send(self.profile, document)
                    await self.store.run(self.outbox.mark_sent, document, note, self.profile)
                return StatusNotified(system=self.system, status=status)
            case _:
                raise PermanentError(f"{self.system} does not support {command.operation}")

    def _prepare(self, command: NotifyStatus) -> PartnerFile | None:
        # A retry of a delivery whose document was written sends that document, byte for byte.
        tracked = self.outbox.tracked(command.idempotency_key)
        if tracked is not None:
            return tracked
        if not produces_document(self.profile, command):
            return None
        with self.store.unit_of_work(write=False) as uow:
            record = uow.partner_documents.purchase_order(command.order_id)
        if record is None:
            raise PermanentError(
                f"order {command.order_id} came from no purchase order of {self.system}",
                code="mapping",
            )
        document = document_for(
            self.profile,
            command,
            record,
            now=self.outbox.clock.now(),
            sent=lambda set_id: self.outbox.already_sent(record.order_id, set_id),
        )
        return None if document is None else self.outbox.prepare(document)

    async def aclose(self) -> None:
        """Close the transport."""
        await self.transport.aclose()
