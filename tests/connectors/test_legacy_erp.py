"""The legacy ERP connector: lookup before create, and lost answers resolved by lookup."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

import httpx
import pytest

from crossdock.connectors.legacy_erp import LegacyErpGateway, LegacyErpSettings
from crossdock.core.errors import PermanentError, RetryableError
from crossdock.orchestration.gateways import MasterDataSource
from crossdock.orchestration.messages import (
    DeliveryCommand,
    InvoicePosted,
    Message,
    SalesOrderBooked,
    SalesOrderCancelled,
)

from . import samples
from .fakes import FakeLegacyErp, FakeSystem, body
from .standard import SYSTEM, StandardConnectorSuite


class TestLegacyErpStandard(StandardConnectorSuite):
    connector = "legacy_erp"

    def make_fake(self) -> FakeSystem:
        return FakeLegacyErp()

    def deliveries(self, fake: FakeSystem) -> Sequence[tuple[DeliveryCommand, type[Message]]]:
        assert isinstance(fake, FakeLegacyErp)
        number = fake.book("ORD-BOOKED")
        return [
            (samples.create_sales_order(SYSTEM), SalesOrderBooked),
            (samples.cancel_sales_order(SYSTEM, "ORD-BOOKED", number), SalesOrderCancelled),
            (samples.post_invoice(SYSTEM, "ORD-BOOKED", number), InvoicePosted),
        ]

    def unsupported(self) -> DeliveryCommand:
        return samples.request_fulfilment(SYSTEM)


@pytest.fixture
def erp() -> FakeLegacyErp:
    return FakeLegacyErp()


@pytest.fixture
async def gateway(erp: FakeLegacyErp) -> AsyncIterator[LegacyErpGateway]:
    async with erp.client() as http:
        gateway = LegacyErpGateway(LegacyErpSettings(base_url="http://erp.test"), http=http)
        yield gateway
        await gateway.aclose()


async def test_create_finds_the_sales_order_already_booked_for_the_order_and_creates_nothing(
    gateway: LegacyErpGateway, erp: FakeLegacyErp
) -> None:
    number = erp.book("ORD-9")

    result = await gateway.deliver(samples.create_sales_order("legacy_erp", "ORD-9"))

    assert isinstance(result, SalesOrderBooked)
    assert result.sales_order.sales_order_number == number
    assert erp.sent("POST") == []


async def test_a_create_answered_504_after_commit_is_resolved_by_lookup_without_a_second_post(
    gateway: LegacyErpGateway, erp: FakeLegacyErp
) -> None:
    erp.fail("POST", status=504, body={"error": "gateway timeout"}, after_commit=True, times=1)

    result = await gateway.deliver(samples.create_sales_order("legacy_erp", "ORD-9"))

    assert isinstance(result, SalesOrderBooked)
    assert len(erp.sent("POST")) == 1
    assert [so["external_ref"] for so in erp.sales_orders.values()] == ["ORD-9"]
    assert result.sales_order.sales_order_number == next(iter(erp.sales_orders))


async def test_a_create_that_timed_out_before_commit_is_left_for_a_later_attempt_not_resent(
    gateway: LegacyErpGateway, erp: FakeLegacyErp
) -> None:
    erp.fail("POST", error=httpx.ReadTimeout("timed out"), times=1)
    command = samples.create_sales_order("legacy_erp", "ORD-9")

    with pytest.raises(RetryableError, match="not found by lookup"):
        await gateway.deliver(command)
    assert len(erp.sent("POST")) == 1

    result = await gateway.deliver(command)
    assert isinstance(result, SalesOrderBooked)
    assert len(erp.sales_orders) == 1


async def test_an_invoice_whose_answer_was_lost_is_found_by_its_invoice_id(
    gateway: LegacyErpGateway, erp: FakeLegacyErp
) -> None:
    number = erp.book("ORD-9")
    command = samples.post_invoice("legacy_erp", "ORD-9", number)
    erp.fail("POST", error=httpx.ReadTimeout("timed out"), after_commit=True, times=1)

    result = await gateway.deliver(command)

    assert result == InvoicePosted(
        system="legacy_erp", invoice_id=command.invoice.invoice_id, invoice_number="INV-200001"
    )
    assert len(erp.invoices) == 1


async def test_a_booked_order_carries_the_erp_prices_and_tax_context(
    gateway: LegacyErpGateway, erp: FakeLegacyErp
) -> None:
    result = await gateway.deliver(samples.create_sales_order("legacy_erp", "ORD-9"))

    assert isinstance(result, SalesOrderBooked)
    booked = result.sales_order
    assert booked.system == "legacy_erp"
    assert [(ln.line_no, ln.unit_price) for ln in booked.lines] == [
        (1, Decimal("12.50")),
        (2, Decimal("0.10")),
    ]
    assert booked.tax is not None
    assert (booked.tax.tax_code, booked.tax.rate) == ("US-EAST", Decimal("0.0825"))


async def test_the_sales_order_is_sent_with_our_order_id_as_external_ref_and_money_as_strings(
    gateway: LegacyErpGateway, erp: FakeLegacyErp
) -> None:
    await gateway.deliver(samples.create_sales_order("legacy_erp", "ORD-9"))

    (post,) = erp.sent("POST", "/api/sales-orders")
    sent = body(post)
    assert sent["external_ref"] == "ORD-9"
    assert sent["customer_id"] == "C-001"
    assert sent["ship_to"]["postal_code"] == "07102"
    assert sent["lines"][0] == {
        "line_no": 1,
        "sku": "SKU-1",
        "quantity": "3",
        "unit_price": "12.50",
    }
    assert "Idempotency-Key" not in post.headers


async def test_an_unknown_sku_is_permanent_and_names_the_field(
    gateway: LegacyErpGateway, erp: FakeLegacyErp
) -> None:
    order = samples.order("ORD-9")
    bad = order.model_copy(
        update={"lines": (order.lines[0].model_copy(update={"sku": "UNKNOWN"}),)}
    )
    command = samples.create_sales_order("legacy_erp", "ORD-9").model_copy(update={"order": bad})

    with pytest.raises(PermanentError, match=r"422: unknown sku \(field lines\.0\.sku\)"):
        await gateway.deliver(command)


async def test_it_is_the_master_data_source_of_customers_products_and_prices(
    gateway: LegacyErpGateway,
) -> None:
    assert isinstance(gateway, MasterDataSource)

    (customer,) = await gateway.customers()
    (product,) = await gateway.products()
    list_price, contract_price = await gateway.prices()

    assert (customer.customer_id, customer.legal_entity, customer.region) == ("C-001", "A", "east")
    assert (product.sku, product.uom, product.active) == ("SKU-1", "BX", True)
    assert (list_price.customer_id, list_price.unit_price) == (None, Decimal("12.50"))
    assert (contract_price.customer_id, contract_price.unit_price) == ("C-001", Decimal("11.995"))


async def test_master_data_reads_that_meet_an_outage_are_retryable(
    gateway: LegacyErpGateway, erp: FakeLegacyErp
) -> None:
    erp.fail("GET", status=503, headers={"Retry-After": "30"}, body={"error": "outage"})

    with pytest.raises(RetryableError) as raised:
        await gateway.customers()
    assert raised.value.retry_after == 30
