"""The standard suite every connector passes.

A connector's test module subclasses :class:`StandardConnectorSuite` and says only how to build
itself: its type name in the catalog, a fake of its system, and the commands it carries with the
message each one answers. The suite then checks the port's contract: what it supports, what it
answers, that repeating a delivery has its effect once, and that every failure arrives classified
(retryable or permanent) with no ``httpx`` error escaping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

import httpx
import pytest

from crossdock.connectors.catalog import build_gateway
from crossdock.core.errors import PermanentError, RetryableError
from crossdock.orchestration.gateways import SystemGateway
from crossdock.orchestration.messages import DeliveryCommand, Message

from .fakes import FakeSystem

SYSTEM = "estate_system_7"
"""A name unlike any default, so a test sees the gateway takes its name from the estate."""


class StandardConnectorSuite:
    """Subclass as ``Test<Connector>Standard`` and fill in the four members below."""

    connector: ClassVar[str]
    """The connector's type name in :data:`crossdock.connectors.catalog.CONNECTORS`."""
    refusal: ClassVar[dict[str, Any]] = {"error": "quantity must be positive", "field": "qty"}
    """A 422 body in the system's own error shape, naming the field ``qty``."""

    def make_fake(self) -> FakeSystem:
        """A fake of the system, seeded with whatever the commands refer to."""
        raise NotImplementedError

    def deliveries(self, fake: FakeSystem) -> Sequence[tuple[DeliveryCommand, type[Message]]]:
        """Every operation the connector carries, with the message its success answers."""
        raise NotImplementedError

    def unsupported(self) -> DeliveryCommand:
        """A command the connector does not carry."""
        raise NotImplementedError

    # -- fixtures ----------------------------------------------------------------------------

    @pytest.fixture
    def fake(self) -> FakeSystem:
        return self.make_fake()

    @pytest.fixture
    async def http(self, fake: FakeSystem) -> AsyncIterator[httpx.AsyncClient]:
        async with fake.client() as client:
            yield client

    @pytest.fixture
    async def gateway(self, http: httpx.AsyncClient) -> AsyncIterator[SystemGateway]:
        gateway = build_gateway(self.connector, SYSTEM, {"base_url": "http://system.test"}, http)
        yield gateway
        await gateway.aclose()

    # -- the port ----------------------------------------------------------------------------

    def test_is_a_system_gateway_named_as_the_estate_names_it(self, gateway: SystemGateway) -> None:
        assert isinstance(gateway, SystemGateway)
        assert gateway.system == SYSTEM

    def test_supports_exactly_the_operations_it_carries(
        self, gateway: SystemGateway, fake: FakeSystem
    ) -> None:
        for command, _ in self.deliveries(fake):
            assert gateway.supports(command.operation), command.operation
        assert not gateway.supports(self.unsupported().operation)

    async def test_every_operation_answers_with_the_message_its_result_means(
        self, gateway: SystemGateway, fake: FakeSystem
    ) -> None:
        for command, expected in self.deliveries(fake):
            result = await gateway.deliver(command)
            assert isinstance(result, expected), command.operation
            assert getattr(result, "system", SYSTEM) == SYSTEM

    async def test_a_repeated_delivery_has_its_effect_once(
        self, gateway: SystemGateway, fake: FakeSystem
    ) -> None:
        for command, _ in self.deliveries(fake):
            created_before = fake.created
            first = await gateway.deliver(command)
            created_once = fake.created
            again = await gateway.deliver(command)
            assert again == first, command.operation
            assert fake.created == created_once <= created_before + 1, command.operation

    async def test_an_unsupported_operation_is_a_permanent_error_naming_it(
        self, gateway: SystemGateway, fake: FakeSystem
    ) -> None:
        command = self.unsupported()
        with pytest.raises(PermanentError, match=command.operation):
            await gateway.deliver(command)
        assert fake.requests == []

    async def test_closing_the_gateway_leaves_an_injected_client_open(
        self, http: httpx.AsyncClient
    ) -> None:
        gateway = build_gateway(self.connector, SYSTEM, {"base_url": "http://system.test"}, http)
        await gateway.aclose()
        assert not http.is_closed

    # -- failures, classified ----------------------------------------------------------------

    async def test_a_503_is_retryable(self, gateway: SystemGateway, fake: FakeSystem) -> None:
        fake.fail("POST", status=503, body={"error": "service unavailable"})
        for command, _ in self.deliveries(fake):
            with pytest.raises(RetryableError, match="503"):
                await gateway.deliver(command)

    async def test_a_429_is_retryable_after_the_seconds_retry_after_names(
        self, gateway: SystemGateway, fake: FakeSystem
    ) -> None:
        fake.fail("POST", status=429, headers={"Retry-After": "7"}, body={"error": "slow down"})
        for command, _ in self.deliveries(fake):
            with pytest.raises(RetryableError) as raised:
                await gateway.deliver(command)
            assert raised.value.retry_after == 7, command.operation

    async def test_a_refused_connection_is_retryable(
        self, gateway: SystemGateway, fake: FakeSystem
    ) -> None:
        fake.fail("POST", error=httpx.ConnectError("connection refused"))
        for command, _ in self.deliveries(fake):
            with pytest.raises(RetryableError, match="ConnectError"):
                await gateway.deliver(command)

    async def test_a_read_timeout_is_retryable(
        self, gateway: SystemGateway, fake: FakeSystem
    ) -> None:
        fake.fail("POST", error=httpx.ReadTimeout("timed out"))
        for command, _ in self.deliveries(fake):
            with pytest.raises(RetryableError, match="ReadTimeout"):
                await gateway.deliver(command)

    async def test_a_422_is_permanent_and_names_the_status_and_the_field(
        self, gateway: SystemGateway, fake: FakeSystem
    ) -> None:
        fake.fail("POST", status=422, body=self.refusal)
        for command, _ in self.deliveries(fake):
            with pytest.raises(PermanentError, match=r"422.*qty"):
                await gateway.deliver(command)

    async def test_a_failure_keeps_the_http_error_as_its_cause(
        self, gateway: SystemGateway, fake: FakeSystem
    ) -> None:
        fake.fail("POST", error=httpx.RemoteProtocolError("connection reset"))
        command, _ = self.deliveries(fake)[0]
        with pytest.raises(RetryableError) as raised:
            await gateway.deliver(command)
        causes = []
        error: BaseException | None = raised.value
        while error is not None:
            causes.append(error)
            error = error.__cause__
        assert any(isinstance(cause, httpx.RemoteProtocolError) for cause in causes)
