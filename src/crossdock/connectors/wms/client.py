"""The WMS's HTTP API and its request and response shapes.

The WMS honours ``Idempotency-Key`` on ``POST /api/fulfilments``: a replay answers 200 with the
fulfilment the first request created.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import httpx

from crossdock.connectors.wms.settings import WmsSettings
from crossdock.integration.outbound import OutboundClient, WireModel


class StockRecord(WireModel):
    sku: str
    location: str
    on_hand: Decimal
    safety_stock: Decimal = Decimal(0)


class Inventory(WireModel):
    items: tuple[StockRecord, ...]


class FulfilmentLine(WireModel):
    line_no: int
    sku: str
    quantity: Decimal


class NewFulfilment(WireModel):
    """``POST /api/fulfilments``."""

    order_id: str
    location: str
    ship_to_name: str
    lines: tuple[FulfilmentLine, ...]


class Fulfilment(WireModel):
    fulfilment_id: str
    order_id: str = ""
    status: str = ""


class Acknowledgement(WireModel):
    """Any answer whose content we do not need."""


class WmsClient:
    """One method per call of the WMS's API."""

    def __init__(self, settings: WmsSettings, *, http: httpx.AsyncClient | None = None):
        self._http = OutboundClient(settings, system=settings.name, http=http)

    async def inventory(self) -> Inventory:
        return await self._http.get("/api/inventory", into=Inventory)

    async def request_fulfilment(
        self, fulfilment: NewFulfilment, *, idempotency_key: str
    ) -> Fulfilment:
        return await self._http.post(
            "/api/fulfilments",
            fulfilment,
            into=Fulfilment,
            idempotency_key=idempotency_key,
            creates=True,
        )

    async def cancel_fulfilment(self, fulfilment_id: str, *, idempotency_key: str) -> None:
        """Answers 409 (a :class:`PermanentError`) when the fulfilment has already shipped."""
        await self._http.post(
            f"/api/fulfilments/{quote(fulfilment_id, safe='')}/cancel",
            into=Acknowledgement,
            idempotency_key=idempotency_key,
        )

    async def aclose(self) -> None:
        await self._http.aclose()
