"""The legacy ERP's HTTP API and its request and response shapes.

The ERP does not honour ``Idempotency-Key``; every document we create carries our id as its
``external_ref``, and ``GET …?external_ref=`` finds it again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar
from urllib.parse import quote

import httpx

from crossdock.connectors.legacy_erp.settings import LegacyErpSettings
from crossdock.integration.outbound import OutboundClient, WireModel

# ---------------------------------------------------------------- master data


class CustomerRecord(WireModel):
    customer_id: str
    name: str
    email: str = ""
    legal_entity: str
    region: str
    currency: str = "USD"


class ProductRecord(WireModel):
    sku: str
    description: str
    uom: str = "EA"
    active: bool = True


class PriceRecord(WireModel):
    sku: str
    currency: str
    unit_price: Decimal
    customer_id: str | None = None


class CustomerList(WireModel):
    items: tuple[CustomerRecord, ...]


class ProductList(WireModel):
    items: tuple[ProductRecord, ...]


class PriceList(WireModel):
    items: tuple[PriceRecord, ...]


# ---------------------------------------------------------------- sales orders


class ShipTo(WireModel):
    name: str
    line1: str
    line2: str = ""
    city: str
    region: str = ""
    postal_code: str
    country: str


class SalesOrderLine(WireModel):
    line_no: int
    sku: str
    quantity: Decimal
    unit_price: Decimal


class NewSalesOrder(WireModel):
    """``POST /api/sales-orders``."""

    external_ref: str
    customer_id: str
    currency: str
    ship_to: ShipTo
    lines: tuple[SalesOrderLine, ...]


class Tax(WireModel):
    code: str
    rate: Decimal


class SalesOrder(WireModel):
    """A sales order as the ERP answers it."""

    number: str
    external_ref: str = ""
    status: str = ""
    lines: tuple[SalesOrderLine, ...] = ()
    tax: Tax | None = None


class SalesOrderList(WireModel):
    items: tuple[SalesOrder, ...]


# ---------------------------------------------------------------- invoices


class InvoiceLine(WireModel):
    line_no: int
    sku: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class NewInvoice(WireModel):
    """``POST /api/invoices``."""

    external_ref: str
    sales_order_number: str
    currency: str
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal


class PostedInvoice(WireModel):
    number: str
    external_ref: str = ""


class InvoiceList(WireModel):
    items: tuple[PostedInvoice, ...]


class Acknowledgement(WireModel):
    """Any answer whose content we do not need."""


# ---------------------------------------------------------------- the client


class LegacyErpClient:
    """One method per call of the legacy ERP's API."""

    def __init__(self, settings: LegacyErpSettings, *, http: httpx.AsyncClient | None = None):
        self._http = OutboundClient(settings, system=settings.name, http=http)

    async def customers(self) -> CustomerList:
        return await self._http.get("/api/customers", into=CustomerList)

    async def products(self) -> ProductList:
        return await self._http.get("/api/products", into=ProductList)

    async def prices(self) -> PriceList:
        return await self._http.get("/api/prices", into=PriceList)

    async def find_sales_order(self, external_ref: str) -> SalesOrder | None:
        """The sales order created for ``external_ref``, if there is one."""
        found = await self._http.get(
            "/api/sales-orders", params={"external_ref": external_ref}, into=SalesOrderList
        )
        return _matching(found.items, external_ref)

    async def create_sales_order(self, order: NewSalesOrder) -> SalesOrder:
        return await self._http.post("/api/sales-orders", order, into=SalesOrder, creates=True)

    async def cancel_sales_order(self, number: str) -> None:
        await self._http.post(
            f"/api/sales-orders/{quote(number, safe='')}/cancel", into=Acknowledgement
        )

    async def find_invoice(self, external_ref: str) -> PostedInvoice | None:
        """The invoice posted for ``external_ref``, if there is one."""
        found = await self._http.get(
            "/api/invoices", params={"external_ref": external_ref}, into=InvoiceList
        )
        return _matching(found.items, external_ref)

    async def post_invoice(self, invoice: NewInvoice) -> PostedInvoice:
        return await self._http.post("/api/invoices", invoice, into=PostedInvoice, creates=True)

    async def aclose(self) -> None:
        await self._http.aclose()


_Document = TypeVar("_Document", SalesOrder, PostedInvoice)


def _matching(items: tuple[_Document, ...], external_ref: str) -> _Document | None:
    # The filter is the ERP's; check it anyway, an ignored query parameter must not match all.
    return next((item for item in items if item.external_ref == external_ref), None)
