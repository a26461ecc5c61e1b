"""The order lifecycle table (ARCHITECTURE §5), written out by hand so the code can be wrong."""

from __future__ import annotations

import itertools

import pytest

from crossdock.core.errors import BusinessRuleViolation, IllegalTransition
from crossdock.core.lifecycle import (
    CANCELLABLE,
    TERMINAL,
    TRANSITIONS,
    can_transition,
    require_transition,
)
from crossdock.core.order import OrderStatus

S = OrderStatus

OPEN = {
    S.RECEIVED,
    S.VALIDATED,
    S.BACKORDERED,
    S.RESERVED,
    S.ROUTED,
    S.BOOKED,
    S.RELEASED,
    S.PARTIALLY_SHIPPED,
    S.SHIPPED,
    S.INVOICED,
}

ALLOWED: dict[OrderStatus, set[OrderStatus]] = {
    S.RECEIVED: {S.VALIDATED, S.ON_HOLD, S.CANCELLED},
    S.VALIDATED: {S.RESERVED, S.BACKORDERED, S.ON_HOLD, S.CANCELLED},
    S.BACKORDERED: {S.RESERVED, S.ON_HOLD, S.CANCELLED},
    S.RESERVED: {S.ROUTED, S.ON_HOLD, S.CANCELLED},
    S.ROUTED: {S.BOOKED, S.ON_HOLD, S.CANCELLED},
    S.BOOKED: {S.RELEASED, S.ON_HOLD, S.CANCELLED},
    S.RELEASED: {S.PARTIALLY_SHIPPED, S.SHIPPED, S.ON_HOLD, S.CANCELLED},
    S.PARTIALLY_SHIPPED: {S.SHIPPED, S.ON_HOLD},
    S.SHIPPED: {S.INVOICED, S.ON_HOLD},
    S.INVOICED: {S.CLOSED, S.ON_HOLD},
    S.ON_HOLD: OPEN | {S.CANCELLED},
    S.CLOSED: set(),
    S.CANCELLED: set(),
}

PAIRS = [(current, target) for current, target in itertools.product(S, S) if current != target]


def test_the_table_names_every_status() -> None:
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize(
    ("current", "target"), [p for p in PAIRS if p[1] in ALLOWED[p[0]]], ids=str
)
def test_allowed_transition_passes_the_guard(current: OrderStatus, target: OrderStatus) -> None:
    assert can_transition(current, target)
    require_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"), [p for p in PAIRS if p[1] not in ALLOWED[p[0]]], ids=str
)
def test_forbidden_transition_is_refused_by_the_guard(
    current: OrderStatus, target: OrderStatus
) -> None:
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransition) as refused:
        require_transition(current, target, "because")
    assert refused.value.current == current.value
    assert refused.value.target == target.value
    assert str(refused.value) == f"cannot move an order from {current} to {target}: because"


def test_an_illegal_transition_is_a_business_rule_violation() -> None:
    assert issubclass(IllegalTransition, BusinessRuleViolation)


@pytest.mark.parametrize("status", list(S), ids=str)
def test_staying_in_the_same_status_is_allowed(status: OrderStatus) -> None:
    require_transition(status, status)


def test_closed_and_cancelled_are_the_terminal_states_with_no_way_out() -> None:
    assert {S.CLOSED, S.CANCELLED} == TERMINAL
    for terminal in TERMINAL:
        assert not TRANSITIONS[terminal]


def test_every_open_state_can_be_put_on_hold_and_return_from_it() -> None:
    for status in OPEN:
        assert can_transition(status, S.ON_HOLD)
        assert can_transition(S.ON_HOLD, status)
    assert not can_transition(S.ON_HOLD, S.CLOSED)


def test_orders_are_cancellable_only_until_something_ships() -> None:
    assert {
        S.RECEIVED,
        S.VALIDATED,
        S.BACKORDERED,
        S.RESERVED,
        S.ROUTED,
        S.BOOKED,
        S.RELEASED,
        S.ON_HOLD,
    } == CANCELLABLE
