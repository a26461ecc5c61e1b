"""Stock positions and atomic reservations of a :class:`~.memory.MemoryStore`.

Quantities are held as integers in ten-thousandths and converted with the SQL schema's own
functions: one definition of the store's precision (exact to four decimals, rounded the same
way), so this adapter cannot drift from what SQLite and PostgreSQL hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from itertools import islice

from crossdock.core.inventory import InventoryPosition, ReservationLine
from crossdock.integration.store.memory_tables import HeldLine, MemoryTables, StockRecord, utc
from crossdock.integration.store.schema import from_scaled, to_scaled


def _line(held: HeldLine) -> ReservationLine:
    return ReservationLine(
        line_no=held.line_no,
        sku=held.sku,
        location=held.location,
        quantity=from_scaled(held.quantity),
    )


def _position(key: tuple[str, str], record: StockRecord) -> InventoryPosition:
    sku, location = key
    return InventoryPosition(
        sku=sku,
        location=location,
        on_hand=from_scaled(record.on_hand),
        reserved=from_scaled(record.reserved),
        safety_stock=from_scaled(record.safety_stock),
    )


class MemoryInventoryRepository:
    """Stock positions and reservations; reservations are atomic."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def upsert_positions(self, positions: Sequence[InventoryPosition], now: datetime) -> list[str]:
        raised: list[str] = []
        for position in positions:
            key = (position.sku, position.location)
            on_hand, safety = to_scaled(position.on_hand), to_scaled(position.safety_stock)
            current = self.t.inventory.get(key)
            if current is None:
                self.t.inventory.put(
                    key,
                    StockRecord(
                        on_hand=on_hand, reserved=0, safety_stock=safety, updated_at=utc(now)
                    ),
                )
                raised.append(f"{position.sku}@{position.location}")
                continue
            if (current.on_hand, current.safety_stock) == (on_hand, safety):
                continue
            if on_hand - safety > current.on_hand - current.safety_stock:
                raised.append(f"{position.sku}@{position.location}")
            self.t.inventory.put(
                key, replace(current, on_hand=on_hand, safety_stock=safety, updated_at=utc(now))
            )
        return raised

    def reserve(self, order_id: str, lines: Sequence[ReservationLine]) -> bool:
        wanted: dict[tuple[str, str], int] = {}
        for line in lines:
            key = (line.sku, line.location)
            wanted[key] = wanted.get(key, 0) + to_scaled(line.quantity)
        # Every position is checked before any changes: one short SKU leaves all of them as
        # they were, which is what the SQL adapter's savepoint achieves.
        checked: list[tuple[tuple[str, str], StockRecord, int]] = []
        for key, quantity in wanted.items():
            position = self.t.inventory.get(key)
            if position is None:
                return False
            if position.on_hand - position.reserved - position.safety_stock < quantity:
                return False
            checked.append((key, position, quantity))
        held = self.t.reservations.get(order_id) or ()
        line_nos = [line.line_no for line in lines] + [line.line_no for line in held]
        if len(set(line_nos)) != len(line_nos):
            # A programming error, refused before anything changes (SQL: a unique key, checked
            # once the stock is known to suffice, as here).
            raise ValueError(f"order {order_id} would hold a reservation line twice: {line_nos}")
        for key, position, quantity in checked:
            self.t.inventory.put(key, replace(position, reserved=position.reserved + quantity))
        new = tuple(
            HeldLine(
                line_no=line.line_no,
                sku=line.sku,
                location=line.location,
                quantity=to_scaled(line.quantity),
            )
            for line in lines
        )
        if new:
            by_line = sorted((*held, *new), key=lambda line: line.line_no)
            self.t.reservations.put(order_id, tuple(by_line))
        return True

    def release(self, order_id: str) -> list[ReservationLine]:
        held = self.t.reservations.get(order_id) or ()
        for line in held:
            key = (line.sku, line.location)
            position = self.t.inventory.get(key)
            if position is not None:
                reserved = max(position.reserved - line.quantity, 0)
                self.t.inventory.put(key, replace(position, reserved=reserved))
        self.t.reservations.delete(order_id)
        return [_line(line) for line in held if line.quantity > 0]

    def consume(self, order_id: str, lines: Sequence[ReservationLine]) -> None:
        held = {line.line_no: line for line in self.t.reservations.get(order_id) or ()}
        for line in lines:
            shipped = to_scaled(line.quantity)
            reservation = held.get(line.line_no)
            from_reservation = min(shipped, reservation.quantity) if reservation else 0
            key = (line.sku, line.location)
            position = self.t.inventory.get(key)
            if position is not None:
                self.t.inventory.put(
                    key,
                    replace(
                        position,
                        on_hand=position.on_hand - shipped,
                        reserved=position.reserved - from_reservation,
                    ),
                )
            if reservation is not None:
                # Kept (at zero, when all of it shipped), as the SQL adapter keeps the row; read
                # afresh by the next line that names the same line number.
                held[line.line_no] = replace(
                    reservation, quantity=reservation.quantity - from_reservation
                )
        if held:
            self.t.reservations.put(order_id, tuple(held[n] for n in sorted(held)))

    def positions(
        self, skus: Sequence[str], location: str | None = None
    ) -> list[InventoryPosition]:
        wanted = set(skus)
        if location is not None:
            keys = [(sku, location) for sku in wanted if (sku, location) in self.t.inventory]
        else:
            keys = [key for key in self.t.inventory if key[0] in wanted]
        return [_position(key, self.t.inventory[key]) for key in sorted(keys)]

    def position_page(
        self,
        *,
        sku: str | None = None,
        location: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int = 100,
    ) -> list[InventoryPosition]:
        matching = (
            _position(key, record)
            for key, record in sorted(self.t.inventory.items())
            if (sku is None or key[0] == sku)
            and (location is None or key[1] == location)
            and (after is None or key > after)
        )
        return list(islice(matching, max(limit, 0)))

    def reserved_for(self, order_id: str) -> list[ReservationLine]:
        return [_line(line) for line in self.t.reservations.get(order_id) or ()]

    def changed_between(self, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        start, end = utc(since), utc(until)
        changed = [
            (f"{sku}@{location}", record.updated_at)
            for (sku, location), record in self.t.inventory.items()
            if start <= record.updated_at < end
        ]
        return sorted(changed, key=lambda item: (item[1], item[0]))
