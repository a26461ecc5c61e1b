"""Lineage: which entry of an order's timeline caused which.

Every timeline entry carries the order id as its correlation id and, as its causation id, the id of
what caused it: a message (``msg-<id>``), a delivery, an exception, an operator's replay. This
module reads those ids back into links between entries, for the order page's arrows and the API's
``caused_by``, so an operator can walk from an ERP's refusal back to the storefront message that
started it.
"""

from __future__ import annotations

from collections.abc import Sequence

from crossdock.orchestration.store import TimelineEntry


def refs(entry: TimelineEntry) -> tuple[str, ...]:
    """The ids other entries name as their causation id when this entry caused them.

    An inbound entry is its message (``msg-<id>``, the reference steps and deliveries carry); a
    delivery attempt is its delivery; an attempt that raised an exception is that exception too;
    an operator's replay is the replay the re-armed delivery names; an SLA breach is its
    exception.
    """
    detail = entry.detail
    found: list[str] = []
    if entry.kind == "inbound" and detail.get("message_id") is not None:
        found.append(f"msg-{detail['message_id']}")
    for key in ("delivery_id", "exception_id", "replay"):
        value = detail.get(key)
        if isinstance(value, str) and value:
            found.append(value)
    if entry.kind == "exception" and entry.rule.startswith("sla:"):
        found.append(entry.causation_id)
    return tuple(found)


def causes(timeline: Sequence[TimelineEntry]) -> dict[int, TimelineEntry]:
    """For each entry (by ``entry_id``), the entry that caused it: the latest earlier entry one of
    whose :func:`refs` is its causation id (a delivery's answer follows its last attempt).

    A decision points at the inbound message it decided on, a delivery attempt at that message
    (the decision's cause) or at the replay that re-armed it, an answer at the attempt it
    answers, an operator's action at the exception acted on. An entry whose cause is outside the
    timeline (a stock change, a timer) has none.
    """
    latest_by_ref: dict[str, TimelineEntry] = {}
    found: dict[int, TimelineEntry] = {}
    for entry in sorted(timeline, key=lambda e: (e.at, e.entry_id)):
        cause = latest_by_ref.get(entry.causation_id) if entry.causation_id else None
        if cause is not None and cause.entry_id != entry.entry_id:
            found[entry.entry_id] = cause
        for ref in refs(entry):
            latest_by_ref[ref] = entry
    return found
