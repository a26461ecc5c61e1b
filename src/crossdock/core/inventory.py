"""Inventory positions, availability to promise, and reservations.

Availability per SKU and location is ``on hand − reserved − safety stock``. A reservation takes
every line of an order at one location or nothing at all, so an order never holds a part of the
stock it needs while it waits (the backorder waits for the whole order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from crossdock.core.value import Value


class InventoryPosition(Value):
    """Stock of one SKU at one location."""

    sku: str
    location: str
    on_hand: Decimal
    reserved: Decimal = Decimal(0)
    safety_stock: Decimal = Decimal(0)

    @property
    def available(self) -> Decimal:
        """What can still be promised: on hand − reserved − safety stock, never below zero."""
        return max(self.on_hand - self.reserved - self.safety_stock, Decimal(0))

    def can_reserve(self, quantity: Decimal) -> bool:
        """Whether ``quantity`` more can be reserved without dipping into safety stock."""
        return quantity <= self.available


class ReservationLine(Value):
    """Quantity of one order line held at one location."""

    line_no: int
    sku: str
    location: str
    quantity: Decimal


class Reservation(Value):
    """Stock held for one order."""

    order_id: str
    lines: tuple[ReservationLine, ...]

    @property
    def location(self) -> str:
        """The location the reservation holds stock at."""
        return self.lines[0].location if self.lines else ""


class ShortLine(Value):
    """A line that cannot be reserved in full."""

    line_no: int
    sku: str
    wanted: Decimal
    available: Decimal


def needed_per_sku(lines: Sequence[tuple[int, str, Decimal]]) -> dict[str, Decimal]:
    """Total quantity wanted per SKU (an order may carry the same SKU on several lines)."""
    totals: dict[str, Decimal] = {}
    for _, sku, quantity in lines:
        totals[sku] = totals.get(sku, Decimal(0)) + quantity
    return totals


def shortages(
    lines: Sequence[tuple[int, str, Decimal]], positions: Mapping[str, InventoryPosition]
) -> list[ShortLine]:
    """Lines whose SKU does not have enough available at the positions given (keyed by SKU)."""
    wanted = needed_per_sku(lines)
    short: list[ShortLine] = []
    for line_no, sku, quantity in lines:
        position = positions.get(sku)
        available = position.available if position else Decimal(0)
        if wanted[sku] > available:
            short.append(ShortLine(line_no=line_no, sku=sku, wanted=quantity, available=available))
    return short
