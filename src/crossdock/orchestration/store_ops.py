"""The store port's operational side: exceptions, bindings and the shared state of each system.

These rows are what operators work with (D4, D5): the exception queue they triage and replay, the
bindings between our ids and each system's ids that stop a replay from creating twice, and the
per-system state (circuit breaker, rate-limit tokens, pause) that every worker shares through the
database, so that the breaker opens once for the whole cluster, not once per worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

ExceptionStatus = Literal["open", "assigned", "resolved", "replayed"]
EXCEPTION_STATUSES: tuple[ExceptionStatus, ...] = ("open", "assigned", "resolved", "replayed")
UNSETTLED: tuple[ExceptionStatus, ...] = ("open", "assigned")
"""Statuses of an exception someone still has to act on."""
REOPENABLE: tuple[ExceptionStatus, ...] = ("open", "assigned", "replayed")
"""Statuses of an exception that a new failure of the same delivery or message reopens."""

HUB_SYSTEM = "crossdock"
"""The system an exception names when a step failed in the hub itself."""

BreakerState = Literal["closed", "open", "half_open"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionRecord:
    """Something that cannot succeed without a person: a failed delivery or a failing step."""

    exception_id: str
    order_id: str
    system: str
    """The target system; ``crossdock`` for a step that failed in the hub itself."""
    operation: str
    """The delivery's operation, or the kind of the message a step failed on."""
    source: Literal["delivery", "step", "partner", "sla"]
    delivery_id: str = ""
    message_id: int | None = None
    request: dict[str, Any] = field(default_factory=dict)
    """What was sent (a delivery's command) or applied (a step's message)."""
    error: str = ""
    error_type: str = ""
    """A short code to filter by: ``http_422``, ``http_503``, ``timeout``, ``mapping`` …"""
    classification: Literal["permanent", "exhausted", "step"] = "permanent"
    attempts: int = 0
    first_seen: datetime
    last_seen: datetime
    status: ExceptionStatus = "open"
    assignee: str = ""
    tags: tuple[str, ...] = ()
    channel: str = ""
    customer_id: str = ""
    note: str = ""
    replays: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionQuery:
    """A filter over the exception queue; every field narrows it, None leaves it open."""

    statuses: tuple[ExceptionStatus, ...] = ()
    system: str | None = None
    operation: str | None = None
    order_id: str | None = None
    partner: str | None = None
    """The order's channel or its customer id."""
    error_type: str | None = None
    classification: str | None = None
    tag: str | None = None
    assignee: str | None = None
    since: datetime | None = None
    """Last seen at or after."""
    until: datetime | None = None
    """Last seen before."""
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionChange:
    """What an operator changes on an exception; None leaves a field as it is."""

    status: ExceptionStatus | None = None
    assignee: str | None = None
    tags: tuple[str, ...] | None = None
    note: str | None = None
    request: dict[str, Any] | None = None
    replays: int | None = None


class ExceptionRepository(Protocol):
    """The exception queue."""

    def raise_exception(self, record: ExceptionRecord) -> ExceptionRecord:
        """Record an exception, or reopen the one for the same delivery (or the same failing
        message of an order) that is not resolved, bringing it up to date (attempts, error, last
        seen) instead of adding a second; returns what is stored."""
        ...

    def get(self, exception_id: str) -> ExceptionRecord | None:
        """One exception."""
        ...

    def search(self, query: ExceptionQuery) -> list[ExceptionRecord]:
        """Exceptions matching ``query``, most recently seen first."""
        ...

    def change(
        self, exception_id: str, change: ExceptionChange, now: datetime
    ) -> ExceptionRecord | None:
        """Apply an operator's change; None when there is no such exception."""
        ...

    def counts(self) -> dict[str, dict[str, int]]:
        """Exceptions per system and status."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Binding:
    """Our order's id in another system: a sales order number, a fulfilment id, an invoice."""

    order_id: str
    system: str
    kind: str
    """``sales_order``, ``fulfilment``, ``invoice:<our invoice id>``; ``shipment:<id>`` and
    ``tracking:<id>`` for what a confirmed shipment carries (indexed for search, never sent)."""
    external_id: str
    bound_at: datetime


class BindingRepository(Protocol):
    """Our ids and every system's ids for the same thing."""

    def bind(self, binding: Binding) -> bool:
        """Record a binding; False when the order already has one of this kind in that system."""
        ...

    def for_order(self, order_id: str) -> list[Binding]:
        """Every binding of an order."""
        ...

    def lookup(self, system: str, kind: str, external_id: str) -> str | None:
        """The order a system's id belongs to."""
        ...

    def get(self, order_id: str, system: str, kind: str) -> Binding | None:
        """The order's binding of one kind in one system."""
        ...

    def find(self, external_id: str, limit: int = 20) -> list[Binding]:
        """Every binding whose id in its system is ``external_id``, whatever the system and kind
        (an operator searching by a number someone read out), oldest first."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemState:
    """What every worker knows about one external system."""

    system: str
    breaker: BreakerState = "closed"
    consecutive_failures: int = 0
    window_started_at: datetime | None = None
    window_calls: int = 0
    window_failures: int = 0
    opened_at: datetime | None = None
    probe_at: datetime | None = None
    """When an open breaker lets one probe through (half-open)."""
    throttled_until: datetime | None = None
    """The system said ``Retry-After``: nothing is sent to it before this."""
    tokens: float = 0.0
    tokens_at: datetime | None = None
    paused: bool = False
    paused_by: str = ""
    paused_reason: str = ""
    changed_at: datetime | None = None
    last_change: str = ""
    """Why the breaker or the pause last changed, for ``systems status`` and the console."""


class SystemStateRepository(Protocol):
    """The shared state of each external system."""

    def get(self, system: str, *, for_update: bool = False) -> SystemState:
        """The system's state (a closed breaker when none is stored). ``for_update`` locks it
        until the transaction ends, so workers take turns changing it."""
        ...

    def save(self, state: SystemState) -> None:
        """Store the system's state."""
        ...

    def all(self) -> list[SystemState]:
        """Every stored system state."""
        ...


def exception_matches(record: ExceptionRecord, query: ExceptionQuery) -> bool:
    """Whether ``record`` passes ``query`` (the in-memory adapter's filter; SQL mirrors it)."""
    checks: Sequence[bool] = (
        not query.statuses or record.status in query.statuses,
        query.system is None or record.system == query.system,
        query.operation is None or record.operation == query.operation,
        query.order_id is None or record.order_id == query.order_id,
        query.partner is None or query.partner in (record.channel, record.customer_id),
        query.error_type is None or record.error_type == query.error_type,
        query.classification is None or record.classification == query.classification,
        query.tag is None or query.tag in record.tags,
        query.assignee is None or record.assignee == query.assignee,
        query.since is None or record.last_seen >= query.since,
        query.until is None or record.last_seen < query.until,
    )
    return all(checks)


ERROR_LIMIT = 2000
"""Stored error texts are cut to this many characters."""


def reopened(current: ExceptionRecord, failure: ExceptionRecord) -> ExceptionRecord:
    """``current`` brought up to date by a new ``failure`` of the same delivery or message."""
    return replace(
        current,
        request=failure.request,
        error=failure.error[:ERROR_LIMIT],
        error_type=failure.error_type,
        classification=failure.classification,
        attempts=current.attempts + failure.attempts,
        last_seen=failure.last_seen,
        updated_at=failure.last_seen,
        status="assigned" if current.assignee else "open",
    )


def same_failure(current: ExceptionRecord, failure: ExceptionRecord) -> bool:
    """Whether ``failure`` reopens ``current`` rather than raising a second exception."""
    if current.status not in REOPENABLE or current.order_id != failure.order_id:
        return False
    if current.source != failure.source:
        return False
    if failure.source == "delivery":
        return current.delivery_id == failure.delivery_id
    return current.operation == failure.operation


def changed(record: ExceptionRecord, change: ExceptionChange, now: datetime) -> ExceptionRecord:
    """``record`` with an operator's ``change`` applied (tags kept unique, in order)."""
    values: dict[str, Any] = {
        name: value for name, value in asdict(change).items() if value is not None
    }
    if "tags" in values:
        values["tags"] = tuple(dict.fromkeys(values["tags"]))
    return replace(record, **values, updated_at=now)
