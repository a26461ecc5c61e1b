"""A fake at the gateway port: answers like a healthy system, fails when a test tells it to."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from crossdock.core.fulfilment import BookedLine, SalesOrderRef, TaxContext
from crossdock.orchestration.messages import (
    CancelFulfilment,
    CancelSalesOrder,
    CreateSalesOrder,
    DeliveryCommand,
    FulfilmentAccepted,
    FulfilmentCancelled,
    InvoicePosted,
    Message,
    NotifyStatus,
    PostInvoice,
    RequestFulfilment,
    SalesOrderBooked,
    SalesOrderCancelled,
    StatusNotified,
)

TAX = TaxContext(tax_code="CA-FRESNO", rate=Decimal("0.0825"))


class FakeGateway:
    """One external system. Records every command it is sent, in order."""

    def __init__(self, system: str) -> None:
        self._system = system
        self.sent: list[DeliveryCommand] = []
        self._faults: dict[str, list[Exception]] = {}
        self._broken: dict[str, Exception] = {}
        self.stall: asyncio.Event | None = None
        """When set, the next command is received and then never answered (a worker that dies)."""
        self.stalled = asyncio.Event()

    @property
    def system(self) -> str:
        return self._system

    def supports(self, operation: str) -> bool:
        return True

    def fail(self, operation: str, error: Exception, *, times: int = 1) -> None:
        """Raise ``error`` for the next ``times`` commands of ``operation``."""
        self._faults.setdefault(operation, []).extend([error] * times)

    def break_down(self, operation: str, error: Exception) -> None:
        """Raise ``error`` for every command of ``operation`` until :meth:`recover`."""
        self._broken[operation] = error

    def recover(self, operation: str) -> None:
        self._broken.pop(operation, None)

    def keys(self, operation: str) -> list[str]:
        """Idempotency keys of every ``operation`` received, repeats included."""
        return [c.idempotency_key for c in self.sent if c.operation == operation]

    async def deliver(self, command: DeliveryCommand) -> Message | None:
        self.sent.append(command)
        if self.stall is not None:
            stall, self.stall = self.stall, None
            self.stalled.set()
            await stall.wait()
        operation = command.operation
        if operation in self._broken:
            raise self._broken[operation]
        faults = self._faults.get(operation)
        if faults:
            raise faults.pop(0)
        return self._answer(command)

    def _answer(self, command: DeliveryCommand) -> Message | None:
        system = self._system
        match command:
            case CreateSalesOrder(order=order):
                lines = tuple(
                    BookedLine(
                        line_no=line.line_no,
                        sku=line.sku,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                    )
                    for line in order.lines
                )
                number = f"SO-{order.order_id}"
                ref = SalesOrderRef(system=system, sales_order_number=number, lines=lines, tax=TAX)
                return SalesOrderBooked(sales_order=ref)
            case RequestFulfilment(order_id=order_id):
                return FulfilmentAccepted(system=system, fulfilment_id=f"F-{order_id}")
            case PostInvoice(invoice=invoice):
                return InvoicePosted(
                    system=system,
                    invoice_id=invoice.invoice_id,
                    invoice_number=f"INV-{invoice.shipment_id}",
                )
            case NotifyStatus(status=status):
                return StatusNotified(system=system, status=status)
            case CancelSalesOrder(sales_order_number=number):
                return SalesOrderCancelled(system=system, sales_order_number=number)
            case CancelFulfilment(fulfilment_id=fulfilment_id):
                return FulfilmentCancelled(system=system, fulfilment_id=fulfilment_id)
        return None

    async def aclose(self) -> None:
        return None
