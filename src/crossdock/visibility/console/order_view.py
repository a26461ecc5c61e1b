"""What the console's order page draws: the timeline as swimlanes, one per system, each entry linked
to the entry that caused it (its lineage), and where the order stands in the lifecycle state
machine.

All are computed from data the engine already keeps: the timeline the store records, and the
transition table in :mod:`crossdock.core.lifecycle` that every workflow step is guarded by, so
the drawing can never disagree with the machine the workflow obeys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crossdock.core.lifecycle import TERMINAL, TRANSITIONS
from crossdock.core.order import OrderStatus
from crossdock.orchestration.lineage import causes
from crossdock.orchestration.store import TimelineEntry

HUB_LANE = "crossdock"
"""The lane of timeline entries that belong to no external system (decisions, timers …)."""

SIDE_STATES: tuple[OrderStatus, ...] = (OrderStatus.ON_HOLD, OrderStatus.CANCELLED)
"""States off the main path: entered from many states, drawn apart."""


@dataclass(frozen=True, slots=True)
class LaneRow:
    """One timeline entry, placed in its lane (``column``) of the swimlane grid."""

    column: int
    lane: str
    entry: TimelineEntry
    cause: TimelineEntry | None = None
    """The entry that caused this one, when the order's timeline holds it
    (:func:`~crossdock.orchestration.lineage.causes`)."""


@dataclass(frozen=True, slots=True)
class Swimlanes:
    """An order's timeline, one lane per system, entries in time order (one row each)."""

    lanes: tuple[str, ...]
    rows: tuple[LaneRow, ...]

    @classmethod
    def of(cls, timeline: Sequence[TimelineEntry]) -> Swimlanes:
        """Lanes in the order systems first appear, the hub's own lane first."""
        ordered = sorted(timeline, key=lambda e: (e.at, e.entry_id))
        caused_by = causes(ordered)
        lanes: list[str] = [HUB_LANE]
        for entry in ordered:
            lane = entry.system or HUB_LANE
            if lane not in lanes:
                lanes.append(lane)
        rows = tuple(
            LaneRow(column=lanes.index(e.system or HUB_LANE), lane=e.system or HUB_LANE, entry=e)
            for e in ordered
        )
        used = {row.lane for row in rows}
        kept = tuple(lane for lane in lanes if lane in used)
        return cls(
            lanes=kept,
            rows=tuple(
                LaneRow(
                    column=kept.index(r.lane),
                    lane=r.lane,
                    entry=r.entry,
                    cause=caused_by.get(r.entry.entry_id),
                )
                for r in rows
            ),
        )


@dataclass(frozen=True, slots=True)
class StateNode:
    """One lifecycle state as the order page draws it."""

    status: OrderStatus
    current: bool
    reached: bool
    """Before the current state on the main path (or the state a held order was held in)."""
    next_states: tuple[OrderStatus, ...]
    terminal: bool


def main_path() -> tuple[OrderStatus, ...]:
    """The lifecycle's states but the side states, in the order an order passes them: each state
    after every state that leads to it (the transition table read breadth first)."""
    order: list[OrderStatus] = [OrderStatus.RECEIVED]
    frontier = [OrderStatus.RECEIVED]
    while frontier:
        following: list[OrderStatus] = []
        for state in frontier:
            for target in sorted(TRANSITIONS[state], key=list(OrderStatus).index):
                if target not in order and target not in SIDE_STATES:
                    order.append(target)
                    following.append(target)
        frontier = following
    return tuple(order)


def lifecycle(status: OrderStatus, held_from: OrderStatus | None = None) -> list[StateNode]:
    """Every lifecycle state, main path then side states, with the order's place marked."""
    path = main_path()
    anchor = held_from if status is OrderStatus.ON_HOLD and held_from else status
    reached_until = path.index(anchor) if anchor in path else -1
    nodes = [
        StateNode(
            status=state,
            current=state is status,
            reached=index < reached_until or (state is anchor and anchor is not status),
            next_states=tuple(sorted(TRANSITIONS[state], key=list(OrderStatus).index)),
            terminal=state in TERMINAL,
        )
        for index, state in enumerate(path)
    ]
    nodes += [
        StateNode(
            status=state,
            current=state is status,
            reached=False,
            next_states=tuple(sorted(TRANSITIONS[state], key=list(OrderStatus).index)),
            terminal=state in TERMINAL,
        )
        for state in SIDE_STATES
    ]
    return nodes
