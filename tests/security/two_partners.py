"""A whole hub, as ``build_hub`` wires it, with two trading partners who must never meet.

``north`` buys for customer ``C-1``, ``south`` for ``C-2``. Each submitted one order through the
API with its own key and subscribed a webhook; the workflow engine ran once, so each order has a
timeline and events in the feed. Each partner's key carries every scope but ``admin``; the
operator holds an ``admin`` key. Nothing is faked: the same app ``crossdock api`` serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from api.estate import new_order
from credentials import admin_key, bearer, partner_key
from crossdock.bootstrap import Hub, build_hub
from crossdock.core.catalog import Price, Product
from crossdock.core.party import Customer
from crossdock.estate import sandbox_estate
from crossdock.integration.access.principal import Scope
from crossdock.orchestration.clock import FakeClock
from crossdock.settings import ApiSettings, Settings, StoreSettings

PARTNER_SCOPES = tuple(scope for scope in Scope if scope is not Scope.ADMIN)
"""Every scope a trading partner may hold: all but ``admin``."""
THROTTLED_LIMIT = "3/minute"
"""The own rate limit of the ``throttled`` partner (the rate-limit smoke test spends it)."""
SUBSCRIBED_EVENT = "crossdock.order.held.v1"
"""The event type both partners subscribe to."""
MAX_BODY_BYTES = 64 * 1024
"""The hub's request body limit here (smaller than the default, so the test stays cheap)."""


def _customer(customer_id: str, name: str) -> Customer:
    return Customer(
        customer_id=customer_id,
        name=name,
        email=f"buyer@{customer_id.lower()}.test",
        legal_entity="A",
        region="east",
    )


CUSTOMERS = (_customer("C-1", "North Hardware"), _customer("C-2", "South Supplies"))
PRODUCTS = (Product(sku="BOLT", description="Hex bolt"), Product(sku="NUT", description="Nut"))
PRICES = (
    Price(sku="BOLT", currency="USD", unit_price=Decimal("2.50")),
    Price(sku="NUT", currency="USD", unit_price=Decimal("12.00")),
    Price(sku="BOLT", currency="USD", unit_price=Decimal("2.25"), customer_id="C-1"),
    Price(sku="BOLT", currency="USD", unit_price=Decimal("2.40"), customer_id="C-2"),
)


@dataclass(frozen=True)
class Tenant:
    """One trading partner and what it made."""

    partner_id: str
    customer_id: str
    key: str
    """An API key carrying every non-admin scope."""
    order_id: str
    channel_order_number: str
    subscription_id: str
    callback_url: str


@dataclass
class TwoPartners:
    """The hub, its operator key and the two partners."""

    hub: Hub
    clock: FakeClock
    admin: str
    """An operator's ``admin`` key."""
    tenants: dict[str, Tenant]

    @property
    def north(self) -> Tenant:
        """The partner buying for ``C-1``."""
        return self.tenants["north"]

    @property
    def south(self) -> Tenant:
        """The partner buying for ``C-2``."""
        return self.tenants["south"]

    def client(
        self, key: str | None = None, *, headers: dict[str, str] | None = None
    ) -> httpx.AsyncClient:
        """A client of the hub's app in process, presenting ``key`` (or ``headers``) when given."""
        transport = httpx.ASGITransport(app=self.hub.app)
        sent = {**(bearer(key) if key else {}), **(headers or {})}
        return httpx.AsyncClient(transport=transport, base_url="http://hub.test", headers=sent)

    def run_workflow(self) -> None:
        """Let the workflow engine take every waiting message, as a worker would."""
        while self.hub.steps.run_batch().messages:
            pass


async def build_two_partners(directory: Path, *, rate_limit: str = "600/minute") -> TwoPartners:
    """A fresh hub on a SQLite file in ``directory`` (see the module docstring); ``rate_limit``
    is the hub's default limit per key."""
    clock = FakeClock()
    settings = Settings(
        store=StoreSettings(url=f"sqlite:///{directory / 'hub.db'}"),
        api=ApiSettings(max_body_bytes=MAX_BODY_BYTES, rate_limit_default=rate_limit),
    )
    hub = build_hub(settings, sandbox_estate(), clock=clock, migrate=True)
    with hub.store.unit_of_work() as uow:
        uow.masterdata.upsert_customers(CUSTOMERS)
        uow.masterdata.upsert_products(PRODUCTS)
        uow.masterdata.upsert_prices(PRICES)
    hub.access.add_partner("throttled", customer_ids=["C-1"], rate_limit=THROTTLED_LIMIT)
    world = TwoPartners(hub=hub, clock=clock, admin=admin_key(hub.access), tenants={})
    for name, customer_id, host in (
        ("north", "C-1", "93.184.216.34"),
        ("south", "C-2", "151.101.1.69"),
    ):
        world.tenants[name] = await _enrol(world, name, customer_id, host)
    world.run_workflow()
    await hub.fan_out.run_once()  # the feed serves events the fan-out has passed
    return world


async def _enrol(world: TwoPartners, name: str, customer_id: str, host: str) -> Tenant:
    """Register a partner, and let it submit an order and subscribe, through the API."""
    key = partner_key(world.hub.access, name, [customer_id], PARTNER_SCOPES)
    number = f"{name.upper()}-1"
    url = f"https://{host}/{name}/hooks"
    async with world.client(key) as api:
        order = await api.post(
            "/api/v1/orders", json=new_order(channel_order_number=number, customer_id=customer_id)
        )
        assert order.status_code == 201, order.text
        subscription = await api.post(
            "/api/v1/subscriptions", json={"url": url, "event_types": [SUBSCRIBED_EVENT]}
        )
        assert subscription.status_code == 201, subscription.text
    return Tenant(
        partner_id=name,
        customer_id=customer_id,
        key=key,
        order_id=order.json()["order_id"],
        channel_order_number=number,
        subscription_id=subscription.json()["id"],
        callback_url=url,
    )


def mentions(document: Any, *needles: str) -> list[str]:
    """Which of ``needles`` occur anywhere in a JSON document (keys and values alike)."""
    text = repr(document)
    return [needle for needle in needles if needle in text]
