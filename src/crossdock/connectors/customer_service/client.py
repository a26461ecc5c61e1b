"""The customer service system's HTTP API and its request and response shapes.

It honours ``Idempotency-Key`` on ``POST /api/status-updates``: a replay answers 200 with the
update the first request recorded.
"""

from __future__ import annotations

from typing import Any

import httpx

from crossdock.connectors.customer_service.settings import CustomerServiceSettings
from crossdock.integration.outbound import OutboundClient, WireModel


class NewStatusUpdate(WireModel):
    """``POST /api/status-updates``."""

    order_id: str
    channel_order_number: str
    customer_po: str
    status: str
    detail: dict[str, Any]


class StatusUpdate(WireModel):
    id: str


class CustomerServiceClient:
    """One method per call of the customer service API."""

    def __init__(self, settings: CustomerServiceSettings, *, http: httpx.AsyncClient | None = None):
        self._http = OutboundClient(settings, system=settings.name, http=http)

    async def post_status_update(
        self, update: NewStatusUpdate, *, idempotency_key: str
    ) -> StatusUpdate:
        return await self._http.post(
            "/api/status-updates",
            update,
            into=StatusUpdate,
            idempotency_key=idempotency_key,
            creates=True,
        )

    async def aclose(self) -> None:
        await self._http.aclose()
