"""The customer service connector: one status update per order, status and shipment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from crossdock.connectors.customer_service import (
    CustomerServiceGateway,
    CustomerServiceSettings,
)
from crossdock.orchestration.messages import DeliveryCommand, Message, StatusNotified

from . import samples
from .fakes import FakeCustomerService, FakeSystem, body
from .standard import SYSTEM, StandardConnectorSuite


class TestCustomerServiceStandard(StandardConnectorSuite):
    connector = "customer_service"

    def make_fake(self) -> FakeSystem:
        return FakeCustomerService()

    def deliveries(self, fake: FakeSystem) -> Sequence[tuple[DeliveryCommand, type[Message]]]:
        return [(samples.notify_status(SYSTEM), StatusNotified)]

    def unsupported(self) -> DeliveryCommand:
        return samples.request_fulfilment(SYSTEM)


@pytest.fixture
def service() -> FakeCustomerService:
    return FakeCustomerService()


@pytest.fixture
async def gateway(service: FakeCustomerService) -> AsyncIterator[CustomerServiceGateway]:
    async with service.client() as http:
        settings = CustomerServiceSettings(base_url="http://cs.test", token="s3cret")
        gateway = CustomerServiceGateway(settings, http=http)
        yield gateway
        await gateway.aclose()


async def test_a_status_update_carries_the_order_numbers_status_and_detail(
    gateway: CustomerServiceGateway, service: FakeCustomerService
) -> None:
    command = samples.notify_status("customer_service", "ORD-9", status="booked")

    result = await gateway.deliver(command)

    assert result == StatusNotified(system="customer_service", status="booked")
    (post,) = service.sent("POST")
    assert post.headers["Idempotency-Key"] == "ORD-9:notify_status:customer_service:booked"
    assert post.headers["Authorization"] == "Bearer s3cret"
    assert body(post) == {
        "order_id": "ORD-9",
        "channel_order_number": "WEB-ORD-9",
        "customer_po": "PO-77",
        "status": "booked",
        "detail": {"sales_order_number": "SO-100001"},
    }


async def test_each_shipment_of_the_same_status_is_its_own_update(
    gateway: CustomerServiceGateway, service: FakeCustomerService
) -> None:
    first = samples.notify_status("customer_service", "ORD-9", status="shipped")
    second = first.model_copy(update={"detail": {"shipment_id": "SH-2"}})
    first = first.model_copy(update={"detail": {"shipment_id": "SH-1"}})

    for command in (first, second, first):
        await gateway.deliver(command)

    assert [update["detail"]["shipment_id"] for update in service.updates] == ["SH-1", "SH-2"]
