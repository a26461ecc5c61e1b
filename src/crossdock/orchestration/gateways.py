"""Ports to the outside systems: what a connector implements for the engine.

A connector translates every library error it meets into the core error tree, so the delivery
runner can decide what to do without knowing which library was used:

* :class:`~crossdock.core.errors.RetryableError` — timeouts, connection errors, 429 (with
  ``retry_after`` from ``Retry-After``), 423 and 5xx: the delivery is tried again later;
* :class:`~crossdock.core.errors.PermanentError` — validation 4xx, a mapping that cannot be made:
  the delivery fails and the order goes on hold with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from crossdock.core.catalog import Price, Product
from crossdock.core.inventory import InventoryPosition
from crossdock.core.party import Customer
from crossdock.orchestration.messages import DeliveryCommand, Message


@runtime_checkable
class SystemGateway(Protocol):
    """Carries delivery commands to one external system."""

    @property
    def system(self) -> str:
        """The system's name in the estate file."""
        ...

    def supports(self, operation: str) -> bool:
        """Whether this system can carry out ``operation`` (a delivery command's ``kind``)."""
        ...

    async def deliver(self, command: DeliveryCommand) -> Message | None:
        """Carry out ``command`` at least once, safely repeatable with its idempotency key.

        Returns the message the result means for the order's workflow (``SalesOrderBooked`` for a
        created sales order …), or None when the result tells the workflow nothing.
        """
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class MasterDataSource(Protocol):
    """A system of record for customers, products and prices."""

    async def customers(self) -> Sequence[Customer]:
        """Every customer."""
        ...

    async def products(self) -> Sequence[Product]:
        """Every product."""
        ...

    async def prices(self) -> Sequence[Price]:
        """Every list and contract price."""
        ...


@runtime_checkable
class InventorySource(Protocol):
    """A system that knows stock on hand (the WMS)."""

    async def positions(self) -> Sequence[InventoryPosition]:
        """Stock on hand and safety stock per SKU and location (``reserved`` is ours to keep)."""
        ...
