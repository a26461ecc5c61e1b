"""Every gateway against the real sandbox service of its system, through ``httpx.ASGITransport``.

The fakes in :mod:`.fakes` are written from the API spec; these tests check the connectors and the
sandbox estate agree on it, faults included (lost answers, outages, the rate limit).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from crossdock.connectors.catalog import build_gateway
from crossdock.connectors.cloud_erp import CloudErpGateway
from crossdock.connectors.customer_service import CustomerServiceGateway
from crossdock.connectors.legacy_erp import LegacyErpGateway
from crossdock.connectors.wms import WmsGateway
from crossdock.core.errors import PermanentError, RetryableError
from crossdock.core.fulfilment import FulfilmentRequest, ShippedLine
from crossdock.core.invoice import build_invoice
from crossdock.core.order import Order, OrderLine
from crossdock.orchestration.messages import (
    CancelFulfilment,
    CancelSalesOrder,
    CreateSalesOrder,
    FulfilmentAccepted,
    FulfilmentCancelled,
    InvoicePosted,
    NotifyStatus,
    PostInvoice,
    RequestFulfilment,
    SalesOrderBooked,
    SalesOrderCancelled,
    StatusNotified,
)

from . import samples

ManualClock = pytest.importorskip("crossdock.sandbox.clock").ManualClock
legacy_erp = pytest.importorskip("crossdock.sandbox.legacy_erp")
cloud_erp = pytest.importorskip("crossdock.sandbox.cloud_erp")
wms = pytest.importorskip("crossdock.sandbox.wms")
customer_service = pytest.importorskip("crossdock.sandbox.customer_service")


async def running(service: Any, connector: str, name: str) -> AsyncIterator[tuple[Any, Any]]:
    """Start ``service``, yield it with a gateway that reaches it in-process, stop both."""
    await service.start()
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport) as http:
        gateway = build_gateway(connector, name, {"base_url": f"http://{name}.sandbox"}, http)
        try:
            yield service, gateway
        finally:
            await gateway.aclose()
            await service.stop()
            service.close()


async def set_faults(gateway_http_base: str, service: Any, **faults: Any) -> None:
    """Change the service's faults through its own ``/_sandbox/faults`` endpoint."""
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url=gateway_http_base) as http:
        response = await http.put("/_sandbox/faults", json=faults)
        response.raise_for_status()


def ledger(service: Any, kind: str) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = service.ledger_snapshot()["documents"]
    return [doc for doc in documents if doc.get("kind") == kind]


def order_for(catalog: Any, legal_entity: str, order_id: str) -> Order:
    """A two-line order of a real customer of ``legal_entity`` for real SKUs of the sandbox."""
    customer = next(c for c in catalog.customers if c.legal_entity == legal_entity)
    skus = [p.sku for p in catalog.products[:2]]
    return samples.order(order_id).model_copy(
        update={
            "customer_id": customer.customer_id,
            "legal_entity": legal_entity,
            "currency": customer.currency,
            "lines": tuple(
                OrderLine(
                    line_no=n, sku=sku, quantity=Decimal(n), unit_price=catalog.list_price(sku)
                )
                for n, sku in enumerate(skus, start=1)
            ),
        }
    )


def invoice_for(order: Order, booked: SalesOrderBooked, system: str) -> PostInvoice:
    shipped = [
        ShippedLine(line_no=ln.line_no, sku=ln.sku, quantity=ln.quantity) for ln in order.lines
    ]
    invoice = build_invoice(order, booked.sales_order, "SH-1", shipped)
    return PostInvoice(
        system=system,
        order_id=order.order_id,
        sales_order_number=booked.sales_order.sales_order_number,
        invoice=invoice,
    )


# ---------------------------------------------------------------- legacy ERP


@pytest.fixture
async def legacy() -> AsyncIterator[tuple[Any, LegacyErpGateway]]:
    service = legacy_erp.LegacyErp(legacy_erp.LegacyErpConfig())
    async for pair in running(service, "legacy_erp", "legacy_erp"):
        yield pair


async def test_legacy_erp_master_data_is_read_from_the_sandbox(
    legacy: tuple[Any, LegacyErpGateway],
) -> None:
    service, gateway = legacy

    customers = await gateway.customers()
    products = await gateway.products()
    prices = await gateway.prices()

    assert {c.customer_id for c in customers} == {c.customer_id for c in service.catalog.customers}
    assert len(products) == len(service.catalog.products)
    assert all(isinstance(p.unit_price, Decimal) for p in prices)


async def test_legacy_erp_books_cancels_and_invoices_each_once(
    legacy: tuple[Any, LegacyErpGateway],
) -> None:
    service, gateway = legacy
    order = order_for(service.catalog, "A", "ORD-1")
    create = CreateSalesOrder(system="legacy_erp", order_id="ORD-1", order=order)

    booked = await gateway.deliver(create)
    assert await gateway.deliver(create) == booked
    assert isinstance(booked, SalesOrderBooked)
    assert booked.sales_order.tax is not None
    assert booked.sales_order.tax.rate == Decimal("0.0825")
    assert [ln.unit_price for ln in booked.sales_order.lines] == [
        ln.unit_price for ln in order.lines
    ]

    post = invoice_for(order, booked, "legacy_erp")
    posted = await gateway.deliver(post)
    assert await gateway.deliver(post) == posted
    assert isinstance(posted, InvoicePosted)
    assert posted.invoice_number.startswith("INV-")

    number = booked.sales_order.sales_order_number
    cancel = CancelSalesOrder(system="legacy_erp", order_id="ORD-1", sales_order_number=number)
    assert await gateway.deliver(cancel) == SalesOrderCancelled(
        system="legacy_erp", sales_order_number=number
    )
    assert await gateway.deliver(cancel) == SalesOrderCancelled(
        system="legacy_erp", sales_order_number=number
    )
    assert len(ledger(service, "sales_order")) == 1
    assert len(ledger(service, "invoice")) == 1


async def test_legacy_erp_lost_answers_are_resolved_by_lookup_and_create_nothing_twice(
    legacy: tuple[Any, LegacyErpGateway],
) -> None:
    service, gateway = legacy
    await set_faults("http://legacy_erp.sandbox", service, lost_response_rate=1.0)
    order = order_for(service.catalog, "A", "ORD-2")

    booked = await gateway.deliver(
        CreateSalesOrder(system="legacy_erp", order_id="ORD-2", order=order)
    )
    assert isinstance(booked, SalesOrderBooked)
    posted = await gateway.deliver(invoice_for(order, booked, "legacy_erp"))

    assert isinstance(posted, InvoicePosted)
    assert len(ledger(service, "sales_order")) == 1
    assert len(ledger(service, "invoice")) == 1


async def test_legacy_erp_refusals_and_outages_are_classified(
    legacy: tuple[Any, LegacyErpGateway],
) -> None:
    service, gateway = legacy
    order = order_for(service.catalog, "A", "ORD-3")
    bad = order.model_copy(update={"lines": (order.lines[0].model_copy(update={"sku": "NOPE"}),)})

    with pytest.raises(PermanentError, match=r"422.*lines\.0\.sku"):
        await gateway.deliver(CreateSalesOrder(system="legacy_erp", order_id="ORD-3", order=bad))

    await set_faults("http://legacy_erp.sandbox", service, error_rate=1.0)
    with pytest.raises(RetryableError) as raised:
        await gateway.deliver(CreateSalesOrder(system="legacy_erp", order_id="ORD-3", order=order))
    assert raised.value.retry_after == 1


# ---------------------------------------------------------------- cloud ERP


@pytest.fixture
async def cloud() -> AsyncIterator[tuple[Any, CloudErpGateway]]:
    service = cloud_erp.CloudErp(cloud_erp.CloudErpConfig())
    async for pair in running(service, "cloud_erp", "cloud_erp"):
        yield pair


async def test_cloud_erp_books_and_cancels_each_once(cloud: tuple[Any, CloudErpGateway]) -> None:
    service, gateway = cloud
    order = order_for(service.catalog, "B", "ORD-1")
    create = CreateSalesOrder(system="cloud_erp", order_id="ORD-1", order=order)

    booked = await gateway.deliver(create)
    assert await gateway.deliver(create) == booked
    assert isinstance(booked, SalesOrderBooked)
    number = booked.sales_order.sales_order_number
    assert number.startswith("CSO-")
    assert booked.sales_order.tax is not None
    assert booked.sales_order.tax.tax_code == "US-WEST"

    cancel = CancelSalesOrder(system="cloud_erp", order_id="ORD-1", sales_order_number=number)
    assert isinstance(await gateway.deliver(cancel), SalesOrderCancelled)
    assert isinstance(await gateway.deliver(cancel), SalesOrderCancelled)
    assert len(ledger(service, "sales_order")) == 1
    assert len(ledger(service, "sales_order_cancellation")) == 1


async def test_cloud_erp_posts_an_invoice_against_the_document_number_once(
    cloud: tuple[Any, CloudErpGateway],
) -> None:
    service, gateway = cloud
    order = order_for(service.catalog, "B", "ORD-2")
    booked = await gateway.deliver(
        CreateSalesOrder(system="cloud_erp", order_id="ORD-2", order=order)
    )
    assert isinstance(booked, SalesOrderBooked)
    post = invoice_for(order, booked, "cloud_erp")

    posted = await gateway.deliver(post)

    assert isinstance(posted, InvoicePosted)
    assert posted.invoice_number.startswith("CINV-")
    assert await gateway.deliver(post) == posted
    assert len(ledger(service, "invoice")) == 1


async def test_cloud_erp_rate_limit_is_retryable_after_its_retry_after() -> None:
    clock = ManualClock()
    service = cloud_erp.CloudErp(
        cloud_erp.CloudErpConfig(faults=cloud_erp.CloudErpFaults(rate_limit_per_s=1)), clock=clock
    )
    async for _, gateway in running(service, "cloud_erp", "cloud_erp"):
        order = order_for(service.catalog, "B", "ORD-3")
        create = CreateSalesOrder(system="cloud_erp", order_id="ORD-3", order=order)
        booked = await gateway.deliver(create)

        with pytest.raises(RetryableError) as raised:
            await gateway.deliver(create)
        assert raised.value.retry_after == 1

        clock.advance(1)
        assert await gateway.deliver(create) == booked


# ---------------------------------------------------------------- WMS


@pytest.fixture
async def warehouse() -> AsyncIterator[tuple[Any, WmsGateway]]:
    hub = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(202)))
    # Milestones far in the future: nothing ships while a test runs.
    config = wms.WmsConfig(pick_delay_s=3600)
    service = wms.Wms(config, hub_client=hub)
    async for pair in running(service, "wms", "wms"):
        yield pair
    await hub.aclose()


async def test_wms_stock_on_hand_is_the_inventory_source(warehouse: tuple[Any, WmsGateway]) -> None:
    service, gateway = warehouse

    positions = await gateway.positions()

    assert {(p.sku, p.location, p.on_hand) for p in positions} == {
        (p.sku, p.location, p.on_hand) for p in service.catalog.inventory
    }


async def test_wms_accepts_a_fulfilment_once_and_cancels_it(
    warehouse: tuple[Any, WmsGateway],
) -> None:
    service, gateway = warehouse
    order = order_for(service.catalog, "A", "ORD-1")
    request = RequestFulfilment(
        system="wms",
        order_id="ORD-1",
        request=FulfilmentRequest(
            order_id="ORD-1",
            location="WH-EAST",
            ship_to_name=order.ship_to.name,
            lines=tuple((ln.line_no, ln.sku, ln.quantity) for ln in order.lines),
        ),
    )

    accepted = await gateway.deliver(request)
    assert await gateway.deliver(request) == accepted
    assert isinstance(accepted, FulfilmentAccepted)

    cancel = CancelFulfilment(system="wms", order_id="ORD-1", fulfilment_id=accepted.fulfilment_id)
    assert await gateway.deliver(cancel) == FulfilmentCancelled(
        system="wms", fulfilment_id=accepted.fulfilment_id
    )
    assert len(ledger(service, "fulfilment")) == 1


# ---------------------------------------------------------------- customer service


@pytest.fixture
async def helpdesk() -> AsyncIterator[tuple[Any, CustomerServiceGateway]]:
    service = customer_service.CustomerService(customer_service.CustomerServiceConfig())
    async for pair in running(service, "customer_service", "customer_service"):
        yield pair


async def test_customer_service_records_each_status_once(
    helpdesk: tuple[Any, CustomerServiceGateway],
) -> None:
    service, gateway = helpdesk
    notify = NotifyStatus(
        system="customer_service",
        order_id="ORD-1",
        channel_order_number="WEB-1",
        status="shipped",
        detail={"shipment_id": "SH-1", "at": datetime(2025, 3, 1, tzinfo=UTC).isoformat()},
    )

    assert await gateway.deliver(notify) == StatusNotified(
        system="customer_service", status="shipped"
    )
    await gateway.deliver(notify)

    assert len(ledger(service, "status_update")) == 1
