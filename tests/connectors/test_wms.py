"""The WMS connector: fulfilment requests, cancellation refused once shipped, stock on hand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

import pytest

from crossdock.connectors.wms import WmsGateway, WmsSettings
from crossdock.core.errors import PermanentError
from crossdock.orchestration.gateways import InventorySource
from crossdock.orchestration.messages import (
    DeliveryCommand,
    FulfilmentAccepted,
    FulfilmentCancelled,
    Message,
)

from . import samples
from .fakes import FakeSystem, FakeWms, body
from .standard import SYSTEM, StandardConnectorSuite


class TestWmsStandard(StandardConnectorSuite):
    connector = "wms"

    def make_fake(self) -> FakeSystem:
        return FakeWms()

    def deliveries(self, fake: FakeSystem) -> Sequence[tuple[DeliveryCommand, type[Message]]]:
        assert isinstance(fake, FakeWms)
        fulfilment_id = fake.release("ORD-RELEASED")
        return [
            (samples.request_fulfilment(SYSTEM), FulfilmentAccepted),
            (samples.cancel_fulfilment(SYSTEM, "ORD-RELEASED", fulfilment_id), FulfilmentCancelled),
        ]

    def unsupported(self) -> DeliveryCommand:
        return samples.create_sales_order(SYSTEM)


@pytest.fixture
def wms() -> FakeWms:
    return FakeWms()


@pytest.fixture
async def gateway(wms: FakeWms) -> AsyncIterator[WmsGateway]:
    async with wms.client() as http:
        gateway = WmsGateway(WmsSettings(base_url="http://wms.test"), http=http)
        yield gateway
        await gateway.aclose()


async def test_a_fulfilment_request_is_sent_with_its_lines_and_idempotency_key(
    gateway: WmsGateway, wms: FakeWms
) -> None:
    command = samples.request_fulfilment("wms", "ORD-9")

    result = await gateway.deliver(command)

    assert result == FulfilmentAccepted(system="wms", fulfilment_id="FUL-00001")
    (post,) = wms.sent("POST")
    assert post.headers["Idempotency-Key"] == command.idempotency_key
    assert body(post) == {
        "order_id": "ORD-9",
        "location": "EAST-1",
        "ship_to_name": "Acme Hardware #12",
        "lines": [
            {"line_no": 1, "sku": "SKU-1", "quantity": "3"},
            {"line_no": 2, "sku": "SKU-2", "quantity": "4"},
        ],
    }


async def test_cancelling_a_fulfilment_that_has_shipped_is_permanent_with_the_reason(
    gateway: WmsGateway, wms: FakeWms
) -> None:
    fulfilment_id = wms.release("ORD-9", status="shipped")

    with pytest.raises(PermanentError, match="409: already shipped"):
        await gateway.deliver(samples.cancel_fulfilment("wms", "ORD-9", fulfilment_id))


async def test_it_is_the_inventory_source_with_exact_quantities(gateway: WmsGateway) -> None:
    assert isinstance(gateway, InventorySource)

    positions = await gateway.positions()

    assert [(p.sku, p.location, p.on_hand, p.safety_stock, p.reserved) for p in positions] == [
        ("SKU-1", "EAST-1", Decimal("120"), Decimal("10"), Decimal("0")),
        ("SKU-2", "EAST-1", Decimal("7.5"), Decimal("0"), Decimal("0")),
    ]
