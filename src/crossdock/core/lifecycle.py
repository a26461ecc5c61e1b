"""The order lifecycle state machine (ARCHITECTURE §5).

The transition table is data, so the console can draw the machine from the same definition the
workflow obeys. :func:`require_transition` is the guard every workflow step goes through.
"""

from __future__ import annotations

from collections.abc import Mapping

from crossdock.core.errors import IllegalTransition
from crossdock.core.order import OrderStatus

S = OrderStatus

#: Which states each state may move to. ``on_hold`` is entered from any open state when an
#: exception waits on a person, and left back to the state the order was held in.
TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    S.RECEIVED: frozenset({S.VALIDATED, S.ON_HOLD, S.CANCELLED}),
    S.VALIDATED: frozenset({S.RESERVED, S.BACKORDERED, S.ON_HOLD, S.CANCELLED}),
    S.BACKORDERED: frozenset({S.RESERVED, S.ON_HOLD, S.CANCELLED}),
    S.RESERVED: frozenset({S.ROUTED, S.ON_HOLD, S.CANCELLED}),
    S.ROUTED: frozenset({S.BOOKED, S.ON_HOLD, S.CANCELLED}),
    S.BOOKED: frozenset({S.RELEASED, S.ON_HOLD, S.CANCELLED}),
    S.RELEASED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.ON_HOLD, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.ON_HOLD}),
    S.SHIPPED: frozenset({S.INVOICED, S.ON_HOLD}),
    S.INVOICED: frozenset({S.CLOSED, S.ON_HOLD}),
    S.ON_HOLD: frozenset(
        {
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
            S.CANCELLED,
        }
    ),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

#: States with nothing left to do.
TERMINAL: frozenset[OrderStatus] = frozenset({S.CLOSED, S.CANCELLED})

#: States from which an order may still be cancelled: nothing has left the warehouse yet.
CANCELLABLE: frozenset[OrderStatus] = frozenset(
    state for state, targets in TRANSITIONS.items() if S.CANCELLED in targets
)


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """Whether the lifecycle allows moving from ``current`` to ``target``."""
    return current == target or target in TRANSITIONS[current]


def require_transition(current: OrderStatus, target: OrderStatus, reason: str = "") -> None:
    """Guard a step: raise :class:`IllegalTransition` unless the move is allowed."""
    if not can_transition(current, target):
        raise IllegalTransition(current.value, target.value, reason)
