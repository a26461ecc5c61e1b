"""Customer service as a :class:`SystemGateway`.

Idempotency: every POST carries the delivery command's ``Idempotency-Key`` (one per order, status
and shipment), so a repeated notification is recorded once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from crossdock.connectors.customer_service import mapping
from crossdock.connectors.customer_service.client import CustomerServiceClient
from crossdock.connectors.customer_service.settings import CustomerServiceSettings
from crossdock.core.errors import PermanentError
from crossdock.integration.outbound.gateway import HttpGateway
from crossdock.orchestration.messages import DeliveryCommand, Message, NotifyStatus, StatusNotified


class CustomerServiceGateway(HttpGateway[CustomerServiceClient]):
    """Tells customer service where each order stands."""

    operations = frozenset({"notify_status"})

    def __init__(
        self, settings: CustomerServiceSettings, *, http: httpx.AsyncClient | None = None
    ) -> None:
        super().__init__(settings.name, CustomerServiceClient(settings, http=http))

    async def _deliver(self, command: DeliveryCommand) -> Message | None:
        match command:
            case NotifyStatus(status=status):
                await self._client.post_status_update(
                    mapping.new_status_update(command), idempotency_key=command.idempotency_key
                )
                return StatusNotified(system=self.system, status=status)
            case _:
                raise PermanentError(f"{self.system} does not support {command.operation}")


def build(
    name: str, settings: Mapping[str, Any], http: httpx.AsyncClient | None = None
) -> CustomerServiceGateway:
    """Build the gateway from the system's settings block in the estate file."""
    return CustomerServiceGateway(CustomerServiceSettings.from_estate(name, settings), http=http)
