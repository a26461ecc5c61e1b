"""The cloud ERP's HTTP API (``/v1``, camelCase JSON) and its request and response shapes.

The ERP honours ``Idempotency-Key``: a replayed POST answers what the first one did, so every
POST carries the delivery command's key and a retry needs no lookup.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import httpx
from pydantic import AliasChoices, ConfigDict, Field
from pydantic.alias_generators import to_camel

from crossdock.connectors.cloud_erp.settings import CloudErpSettings
from crossdock.integration.outbound import OutboundClient, WireModel


class CloudWire(WireModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel)


class ShipTo(CloudWire):
    name: str
    line1: str
    line2: str = ""
    city: str
    region: str = ""
    postal_code: str
    country: str


class SalesOrderLine(CloudWire):
    line_number: int
    item_number: str
    quantity: Decimal
    unit_price: Decimal


class NewSalesOrder(CloudWire):
    """``POST /v1/salesOrders``."""

    external_reference: str
    customer_number: str
    currency: str
    ship_to: ShipTo
    lines: tuple[SalesOrderLine, ...]


class Tax(CloudWire):
    tax_code: str
    rate: Decimal


class SalesOrder(CloudWire):
    """A sales order as the ERP answers it."""

    id: str
    document_number: str
    external_reference: str = ""
    status: str = ""
    lines: tuple[SalesOrderLine, ...] = ()
    tax: Tax | None = None


class SalesOrderList(CloudWire):
    items: tuple[SalesOrder, ...] = Field(validation_alias=AliasChoices("items", "value"))
    """Listed under ``items`` (the documented shape) or ``value`` (OData style)."""


class InvoiceLine(CloudWire):
    line_number: int
    item_number: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class NewInvoice(CloudWire):
    """``POST /v1/invoices``."""

    external_reference: str
    sales_order_number: str
    currency: str
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal


class PostedInvoice(CloudWire):
    id: str
    document_number: str


class Acknowledgement(CloudWire):
    """Any answer whose content we do not need."""


class CloudErpClient:
    """One method per call of the cloud ERP's API."""

    def __init__(self, settings: CloudErpSettings, *, http: httpx.AsyncClient | None = None):
        self._http = OutboundClient(settings, system=settings.name, http=http)

    async def create_sales_order(self, order: NewSalesOrder, *, idempotency_key: str) -> SalesOrder:
        return await self._http.post(
            "/v1/salesOrders",
            order,
            into=SalesOrder,
            idempotency_key=idempotency_key,
            creates=True,
        )

    async def sales_orders(self, external_reference: str) -> tuple[SalesOrder, ...]:
        """The sales orders created for ``external_reference``."""
        found = await self._http.get(
            "/v1/salesOrders",
            params={"externalReference": external_reference},
            into=SalesOrderList,
        )
        return tuple(
            order for order in found.items if order.external_reference == external_reference
        )

    async def cancel_sales_order(self, sales_order_id: str, *, idempotency_key: str) -> None:
        await self._http.post(
            f"/v1/salesOrders/{quote(sales_order_id, safe='')}/cancel",
            into=Acknowledgement,
            idempotency_key=idempotency_key,
        )

    async def post_invoice(self, invoice: NewInvoice, *, idempotency_key: str) -> PostedInvoice:
        return await self._http.post(
            "/v1/invoices",
            invoice,
            into=PostedInvoice,
            idempotency_key=idempotency_key,
            creates=True,
        )

    async def aclose(self) -> None:
        await self._http.aclose()
