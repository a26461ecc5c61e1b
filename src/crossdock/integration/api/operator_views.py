"""What the operator API answers: exceptions, replays, systems and an order's bindings.

Each view is built from what a desk returns by its ``of`` constructor. Views refuse fields they do
not declare, so a field added to a record without its view fails the API tests instead of going
missing from the answer.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from crossdock.orchestration.exception_desk import ReplayItem, ReplayReport
from crossdock.orchestration.store_ops import (
    Binding,
    BreakerState,
    ExceptionRecord,
    ExceptionStatus,
)
from crossdock.orchestration.system_desk import SystemStatus


class View(BaseModel):
    """Base of the operator views: every field of the record, nothing else."""

    model_config = ConfigDict(extra="forbid")


class ExceptionView(View):
    """One exception: a failed delivery or a failing step, and what operators did with it."""

    exception_id: str
    order_id: str
    system: str
    """The target system; ``crossdock`` for a step that failed in the hub itself."""
    operation: str
    source: Literal["delivery", "step", "partner", "sla"]
    delivery_id: str
    message_id: int | None
    request: dict[str, Any]
    """What was sent (a delivery's command) or applied (a step's message)."""
    error: str
    error_type: str
    classification: Literal["permanent", "exhausted", "step"]
    attempts: int
    first_seen: datetime
    last_seen: datetime
    status: ExceptionStatus
    assignee: str
    tags: list[str]
    channel: str
    customer_id: str
    note: str
    replays: int
    updated_at: datetime | None

    @classmethod
    def of(cls, record: ExceptionRecord) -> ExceptionView:
        """The view of a stored exception."""
        return cls(**asdict(record))


class ExceptionList(BaseModel):
    """Exceptions matching a filter, most recently seen first."""

    items: list[ExceptionView]
    count: int
    """How many items this answer holds (page on with ``offset``)."""


class ReplayItemView(View):
    """What a retry or replay does (or, in a dry run, would do) with one exception."""

    exception_id: str
    order_id: str
    system: str
    operation: str
    action: Literal["send", "skip"]
    reason: str
    """Why: what is sent again, or what made it a skip (``already done: …``)."""
    request: dict[str, Any]
    """What is (or would be) sent."""

    @classmethod
    def of(cls, item: ReplayItem) -> ReplayItemView:
        """The view of one replay decision."""
        return cls(**asdict(item))


class ReplayReportView(View):
    """The result of a replay by filter."""

    dry_run: bool
    to_send: int
    skipped: int
    items: list[ReplayItemView]

    @classmethod
    def of(cls, report: ReplayReport) -> ReplayReportView:
        """The view of a replay's report."""
        return cls(
            dry_run=report.dry_run,
            to_send=report.to_send,
            skipped=report.skipped,
            items=[ReplayItemView.of(item) for item in report.items],
        )


class SystemStatusView(View):
    """One external system: its circuit breaker, pause, backlog and open exceptions."""

    system: str
    breaker: BreakerState
    paused: bool
    paused_by: str
    paused_reason: str
    throttled_until: datetime | None
    """The system asked for a pause (``Retry-After``): nothing goes before this."""
    probe_at: datetime | None
    """When an open circuit lets one probe through."""
    consecutive_failures: int
    changed_at: datetime | None
    last_change: str
    """Why the breaker or the pause last changed."""
    pending: int
    """Deliveries waiting (the backlog), the ones in flight included."""
    in_flight: int
    failed: int
    open_exceptions: int
    concurrency: int
    rate_limit_per_s: float

    @classmethod
    def of(cls, status: SystemStatus) -> SystemStatusView:
        """The view of a system's status."""
        return cls(**asdict(status))


class BindingView(View):
    """Our order's id in another system."""

    system: str
    kind: str
    """``sales_order``, ``fulfilment``, ``invoice:<our invoice id>``."""
    external_id: str
    bound_at: datetime

    @classmethod
    def of(cls, binding: Binding) -> BindingView:
        """The view of a stored binding (the order id is the resource's own)."""
        return cls(
            system=binding.system,
            kind=binding.kind,
            external_id=binding.external_id,
            bound_at=binding.bound_at,
        )
