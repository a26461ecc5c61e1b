"""The WMS as a :class:`SystemGateway` and an :class:`InventorySource`.

Idempotency: every POST carries the delivery command's ``Idempotency-Key``; a replayed fulfilment
request answers the fulfilment the first one created. A cancel the WMS refuses because the goods
have shipped (409) is a :class:`PermanentError` carrying the WMS's reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from crossdock.connectors.wms import mapping
from crossdock.connectors.wms.client import WmsClient
from crossdock.connectors.wms.settings import WmsSettings
from crossdock.core.errors import PermanentError
from crossdock.core.inventory import InventoryPosition
from crossdock.integration.outbound.gateway import HttpGateway
from crossdock.orchestration.messages import (
    CancelFulfilment,
    DeliveryCommand,
    FulfilmentAccepted,
    FulfilmentCancelled,
    Message,
    RequestFulfilment,
)


class WmsGateway(HttpGateway[WmsClient]):
    """Asks the warehouse to ship (and not to); reads its stock on hand."""

    operations = frozenset({"request_fulfilment", "cancel_fulfilment"})

    def __init__(self, settings: WmsSettings, *, http: httpx.AsyncClient | None = None) -> None:
        super().__init__(settings.name, WmsClient(settings, http=http))

    async def _deliver(self, command: DeliveryCommand) -> Message | None:
        key = command.idempotency_key
        match command:
            case RequestFulfilment(request=request):
                accepted = await self._client.request_fulfilment(
                    mapping.new_fulfilment(request), idempotency_key=key
                )
                return FulfilmentAccepted(system=self.system, fulfilment_id=accepted.fulfilment_id)
            case CancelFulfilment(fulfilment_id=fulfilment_id):
                await self._client.cancel_fulfilment(fulfilment_id, idempotency_key=key)
                return FulfilmentCancelled(system=self.system, fulfilment_id=fulfilment_id)
            case _:
                raise PermanentError(f"{self.system} does not support {command.operation}")

    async def positions(self) -> Sequence[InventoryPosition]:
        """Stock on hand and safety stock per SKU and location."""
        inventory = await self._client.inventory()
        return [mapping.position(record) for record in inventory.items]


def build(
    name: str, settings: Mapping[str, Any], http: httpx.AsyncClient | None = None
) -> WmsGateway:
    """Build the gateway from the system's settings block in the estate file."""
    return WmsGateway(WmsSettings.from_estate(name, settings), http=http)
