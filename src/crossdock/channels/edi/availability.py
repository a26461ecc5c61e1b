"""846 out: what each partner may order, sent as a snapshot of our availability on a schedule.

A partner with ``846`` among its documents gets, every ``edi.availability_s``, one 846 listing
available-to-promise (on hand − reserved − safety stock) per SKU of its assortment and location,
from the hub's own inventory read model — the figure reservations are made against, so the
partner is never promised what another channel already holds. Each snapshot is one document,
keyed by partner and period: however many workers run the feed, one snapshot goes out a period.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from crossdock.channels.edi.mapping.inventory_846 import build_846
from crossdock.channels.edi.outbox import EdiOutbox, Report
from crossdock.channels.edi.partner import PartnerDirectory, PartnerProfile
from crossdock.core.inventory import InventoryPosition
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.store import Store


class AvailabilityFeed:
    """Queues each partner's 846 snapshot."""

    def __init__(
        self,
        store: Store,
        outbox: EdiOutbox,
        partners: PartnerDirectory,
        clock: Clock,
        period_s: float = 3600.0,
    ) -> None:
        self.period_s = period_s
        self.store = store
        self.outbox = outbox
        self.partners = partners
        self.clock = clock

    def subscribers(self) -> list[PartnerProfile]:
        """Partners that take 846s and have an assortment to advertise."""
        return [p for p in self.partners if "846" in p.documents and _assortment(p)]

    def send_all(self) -> list[str]:
        """Queue a snapshot for every subscriber; returns the files queued."""
        now = self.clock.now()
        queued: list[str] = []
        for profile in self.subscribers():
            skus = _assortment(profile)
            with self.store.unit_of_work(write=False) as uow:
                positions = uow.inventory.positions(skus)
            if not positions:
                continue  # no stock known at all yet (the first sync has not run)
            # A snapshot lists the whole assortment: a SKU with no stock row is offered at 0, or
            # the partner would keep the quantity it was last told.
            known = {position.sku for position in positions}
            where = positions[0].location
            positions += [
                InventoryPosition(sku=sku, location=where, on_hand=Decimal(0))
                for sku in skus
                if sku not in known
            ]
            # One key per period, whichever worker gets there first: several workers running the
            # feed send one snapshot a period between them.
            start = int(now.timestamp() // self.period_s) * self.period_s
            report_id = datetime.fromtimestamp(start, UTC).strftime("%Y%m%d%H%M")
            body = build_846(positions, profile, report_id=report_id, reported_at=now)
            file_id = self.outbox.queue_report(
                profile,
                Report(
                    set_id="846",
                    body=body,
                    document_key=f"846:{profile.name}:{report_id}",
                    order_id=f"edi-{profile.name}-846",
                    description=f"846 availability of {len(positions)} positions ({report_id})",
                ),
            )
            if file_id is not None:
                queued.append(file_id)
        return queued


def _assortment(profile: PartnerProfile) -> list[str]:
    return sorted(set(profile.availability_skus) or set(profile.items.values()))
