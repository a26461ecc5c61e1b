"""The operator hub with the console mounted, and the orders the console tests look at: one
driven through the ERP, the warehouse and the storefront to shipped, one whose booking the ERP
refused (an open exception)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from api.operator_hub import BOOK, LEGACY, POSTAL_REFUSAL, OperatorHub
from crossdock.core.errors import PermanentError
from crossdock.integration.api import create_app
from crossdock.orchestration.store_ops import ExceptionQuery
from crossdock.visibility.console import console_router
from crossdock.visibility.kpis import Kpis

SHIPPED = "O-SHIP"
"""An order booked, released, shipped and invoiced: entries in several systems' lanes."""
REFUSED = "O-REF"
"""An order whose booking the legacy ERP refused once: one open exception."""


class ConsoleHub(OperatorHub):
    """The hub behind the API and the console. The legacy ERP refuses every booking of
    :data:`REFUSED` until :meth:`fix_the_erp`."""

    def app(self) -> FastAPI:
        """The API and the console, one app, as the composition root builds it."""
        console = console_router(
            desk=self.desk,
            access=self.access,
            exceptions=self.exceptions,
            systems=self.systems,
            kpis=Kpis(self.store, self.clock),
        )
        return create_app(
            desk=self.desk,
            access=self.access,
            exceptions=self.exceptions,
            systems=self.systems,
            routers=[console],
        )

    async def demo(self) -> str:
        """Drive the two demo orders; the refused booking's exception id."""
        self.submit(SHIPPED)
        await self.drain()
        self.clock.advance(timedelta(minutes=40))  # the warehouse picks, packs and ships
        await self.ship(SHIPPED)
        self.clock.advance(timedelta(minutes=10))
        self.gateways[LEGACY].break_down(BOOK, PermanentError(POSTAL_REFUSAL, code="http_422"))
        self.submit(REFUSED)
        await self.drain()
        self.clock.advance(timedelta(minutes=5))  # now is after all of it: the KPIs count it
        [record] = self.exceptions.search(ExceptionQuery(order_id=REFUSED))
        return record.exception_id

    def fix_the_erp(self) -> None:
        """The legacy ERP accepts bookings again."""
        self.gateways[LEGACY].recover(BOOK)


__all__ = ["BOOK", "LEGACY", "POSTAL_REFUSAL", "REFUSED", "SHIPPED", "ConsoleHub"]
