"""A real hub behind the API: a SQLite store on a temp file, master data, the desk and the app.

Nothing of ours is faked. :meth:`Estate.run_steps` runs the real workflow engine once, the way a
worker would, so tests can read what the workflow recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI

from credentials import bearer
from crossdock.core.catalog import Price, Product
from crossdock.core.inventory import InventoryPosition
from crossdock.core.party import Customer
from crossdock.core.routing import RoutingRule, RoutingTable
from crossdock.integration.access.store import AccessStore
from crossdock.integration.api import create_app
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.order_to_cash import OrderToCash
from crossdock.orchestration.steps import StepProcessor
from crossdock.orchestration.wakeups import InProcessWakeups
from crossdock.orchestration.workflow import WorkflowPolicy

PROBLEM_JSON = "application/problem+json"

POLICY = WorkflowPolicy(
    routing=RoutingTable.of(
        [RoutingRule(name="entity-A", system="legacy_erp", legal_entity="A")],
        default_system="cloud_erp",
    ),
    fulfilment_system="wms",
    default_location="WH1",
    booking_deadline=timedelta(minutes=30),
)

CUSTOMERS = (
    Customer(
        customer_id="C-1",
        name="Acme Hardware",
        email="buyer@acme.test",
        legal_entity="A",
        region="east",
    ),
)
PRODUCTS = (Product(sku="BOLT", description="Hex bolt"), Product(sku="NUT", description="Nut"))
PRICES = (
    Price(sku="BOLT", currency="USD", unit_price=Decimal("2.50")),
    Price(sku="NUT", currency="USD", unit_price=Decimal("12.00")),
)


@dataclass
class Estate:
    """The hub under test."""

    store: SqlStore
    clock: FakeClock
    desk: OrderDesk
    access: AccessStore

    def seed(
        self,
        customers: Sequence[Customer] = CUSTOMERS,
        products: Sequence[Product] = PRODUCTS,
        prices: Sequence[Price] = PRICES,
    ) -> None:
        """Load master data, as the systems of record would."""
        with self.store.unit_of_work() as uow:
            uow.masterdata.upsert_customers(customers)
            uow.masterdata.upsert_products(products)
            uow.masterdata.upsert_prices(prices)

    def stock(self, sku: str, on_hand: str, location: str = "WH1") -> None:
        """Put stock on hand, as the warehouse would report it."""
        position = InventoryPosition(sku=sku, location=location, on_hand=Decimal(on_hand))
        with self.store.unit_of_work() as uow:
            uow.inventory.upsert_positions([position], self.clock.now())

    def order_count(self) -> int:
        """How many orders the store holds."""
        with self.store.unit_of_work(write=False) as uow:
            return sum(uow.orders.count_by_status().values())

    def run_steps(self) -> int:
        """Let the workflow engine process every waiting message; returns how many it took."""
        steps = StepProcessor(self.store, OrderToCash(POLICY), self.clock)
        total = 0
        while (report := steps.run_batch()).messages:
            total += report.messages
        return total

    def app(self, routers: Sequence[APIRouter] = ()) -> FastAPI:
        """The API app over this hub."""
        return create_app(desk=self.desk, access=self.access, routers=routers)


def build_estate(directory: Path, *, schema: bool = True) -> Estate:
    """A hub on a fresh SQLite file in ``directory``."""
    store = SqlStore(f"sqlite:///{directory}/t.db")
    if schema:
        store.create_schema()
    clock = FakeClock()
    return Estate(
        store=store,
        clock=clock,
        desk=OrderDesk(store, clock, InProcessWakeups()),
        access=AccessStore(store.engine, clock),
    )


def client(
    app: FastAPI, *, key: str | None = None, raise_app_exceptions: bool = True
) -> httpx.AsyncClient:
    """An HTTP client talking to ``app`` in process, presenting ``key`` when given."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    headers = bearer(key) if key else {}
    return httpx.AsyncClient(transport=transport, base_url="http://crossdock.test", headers=headers)


def new_order(**changes: Any) -> dict[str, Any]:
    """A valid order document: 10 bolts and 4 nuts for Acme Hardware."""
    document: dict[str, Any] = {
        "channel_order_number": "API-1001",
        "customer_po": "PO-77",
        "customer_id": "C-1",
        "ship_to": {
            "name": "Acme Hardware #12",
            "line1": "1 Dock Road",
            "city": "Newark",
            "region": "NJ",
            "postal_code": "07102",
            "country": "US",
        },
        "currency": "USD",
        "lines": [
            {"sku": "BOLT", "quantity": "10", "uom": "EA", "unit_price": "2.50"},
            {"sku": "NUT", "quantity": 4, "uom": "EA", "unit_price": 12},
        ],
    }
    document.update(changes)
    return document


def problem_fields(response: httpx.Response) -> list[str]:
    """The fields a problem response names, after checking it is problem+json."""
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.text
    body = response.json()
    assert body["status"] == response.status_code
    return [error["field"] for error in body["errors"]]
