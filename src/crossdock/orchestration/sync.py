"""Feeding crossdock's read models from systems of record (D7).

Master data flows from its system of record only; inventory from the system of execution. When a
position's availability goes up, every backordered order waiting at that location is told, so it
can try its reservation again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from crossdock.core.inventory import InventoryPosition
from crossdock.core.order import OrderStatus
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.gateways import InventorySource, MasterDataSource
from crossdock.orchestration.messages import StockAvailable
from crossdock.orchestration.store import Store
from crossdock.orchestration.wakeups import Wakeups


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a sync changed."""

    customers: int = 0
    products: int = 0
    prices: int = 0
    positions: int = 0
    raised: int = 0
    woken_orders: int = 0


class MasterDataSync:
    """Copies customers, products and prices from their system of record."""

    def __init__(self, store: Store, source: MasterDataSource) -> None:
        self.store = store
        self.source = source

    async def run_once(self) -> SyncReport:
        """One full refresh."""
        customers, products, prices = await asyncio.gather(
            self.source.customers(), self.source.products(), self.source.prices()
        )

        def write() -> None:
            with self.store.unit_of_work() as uow:
                uow.masterdata.upsert_customers(customers)
                uow.masterdata.upsert_products(products)
                uow.masterdata.upsert_prices(prices)

        await self.store.run(write)
        return SyncReport(customers=len(customers), products=len(products), prices=len(prices))


SYNC_CHUNK = 16
"""Positions per transaction when stock is synced."""


class InventorySync:
    """Copies stock positions from the system of execution and wakes backordered orders."""

    def __init__(
        self, store: Store, source: InventorySource | None, clock: Clock, wakeups: Wakeups
    ) -> None:
        """``source`` may be None where positions only arrive by :meth:`apply` (846s)."""
        self.store = store
        self.source = source
        self.clock = clock
        self.wakeups = wakeups

    async def run_once(self) -> SyncReport:
        """One full refresh."""
        if self.source is None:
            return SyncReport()
        positions = await self.source.positions()
        report = await self.store.run(self.apply, list(positions))
        if report.woken_orders:
            self.wakeups.notify("inbox")
        return report

    def apply(self, positions: list[InventoryPosition]) -> SyncReport:
        """Store positions; tell backordered orders about stock that became available.

        Positions are written in small transactions: each holds its rows' locks only briefly, so
        workers reserving stock at the same time wait milliseconds, not the whole sync.
        """
        now = self.clock.now()
        raised: list[str] = []
        woken = 0
        for start in range(0, len(positions), SYNC_CHUNK):
            # A chunk's positions and the wake-ups they cause commit together: a crash between
            # the two cannot leave a backordered order unaware of stock that arrived.
            with self.store.unit_of_work() as uow:
                chunk_raised = uow.inventory.upsert_positions(
                    positions[start : start + SYNC_CHUNK], now
                )
                raised.extend(chunk_raised)
                waiting = uow.orders.with_status(OrderStatus.BACKORDERED) if chunk_raised else []
                for key in chunk_raised:
                    sku, _, location = key.partition("@")
                    message = StockAvailable(sku=sku, location=location)
                    for order_id in waiting:
                        uow.inbox.append(
                            order_id=order_id,
                            kind=message.kind,
                            body=message.model_dump(mode="json"),
                            source="inventory",
                            dedupe_key=None,
                            causation_id=f"stock:{key}",
                            now=now,
                        )
                        woken += 1
        return SyncReport(positions=len(positions), raised=len(raised), woken_orders=woken)
