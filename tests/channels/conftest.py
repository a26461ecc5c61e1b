"""Fixtures: a real hub (SQLite on a temp file) that knows the fixture's buyer and items."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from credentials import admin_key, bearer
from crossdock.channels.storefront import storefront_router
from crossdock.core.catalog import Price, Product
from crossdock.core.party import Customer
from crossdock.integration.access.store import AccessStore
from crossdock.integration.api import create_app
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.wakeups import InProcessWakeups

SECRET = "hush"
"""The secret the fixture's signature was made with."""

BOB = Customer(
    customer_id="C-BOB",
    name="Bob Norman",
    email="bob.norman@hostmail.com",
    legal_entity="B",
    region="central",
)


@dataclass
class Hub:
    """The hub under test."""

    store: SqlStore
    desk: OrderDesk

    def order_count(self) -> int:
        """How many orders the store holds."""
        with self.store.unit_of_work(write=False) as uow:
            return sum(uow.orders.count_by_status().values())


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    store = SqlStore(f"sqlite:///{tmp_path}/t.db")
    store.create_schema()
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_customers([BOB])
        uow.masterdata.upsert_products(
            [
                Product(sku="IPOD2008GREEN", description="IPod Nano - 8gb - green"),
                Product(sku="IPOD2008RED", description="IPod Nano - 8gb - red"),
            ]
        )
        uow.masterdata.upsert_prices(
            [
                Price(sku="IPOD2008GREEN", currency="USD", unit_price=Decimal("199.00")),
                Price(sku="IPOD2008RED", currency="USD", unit_price=Decimal("199.00")),
            ]
        )
    yield Hub(store=store, desk=OrderDesk(store, FakeClock(), InProcessWakeups()))
    store.close()


@pytest.fixture
async def http(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    access = AccessStore(hub.store.engine, FakeClock())
    app = create_app(
        desk=hub.desk,
        access=access,
        routers=[storefront_router(hub.desk, ["rotated", SECRET])],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://crossdock.test", headers=bearer(admin_key(access))
    ) as client:
        yield client
