"""The engine as production wires it — real workflow, store, delivery runner and desks — behind
the API, with fake gateways at the edge.

Exceptions come from real failures: a gateway told to refuse a command, and the delivery runner
recording the refusal. Time moves only when a test advances the clock.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from credentials import admin_key
from crossdock.core.errors import PermanentError
from crossdock.integration.access.store import AccessStore
from crossdock.integration.api import create_app
from crossdock.orchestration.delivery_policy import DeliveryPolicy
from crossdock.orchestration.exception_desk import ExceptionDesk
from crossdock.orchestration.store_ops import ExceptionQuery
from crossdock.orchestration.system_desk import SystemsDesk
from engine.hub import SYSTEMS, Hub

BOOK = "create_sales_order"
LEGACY = "legacy_erp"
"""Where customer C-A's orders are booked (legal entity A)."""
CLOUD = "cloud_erp"
"""Where customer C-B's orders are booked (legal entity B)."""
POSTAL_REFUSAL = "422 postal code 93650 is outside the delivery area"


class OperatorHub(Hub):
    """The engine hub with the exception and systems desks, and the API over all three."""

    def __init__(self, database_url: str) -> None:
        super().__init__(database_url)
        self.exceptions = ExceptionDesk(self.store, self.clock, self.wakeups)
        self.access = AccessStore(self.store.engine, self.clock)
        self.systems = SystemsDesk(
            self.store, self.clock, self.wakeups, {name: DeliveryPolicy() for name in SYSTEMS}
        )

    def app(self) -> FastAPI:
        """The API: orders, exceptions, replays, systems."""
        return create_app(
            desk=self.desk, access=self.access, exceptions=self.exceptions, systems=self.systems
        )

    def admin_key(self) -> str:
        """A fresh admin key for this hub's API."""
        return admin_key(self.access)

    async def refused_booking(
        self,
        order_id: str,
        *,
        customer: str = "C-A",
        error: str = POSTAL_REFUSAL,
        code: str = "http_422",
    ) -> str:
        """Submit an order whose ERP refuses its booking once; run the engine until it settles.
        Returns the exception's id."""
        system = LEGACY if customer == "C-A" else CLOUD
        self.gateways[system].fail(BOOK, PermanentError(error, code=code))
        self.submit(order_id, customer=customer)
        await self.drain()
        [record] = self.exceptions.search(ExceptionQuery(order_id=order_id))
        return record.exception_id

    def booking(self, order_id: str) -> dict[str, Any]:
        """The order's booking delivery: status and command."""
        [delivery] = self.deliveries(order_id, BOOK)
        return {"status": delivery.status, "command": delivery.command}
