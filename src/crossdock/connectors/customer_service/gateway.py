"""Customer service as a :class:`SystemGateway`.

Idempotency: every POST carries the delivery command's ``Idempotency-Key`` (one per order, status
and shipment), so a repeated notification is recorded once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import ValidationError

from crossdock.connectors.customer_service import mapping
from crossdock.connectors.customer_service.client import CustomerServiceClient
from crossdock.connectors.customer_service.settings import CustomerServiceSettings
from crossdock.core.errors import PermanentError
from crossdock.orchestration.messages import DeliveryCommand, Message, NotifyStatus, StatusNotified

OPERATIONS = frozenset({"notify_status"})


class CustomerServiceGateway:
    """Tells customer service where each order stands."""

    def __init__(
        self, settings: CustomerServiceSettings, *, http: httpx.AsyncClient | None = None
    ) -> None:
        self._settings = settings
        self._client = CustomerServiceClient(settings, http=http)

    @property
    def system(self) -> str:
        """The system's name in the estate file."""
        return self._settings.name

    def supports(self, operation: str) -> bool:
        """Status notifications."""
        return operation in OPERATIONS

    async def deliver(self, command: DeliveryCommand) -> Message | None:
        """Carry out ``command`` with its idempotency key."""
        try:
            return await self._deliver(command)
        except ValidationError as exc:
            raise PermanentError(
                f"{self.system} {command.operation}: cannot map the document: {exc}"
            ) from exc

    async def _deliver(self, command: DeliveryCommand) -> Message | None:
        match command:
            case NotifyStatus(status=status):
                await self._client.post_status_update(
                    mapping.new_status_update(command), idempotency_key=command.idempotency_key
                )
                return StatusNotified(system=self.system, status=status)
            case _:
                raise PermanentError(f"{self.system} does not support {command.operation}")

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was injected."""
        await self._client.aclose()


def build(
    name: str, settings: Mapping[str, Any], http: httpx.AsyncClient | None = None
) -> CustomerServiceGateway:
    """Build the gateway from the system's settings block in the estate file."""
    return CustomerServiceGateway(CustomerServiceSettings.from_estate(name, settings), http=http)
