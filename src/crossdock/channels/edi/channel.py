"""The EDI channel, assembled: partners, inbox, outbox, gateways, routes and background loops.

``build_edi_channel`` is called by the composition root (``bootstrap``) with the store, the order
desk and the estate's partners; nothing here reads settings or the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx
from fastapi import APIRouter

from crossdock.channels.edi.ack_watch import AcknowledgementWatch
from crossdock.channels.edi.as2.agreement import As2Agreement, load_agreement
from crossdock.channels.edi.as2.client import As2Client
from crossdock.channels.edi.as2.errors import MdnRefused
from crossdock.channels.edi.as2.mdn import Mdn
from crossdock.channels.edi.as2.message import As2Message
from crossdock.channels.edi.as2.mic import Mic
from crossdock.channels.edi.as2.receiver import ReceiveOutcome
from crossdock.channels.edi.as2.routes import as2_router
from crossdock.channels.edi.availability import AvailabilityFeed
from crossdock.channels.edi.drop_watcher import DropWatcher
from crossdock.channels.edi.gateway import EdiPartnerGateway
from crossdock.channels.edi.inbox import EdiInbox
from crossdock.channels.edi.outbox import EdiOutbox
from crossdock.channels.edi.partner import PartnerDirectory
from crossdock.channels.edi.routes import edi_router
from crossdock.channels.edi.transport import (
    As2Transport,
    DropDirectoryTransport,
    PartnerTransport,
)
from crossdock.core.errors import PermanentError
from crossdock.core.inventory import InventoryPosition
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.partner_documents import PartnerFile
from crossdock.orchestration.store import Store, TimelineEntry
from crossdock.orchestration.wakeups import Wakeups

log = logging.getLogger("crossdock.edi")

StockSink = Callable[[list[InventoryPosition]], object]
"""Applies stock positions an 846 reported (the inventory sync's ``apply``)."""


@dataclass
class EdiChannel:
    """Everything EDI one hub process runs."""

    partners: PartnerDirectory
    inbox: EdiInbox
    outbox: EdiOutbox
    gateways: dict[str, EdiPartnerGateway]
    routers: list[APIRouter]
    watcher: DropWatcher
    acks: AcknowledgementWatch
    availability: AvailabilityFeed
    drop_scan_s: float
    ack_sweep_s: float
    availability_s: float
    mdn_http: httpx.AsyncClient
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self, wakeups: Wakeups) -> None:
        """Start scanning drop directories and watching for overdue 997s."""
        if not len(self.partners):
            return
        if any(profile.drop is not None for profile in self.partners):
            self._tasks.append(asyncio.create_task(self._scan(wakeups), name="edi-drop"))
        self._tasks.append(asyncio.create_task(self._sweep(wakeups), name="edi-997-watch"))
        if self.availability.subscribers():
            self._tasks.append(asyncio.create_task(self._advertise(wakeups), name="edi-846"))

    async def stop(self) -> None:
        """Stop the loops."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.mdn_http.aclose()

    async def _scan(self, wakeups: Wakeups) -> None:
        while True:
            try:
                await self.watcher.scan_once()
            except Exception:  # a bad directory must not stop the other partners' scans
                log.exception("drop directory scan failed")
            await wakeups.wait("edi-drop", self.drop_scan_s)

    async def _advertise(self, wakeups: Wakeups) -> None:
        while True:
            try:
                queued = await self.inbox.store.run(self.availability.send_all)
                for profile in self.availability.subscribers():
                    wakeups.notify(f"delivery:{profile.name}")
                log.info("%d availability reports queued", len(queued))
            except Exception:
                log.exception("846 availability feed failed")
            await wakeups.wait("edi-846", self.availability_s)

    async def _sweep(self, wakeups: Wakeups) -> None:
        while True:
            try:
                overdue = await self.inbox.store.run(self.acks.sweep)
                if overdue:
                    log.warning("%d documents without their 997 in time", len(overdue))
            except Exception:
                log.exception("997 watch failed")
            await wakeups.wait("edi-997", self.ack_sweep_s)


def build_edi_channel(
    store: Store,
    desk: OrderDesk,
    clock: Clock,
    partners: PartnerDirectory,
    *,
    api_prefix: str,
    drop_scan_s: float = 2.0,
    ack_sweep_s: float = 60.0,
    availability_s: float = 3600.0,
    stock: StockSink | None = None,
    http: Mapping[str, httpx.AsyncClient] | None = None,
) -> EdiChannel:
    """The EDI channel for these partners. ``http`` maps partner names to the clients their AS2
    goes through (tests pass in-process transports); others get a client of their own."""
    outbox = EdiOutbox(store, clock)
    inbox = EdiInbox(store, desk, partners, outbox, clock, stock=stock)
    clients = http or {}
    # Asynchronous MDNs go out through a client of their own (to any partner's URL).
    mdn_http = httpx.AsyncClient(timeout=httpx.Timeout(30.0))
    mdn_client = As2Client(mdn_http, clock=clock)
    gateways: dict[str, EdiPartnerGateway] = {}
    for profile in partners:
        transport: PartnerTransport
        if profile.as2 is not None:
            as2_http = clients.get(profile.name) or httpx.AsyncClient(timeout=httpx.Timeout(30.0))
            transport = As2Transport(
                As2Client(as2_http, clock=clock), as2_http, load_agreement(profile.as2)
            )
        else:
            transport = DropDirectoryTransport()
        gateways[profile.name] = EdiPartnerGateway(profile, store, outbox, transport)

    # Key material is read once, at start: a missing file fails there, naming itself.
    agreements = {p.name: load_agreement(p.as2) for p in partners if p.as2 is not None}

    def agreement(as2_from: str, as2_to: str) -> As2Agreement | None:
        for profile in partners:
            spec = profile.as2
            if spec is not None and (spec.partner_as2_id, spec.our_as2_id) == (as2_from, as2_to):
                return agreements[profile.name]
        return None

    async def receive(message: As2Message) -> ReceiveOutcome:
        profile = next(
            p for p in partners if p.as2 is not None and p.as2.partner_as2_id == message.as2_from
        )
        receipt = await inbox.receive(
            message.content, transport="as2", name=message.message_id, partner=profile.name
        )
        return ReceiveOutcome.processed(f"file {receipt.file_id}: {receipt.summary}")

    async def mdn_received(mdn: Mdn) -> None:
        await store.run(settle_async_mdn, store, clock, mdn)

    routers = [edi_router(store, partners, inbox, api_prefix)]
    if any(profile.as2 is not None for profile in partners):
        routers.append(
            as2_router(receive, partners=agreement, client=mdn_client, mdn_received=mdn_received)
        )
    return EdiChannel(
        partners=partners,
        inbox=inbox,
        outbox=outbox,
        gateways=gateways,
        routers=routers,
        watcher=DropWatcher(partners, inbox.receive),
        acks=AcknowledgementWatch(store, clock),
        availability=AvailabilityFeed(store, outbox, partners, clock, availability_s),
        drop_scan_s=drop_scan_s,
        ack_sweep_s=ack_sweep_s,
        availability_s=availability_s,
        mdn_http=mdn_http,
    )


def settle_async_mdn(store: Store, clock: Clock, mdn: Mdn) -> None:
    """An asynchronous MDN for one of our files: checked against the file, noted on its orders."""
    file_id = mdn.original_message_id.strip("<>").partition("@")[0]
    with store.unit_of_work() as uow:
        file = uow.partner_documents.file(file_id)
        if file is None:
            raise PermanentError(f"MDN for {mdn.original_message_id}: no such message of ours")
        try:
            mdn.check(mdn.original_message_id, sent_mic(file))
            verdict = f"MDN: {mdn.disposition}"
        except (MdnRefused, PermanentError) as exc:
            verdict = f"MDN refused our file: {exc}"
        entries: Sequence[TimelineEntry] = [
            TimelineEntry(
                order_id=order_id,
                at=clock.now(),
                kind="inbound",
                system=file.partner,
                summary=f"{file.name}: {verdict}",
                correlation_id=order_id,
                detail={"file_id": file.file_id},
            )
            for order_id in file.order_ids
        ]
        uow.timeline.append(entries)


def sent_mic(file: PartnerFile) -> Mic:
    """The MIC of a file as we sent it: recorded at sending, else (unsigned) its content's."""
    recorded = re.search(r"MIC (\S+, [\w-]+)", file.summary)
    return Mic.parse(recorded.group(1)) if recorded else Mic.of(file.content)
