"""Stock positions and atomic reservations, in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, tuple_, update

from crossdock.core.inventory import InventoryPosition, ReservationLine
from crossdock.integration.store import schema as t
from crossdock.integration.store.schema import from_scaled, to_scaled
from crossdock.integration.store.sql_repository import SqlRepository

_CONSUME_STOCK = (
    update(t.inventory)
    .where(
        t.inventory.c.sku == bindparam("b_sku"), t.inventory.c.location == bindparam("b_location")
    )
    .values(
        on_hand=t.inventory.c.on_hand - bindparam("b_on_hand"),
        reserved=t.inventory.c.reserved - bindparam("b_reserved"),
    )
)


_CONSUME_RESERVATION = (
    update(t.reservations)
    .where(
        t.reservations.c.order_id == bindparam("b_order_id"),
        t.reservations.c.line_no == bindparam("b_line_no"),
    )
    .values(quantity=t.reservations.c.quantity - bindparam("b_quantity"))
)


def _position(row: Any) -> InventoryPosition:
    return InventoryPosition(
        sku=row.sku,
        location=row.location,
        on_hand=from_scaled(row.on_hand),
        reserved=from_scaled(row.reserved),
        safety_stock=from_scaled(row.safety_stock),
    )


class SqlInventoryRepository(SqlRepository):
    """Stock positions and atomic reservations."""

    def upsert_positions(self, positions: Sequence[InventoryPosition], now: datetime) -> list[str]:
        i = t.inventory
        raised: list[str] = []
        # (sku, location) order: the order reservations lock rows in, so a sync and a step batch
        # wait for each other instead of deadlocking.
        for position in sorted(positions, key=lambda p: (p.sku, p.location)):
            on_hand, safety = to_scaled(position.on_hand), to_scaled(position.safety_stock)
            created = self._insert_ignore(
                i,
                {
                    "sku": position.sku,
                    "location": position.location,
                    "on_hand": on_hand,
                    "reserved": 0,
                    "safety_stock": safety,
                    "updated_at": now,
                },
            )
            if created:
                raised.append(f"{position.sku}@{position.location}")
                continue
            current = self.c.execute(
                select(i.c.on_hand, i.c.safety_stock).where(
                    i.c.sku == position.sku, i.c.location == position.location
                )
            ).one()
            if (current.on_hand, current.safety_stock) == (on_hand, safety):
                continue
            if on_hand - safety > current.on_hand - current.safety_stock:
                raised.append(f"{position.sku}@{position.location}")
            self.c.execute(
                update(i)
                .where(i.c.sku == position.sku, i.c.location == position.location)
                .values(on_hand=on_hand, safety_stock=safety, updated_at=now)
            )
        return raised

    def reserve(self, order_id: str, lines: Sequence[ReservationLine]) -> bool:
        if not lines:
            return True
        i = t.inventory
        wanted: dict[tuple[str, str], int] = {}
        for line in lines:
            key = (line.sku, line.location)
            wanted[key] = wanted.get(key, 0) + to_scaled(line.quantity)
        # A savepoint makes the order all-or-nothing: one short SKU undoes the others.
        savepoint = self.c.begin_nested()
        for (sku, location), quantity in sorted(wanted.items()):
            held = self.c.execute(
                update(i)
                .where(
                    i.c.sku == sku,
                    i.c.location == location,
                    i.c.on_hand - i.c.reserved - i.c.safety_stock >= quantity,
                )
                .values(reserved=i.c.reserved + quantity)
            ).rowcount
            if held != 1:
                savepoint.rollback()
                return False
        self.c.execute(
            insert(t.reservations),
            [
                {
                    "order_id": order_id,
                    "line_no": line.line_no,
                    "sku": line.sku,
                    "location": line.location,
                    "quantity": to_scaled(line.quantity),
                }
                for line in lines
            ],
        )
        savepoint.commit()
        return True

    def reserved_for(self, order_id: str) -> list[ReservationLine]:
        r = t.reservations
        rows = self.c.execute(select(r).where(r.c.order_id == order_id).order_by(r.c.line_no))
        return [
            ReservationLine(
                line_no=row.line_no,
                sku=row.sku,
                location=row.location,
                quantity=from_scaled(row.quantity),
            )
            for row in rows
        ]

    def release(self, order_id: str) -> list[ReservationLine]:
        held = self.reserved_for(order_id)
        i = t.inventory
        for line in held:
            quantity = to_scaled(line.quantity)
            self.c.execute(
                update(i)
                .where(i.c.sku == line.sku, i.c.location == line.location)
                .values(reserved=func.max(i.c.reserved - quantity, 0))
                if self.dialect == "sqlite"
                else update(i)
                .where(i.c.sku == line.sku, i.c.location == line.location)
                .values(reserved=func.greatest(i.c.reserved - quantity, 0))
            )
        self.c.execute(delete(t.reservations).where(t.reservations.c.order_id == order_id))
        return [line for line in held if line.quantity > 0]

    def consume(self, order_id: str, lines: Sequence[ReservationLine]) -> None:
        held = {line.line_no: line for line in self.reserved_for(order_id)}
        for line in lines:
            shipped = to_scaled(line.quantity)
            reservation = held.get(line.line_no)
            from_reservation = min(shipped, to_scaled(reservation.quantity)) if reservation else 0
            if reservation is not None:
                # The same line may be shipped twice in one call: the second takes what is left.
                held[line.line_no] = reservation.model_copy(
                    update={"quantity": reservation.quantity - from_scaled(from_reservation)}
                )
            self.c.execute(
                _CONSUME_STOCK,
                {
                    "b_sku": line.sku,
                    "b_location": line.location,
                    "b_on_hand": shipped,
                    "b_reserved": from_reservation,
                },
            )
            if reservation is not None:
                self.c.execute(
                    _CONSUME_RESERVATION,
                    {
                        "b_order_id": order_id,
                        "b_line_no": line.line_no,
                        "b_quantity": from_reservation,
                    },
                )

    def positions(
        self, skus: Sequence[str], location: str | None = None
    ) -> list[InventoryPosition]:
        i = t.inventory
        statement = select(i).where(i.c.sku.in_(list(skus))).order_by(i.c.sku, i.c.location)
        if location is not None:
            statement = statement.where(i.c.location == location)
        return [_position(row) for row in self.c.execute(statement)]

    def position_page(
        self,
        *,
        sku: str | None = None,
        location: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int = 100,
    ) -> list[InventoryPosition]:
        i = t.inventory
        statement = select(i).order_by(i.c.sku, i.c.location).limit(max(limit, 0))
        if sku is not None:
            statement = statement.where(i.c.sku == sku)
        if location is not None:
            statement = statement.where(i.c.location == location)
        if after is not None:
            statement = statement.where(tuple_(i.c.sku, i.c.location) > after)
        return [_position(row) for row in self.c.execute(statement)]

    def changed_between(self, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        i = t.inventory
        statement = (
            select(i.c.sku, i.c.location, i.c.updated_at)
            .where(i.c.updated_at >= since, i.c.updated_at < until)
            .order_by(i.c.updated_at, i.c.sku, i.c.location)
        )
        return [(f"{row.sku}@{row.location}", row.updated_at) for row in self.c.execute(statement)]
