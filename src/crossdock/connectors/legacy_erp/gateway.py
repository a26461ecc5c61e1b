"""The legacy ERP as a :class:`SystemGateway` and a :class:`MasterDataSource`.

Idempotency: the ERP ignores ``Idempotency-Key``, so every create looks the document up by its
external reference first (our order id, our invoice id) and creates it only when it is missing. A
create whose answer was lost (a timeout, a 504 after commit) is resolved by the same lookup,
never by sending it again blindly (:func:`~crossdock.integration.outbound.create_once`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from crossdock.connectors.legacy_erp import mapping
from crossdock.connectors.legacy_erp.client import LegacyErpClient
from crossdock.connectors.legacy_erp.settings import LegacyErpSettings
from crossdock.core.catalog import Price, Product
from crossdock.core.errors import PermanentError
from crossdock.core.party import Customer
from crossdock.integration.outbound import create_once
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


class LegacyErpGateway(HttpGateway[LegacyErpClient]):
    """Books sales orders and posts invoices in the legacy ERP; reads its master data."""

    operations = frozenset({"create_sales_order", "cancel_sales_order", "post_invoice"})

    def __init__(
        self, settings: LegacyErpSettings, *, http: httpx.AsyncClient | None = None
    ) -> None:
        super().__init__(settings.name, LegacyErpClient(settings, http=http))

    async def _deliver(self, command: DeliveryCommand) -> Message | None:
        match command:
            case CreateSalesOrder(order=order):
                sales_order = await create_once(
                    find=lambda: self._client.find_sales_order(order.order_id),
                    create=lambda: self._client.create_sales_order(mapping.new_sales_order(order)),
                    what=f"{self.system} sales order for {order.order_id}",
                )
                return SalesOrderBooked(
                    sales_order=mapping.sales_order_ref(self.system, sales_order)
                )
            case CancelSalesOrder(sales_order_number=number):
                await self._client.cancel_sales_order(number)
                return SalesOrderCancelled(system=self.system, sales_order_number=number)
            case PostInvoice(invoice=invoice, sales_order_number=number):
                posted = await create_once(
                    find=lambda: self._client.find_invoice(invoice.invoice_id),
                    create=lambda: self._client.post_invoice(mapping.new_invoice(invoice, number)),
                    what=f"{self.system} invoice {invoice.invoice_id}",
                )
                return InvoicePosted(
                    system=self.system, invoice_id=invoice.invoice_id, invoice_number=posted.number
                )
            case _:
                raise PermanentError(f"{self.system} does not support {command.operation}")

    async def customers(self) -> Sequence[Customer]:
        """Every customer of the ERP."""
        records = await self._client.customers()
        return [mapping.customer(record) for record in records.items]

    async def products(self) -> Sequence[Product]:
        """Every product of the ERP."""
        records = await self._client.products()
        return [mapping.product(record) for record in records.items]

    async def prices(self) -> Sequence[Price]:
        """Every list and contract price of the ERP."""
        records = await self._client.prices()
        return [mapping.price(record) for record in records.items]


def build(
    name: str, settings: Mapping[str, Any], http: httpx.AsyncClient | None = None
) -> LegacyErpGateway:
    """Build the gateway from the system's settings block in the estate file."""
    return LegacyErpGateway(LegacyErpSettings.from_estate(name, settings), http=http)
