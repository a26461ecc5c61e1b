"""Back-filling the shipment and tracking bindings that order search finds orders by.

Since migration ``0006`` the step processor binds each shipment id (the ASN number) and tracking
number as an order's state first carries them
(:func:`~crossdock.orchestration.bindings.shipment_bindings`). Orders shipped before the upgrade
have no such bindings, so a search by their ASN or tracking number finds nothing.
:class:`SearchBackfill` (``crossdock search backfill``) walks every order once, in order-id
batches, and for each that may carry shipments records every binding its state calls for that
is missing — the same bindings, derived by the same function, as a step records for a new
shipment.

It is idempotent (a binding already there is left alone, so a second run adds nothing) and safe
beside running workers. One pass by order id, each order's status read with its batch, means an
order that moves on while the walk runs (held, then shipped) is still looked at once. Each batch
is one short transaction, and a binding a worker records at the same moment is the same row,
inserted once. A back-filled binding is dated by the order's last update, the best time the store
still has for the shipment (the SLA monitor's end-of-day rule reads it as when the shipment was
confirmed, exactly as it read unbound shipments before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crossdock.core.order import OrderStatus
from crossdock.orchestration.bindings import shipment_bindings
from crossdock.orchestration.store import OrderQuery, OrderRow, Store, UnitOfWork
from crossdock.orchestration.store_ops import Binding

S = OrderStatus
MAY_CARRY_SHIPMENTS: tuple[OrderStatus, ...] = (
    S.PARTIALLY_SHIPPED,
    S.SHIPPED,
    S.INVOICED,
    S.CLOSED,
    S.ON_HOLD,
    S.CANCELLED,
)
"""Statuses an order may hold a shipment in (an order reaches none of the others shipped)."""
BATCH = 200
"""Orders per transaction."""


@dataclass(slots=True, kw_only=True)
class BackfillReport:
    """What a back-fill looked at and recorded."""

    dry_run: bool
    """Nothing was written: ``added`` is what a real run would add."""
    total: int = 0
    """Orders in the store when the walk began."""
    orders: int = 0
    """Orders looked at so far (every order: those in no shipping status are passed over)."""
    shipped: int = 0
    """Of those, orders whose state carries at least one shipment."""
    added: int = 0
    """Bindings recorded (on a dry run: found missing)."""
    orders_changed: int = 0
    """Orders that got at least one binding (on a dry run: would)."""


class SearchBackfill:
    """Records the missing shipment and tracking bindings of orders shipped before ``0006``."""

    def __init__(self, store: Store, *, batch: int = BATCH) -> None:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, not {batch}")
        self.store = store
        self.batch = batch

    def run(
        self,
        *,
        dry_run: bool = False,
        progress: Callable[[BackfillReport], None] | None = None,
    ) -> BackfillReport:
        """Walk every order that may carry shipments; ``progress`` is called after each batch."""
        report = BackfillReport(dry_run=dry_run)
        with self.store.unit_of_work(write=False) as uow:
            counts = uow.orders.count_by_status()
        report.total = sum(counts.values())
        after: str | None = None
        while True:
            with self.store.unit_of_work(write=not dry_run) as uow:
                rows = uow.orders.search(OrderQuery(limit=self.batch, after=after))
                for row in rows:
                    self._order(uow, row, report)
            if progress is not None and rows:
                progress(report)
            if len(rows) < self.batch:
                break
            after = rows[-1].order_id
        return report

    def _order(self, uow: UnitOfWork, row: OrderRow, report: BackfillReport) -> None:
        report.orders += 1
        if row.status not in MAY_CARRY_SHIPMENTS or row.state is None or not row.state.shipments:
            return
        report.shipped += 1
        added = 0
        for system, kind, external_id in shipment_bindings(row.state):
            if report.dry_run:
                added += uow.bindings.get(row.order_id, system, kind) is None
                continue
            added += uow.bindings.bind(
                Binding(
                    order_id=row.order_id,
                    system=system,
                    kind=kind,
                    external_id=external_id,
                    bound_at=row.updated_at,
                )
            )
        report.added += added
        report.orders_changed += added > 0
