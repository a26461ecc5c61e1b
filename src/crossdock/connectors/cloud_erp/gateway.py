"""The cloud ERP as a :class:`SystemGateway`.

Idempotency: every POST carries the delivery command's ``Idempotency-Key``; the ERP answers a
replay with the first answer, so a retry after a lost answer books nothing twice.

Numbers: a booked sales order's ``sales_order_number`` is the ERP's ``documentNumber`` (the number
people search for and invoices quote). Cancelling needs the ERP's internal ``id``, so the cancel
finds it with ``GET /v1/salesOrders?externalReference=<order id>``; an order already cancelled is
not cancelled again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from crossdock.connectors.cloud_erp import mapping
from crossdock.connectors.cloud_erp.client import CloudErpClient
from crossdock.connectors.cloud_erp.settings import CloudErpSettings
from crossdock.core.errors import PermanentError
from crossdock.integration.outbound.gateway import HttpGateway
from crossdock.orchestration.messages import (
    CancelSalesOrder,
    CreateSalesOrder,
    DeliveryCommand,
    InvoicePosted,
    Message,
    PostInvoice,
    SalesOrderBooked,
    SalesOrderCancelled,
)

CANCELLED = "cancelled"


class CloudErpGateway(HttpGateway[CloudErpClient]):
    """Books sales orders and posts invoices in the cloud ERP."""

    operations = frozenset({"create_sales_order", "cancel_sales_order", "post_invoice"})

    def __init__(
        self, settings: CloudErpSettings, *, http: httpx.AsyncClient | None = None
    ) -> None:
        super().__init__(settings.name, CloudErpClient(settings, http=http))

    async def _deliver(self, command: DeliveryCommand) -> Message | None:
        key = command.idempotency_key
        match command:
            case CreateSalesOrder(order=order):
                booked = await self._client.create_sales_order(
                    mapping.new_sales_order(order), idempotency_key=key
                )
                return SalesOrderBooked(sales_order=mapping.sales_order_ref(self.system, booked))
            case CancelSalesOrder(order_id=order_id, sales_order_number=number):
                await self._cancel(order_id, number, idempotency_key=key)
                return SalesOrderCancelled(system=self.system, sales_order_number=number)
            case PostInvoice(invoice=invoice, sales_order_number=number):
                posted = await self._client.post_invoice(
                    mapping.new_invoice(invoice, number), idempotency_key=key
                )
                return InvoicePosted(
                    system=self.system,
                    invoice_id=invoice.invoice_id,
                    invoice_number=posted.document_number,
                )
            case _:
                raise PermanentError(f"{self.system} does not support {command.operation}")

    async def _cancel(self, order_id: str, number: str, *, idempotency_key: str) -> None:
        candidates = await self._client.sales_orders(order_id)
        sales_order = next((so for so in candidates if so.document_number == number), None)
        if sales_order is None:
            raise PermanentError(
                f"{self.system} has no sales order {number} for order {order_id} to cancel"
            )
        if sales_order.status.lower() == CANCELLED:
            return
        await self._client.cancel_sales_order(sales_order.id, idempotency_key=idempotency_key)


def build(
    name: str, settings: Mapping[str, Any], http: httpx.AsyncClient | None = None
) -> CloudErpGateway:
    """Build the gateway from the system's settings block in the estate file."""
    return CloudErpGateway(CloudErpSettings.from_estate(name, settings), http=http)
