"""Availability to promise and shortages."""

from __future__ import annotations

from decimal import Decimal

from crossdock.core.inventory import (
    InventoryPosition,
    Reservation,
    ReservationLine,
    ShortLine,
    needed_per_sku,
    shortages,
)

D = Decimal


def position(sku: str, on_hand: str, reserved: str = "0", safety: str = "0") -> InventoryPosition:
    return InventoryPosition(
        sku=sku, location="WH1", on_hand=D(on_hand), reserved=D(reserved), safety_stock=D(safety)
    )


def test_available_is_on_hand_minus_reserved_minus_safety_stock() -> None:
    assert position("A", on_hand="100", reserved="30", safety="10").available == D(60)


def test_available_never_goes_below_zero() -> None:
    assert position("A", on_hand="5", reserved="4", safety="3").available == D(0)


def test_can_reserve_up_to_what_is_available_but_not_into_safety_stock() -> None:
    stock = position("A", on_hand="10", reserved="2", safety="3")
    assert stock.can_reserve(D(5))
    assert not stock.can_reserve(D("5.01"))


def test_needed_per_sku_adds_up_lines_of_the_same_sku() -> None:
    lines = [(1, "A", D(3)), (2, "B", D(1)), (3, "A", D(4))]
    assert needed_per_sku(lines) == {"A": D(7), "B": D(1)}


def test_a_sku_on_two_lines_is_short_when_together_they_exceed_availability() -> None:
    lines = [(1, "A", D(3)), (2, "A", D(4)), (3, "B", D(1))]
    positions = {"A": position("A", on_hand="6"), "B": position("B", on_hand="1")}

    short = shortages(lines, positions)

    assert short == [
        ShortLine(line_no=1, sku="A", wanted=D(3), available=D(6)),
        ShortLine(line_no=2, sku="A", wanted=D(4), available=D(6)),
    ]


def test_no_shortage_when_every_sku_is_covered() -> None:
    lines = [(1, "A", D(3)), (2, "A", D(3))]
    assert shortages(lines, {"A": position("A", on_hand="6")}) == []


def test_a_sku_with_no_position_is_short_with_nothing_available() -> None:
    assert shortages([(1, "Z", D(1))], {}) == [
        ShortLine(line_no=1, sku="Z", wanted=D(1), available=D(0))
    ]


def test_a_reservation_holds_at_the_location_of_its_lines() -> None:
    line = ReservationLine(line_no=1, sku="A", location="WH2", quantity=D(1))
    assert Reservation(order_id="O1", lines=(line,)).location == "WH2"
    assert Reservation(order_id="O1", lines=()).location == ""
