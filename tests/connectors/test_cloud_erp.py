"""The cloud ERP connector: the same Idempotency-Key on every retry, cancel by document number."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import httpx
import pytest

from crossdock.connectors.cloud_erp import CloudErpGateway, CloudErpSettings
from crossdock.core.errors import PermanentError, RetryableError
from crossdock.integration.outbound import AmbiguousOutcome
from crossdock.orchestration.messages import (
    DeliveryCommand,
    InvoicePosted,
    Message,
    SalesOrderBooked,
    SalesOrderCancelled,
)

from . import samples
from .fakes import FakeCloudErp, FakeSystem, body
from .standard import SYSTEM, StandardConnectorSuite


class TestCloudErpStandard(StandardConnectorSuite):
    connector = "cloud_erp"
    refusal: ClassVar[dict[str, Any]] = {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "quantity must be positive",
        "errors": [{"field": "qty", "detail": "quantity must be positive"}],
    }

    def make_fake(self) -> FakeSystem:
        return FakeCloudErp()

    def deliveries(self, fake: FakeSystem) -> Sequence[tuple[DeliveryCommand, type[Message]]]:
        assert isinstance(fake, FakeCloudErp)
        number = fake.book("ORD-BOOKED")
        return [
            (samples.create_sales_order(SYSTEM), SalesOrderBooked),
            (samples.cancel_sales_order(SYSTEM, "ORD-BOOKED", number), SalesOrderCancelled),
            (samples.post_invoice(SYSTEM, "ORD-BOOKED", number), InvoicePosted),
        ]

    def unsupported(self) -> DeliveryCommand:
        return samples.notify_status(SYSTEM)


@pytest.fixture
def erp() -> FakeCloudErp:
    return FakeCloudErp()


@pytest.fixture
async def gateway(erp: FakeCloudErp) -> AsyncIterator[CloudErpGateway]:
    async with erp.client() as http:
        gateway = CloudErpGateway(CloudErpSettings(base_url="http://cloud.test"), http=http)
        yield gateway
        await gateway.aclose()


async def test_a_retry_after_a_lost_answer_sends_the_same_idempotency_key_and_books_once(
    gateway: CloudErpGateway, erp: FakeCloudErp
) -> None:
    command = samples.create_sales_order("cloud_erp", "ORD-9")
    erp.fail("POST", error=httpx.ReadTimeout("timed out"), after_commit=True, times=1)

    with pytest.raises(AmbiguousOutcome):
        await gateway.deliver(command)
    result = await gateway.deliver(command)

    first, retry = erp.sent("POST")
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    assert first.headers["Idempotency-Key"] == command.idempotency_key
    assert erp.created == 1
    assert isinstance(result, SalesOrderBooked)
    assert result.sales_order.sales_order_number == "CSO-000001"


async def test_every_post_carries_its_command_idempotency_key(
    gateway: CloudErpGateway, erp: FakeCloudErp
) -> None:
    number = erp.book("ORD-9")
    commands: list[DeliveryCommand] = [
        samples.create_sales_order("cloud_erp", "ORD-10"),
        samples.post_invoice("cloud_erp", "ORD-9", number),
        samples.cancel_sales_order("cloud_erp", "ORD-9", number),
    ]
    for command in commands:
        await gateway.deliver(command)

    keys = [request.headers.get("Idempotency-Key") for request in erp.sent("POST")]
    assert keys == [command.idempotency_key for command in commands]


async def test_the_booked_order_is_numbered_by_its_document_number_with_camel_case_read(
    gateway: CloudErpGateway, erp: FakeCloudErp
) -> None:
    result = await gateway.deliver(samples.create_sales_order("cloud_erp", "ORD-9"))

    assert isinstance(result, SalesOrderBooked)
    booked = result.sales_order
    assert booked.sales_order_number == "CSO-000001"
    assert [(ln.line_no, ln.sku, ln.unit_price) for ln in booked.lines] == [
        (1, "SKU-1", Decimal("12.50")),
        (2, "SKU-2", Decimal("0.10")),
    ]
    assert booked.tax is not None
    assert (booked.tax.tax_code, booked.tax.rate) == ("US-WEST", Decimal("0.0725"))
    sent = body(erp.sent("POST")[0])
    assert sent["externalReference"] == "ORD-9"
    assert sent["customerNumber"] == "C-001"
    assert sent["shipTo"]["postalCode"] == "07102"
    assert sent["lines"][1] == {
        "lineNumber": 2,
        "itemNumber": "SKU-2",
        "quantity": "4",
        "unitPrice": "0.10",
    }


async def test_cancel_finds_the_internal_id_by_external_reference(
    gateway: CloudErpGateway, erp: FakeCloudErp
) -> None:
    erp.book("ORD-8")
    number = erp.book("ORD-9")

    result = await gateway.deliver(samples.cancel_sales_order("cloud_erp", "ORD-9", number))

    assert result == SalesOrderCancelled(system="cloud_erp", sales_order_number=number)
    (cancel,) = erp.sent("POST")
    assert cancel.url.path == "/v1/salesOrders/6f1c-0002/cancel"
    assert erp.sales_orders["6f1c-0002"]["status"] == "Cancelled"
    assert erp.sales_orders["6f1c-0001"]["status"] == "Open"


async def test_an_order_already_cancelled_is_not_cancelled_again(
    gateway: CloudErpGateway, erp: FakeCloudErp
) -> None:
    number = erp.book("ORD-9", status="Cancelled")

    result = await gateway.deliver(samples.cancel_sales_order("cloud_erp", "ORD-9", number))

    assert isinstance(result, SalesOrderCancelled)
    assert erp.sent("POST") == []


async def test_cancelling_a_sales_order_the_erp_does_not_have_is_permanent(
    gateway: CloudErpGateway, erp: FakeCloudErp
) -> None:
    erp.book("ORD-9")

    with pytest.raises(PermanentError, match="no sales order CSO-999999"):
        await gateway.deliver(samples.cancel_sales_order("cloud_erp", "ORD-9", "CSO-999999"))


async def test_the_rate_limit_is_retryable_after_the_delay_it_names(
    gateway: CloudErpGateway, erp: FakeCloudErp
) -> None:
    erp.fail("POST", status=429, headers={"Retry-After": "2"}, body={"title": "Too Many"}, times=1)
    command = samples.create_sales_order("cloud_erp", "ORD-9")

    with pytest.raises(RetryableError) as raised:
        await gateway.deliver(command)
    assert not isinstance(raised.value, AmbiguousOutcome)
    assert raised.value.retry_after == 2
    assert isinstance(await gateway.deliver(command), SalesOrderBooked)
