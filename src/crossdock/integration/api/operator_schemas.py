"""The operator API's request documents: filters over the exception queue, triage, retry and
replay, pausing and resuming a system.

Like the order documents (:mod:`.schemas`), they refuse unknown fields: a misspelt filter or option
is an error naming it, never silently ignored. Times must carry a timezone.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from crossdock.integration.api.schemas import RequestDocument
from crossdock.orchestration.store_ops import ExceptionQuery, ExceptionStatus

API_OPERATOR = "api"
"""Who acts when a request does not say (``by``)."""

By = Annotated[
    str,
    Field(min_length=1, description="Who acts; recorded on the order's timeline"),
]
Tag = Annotated[str, Field(min_length=1)]
ReplayableStatus = Literal["open", "assigned", "replayed"]
"""A resolved exception is never replayed."""


class ExceptionCriteria(RequestDocument):
    """What the exception list and a replay filter on; every criterion given narrows it."""

    system: str | None = None
    """The target system (``crossdock`` for a step that failed in the hub itself)."""
    operation: str | None = None
    """The delivery's operation (``create_sales_order`` …) or the failing message's kind."""
    order_id: str | None = None
    partner: str | None = None
    """The order's channel or its customer id."""
    error_type: str | None = None
    """``http_422``, ``http_503``, ``timeout``, ``mapping`` …"""
    classification: Literal["permanent", "exhausted", "step"] | None = None
    tag: str | None = None
    assignee: str | None = None
    since: AwareDatetime | None = None
    """Last seen at or after this time (ISO 8601 with a timezone)."""
    until: AwareDatetime | None = None
    """Last seen before this time (ISO 8601 with a timezone)."""

    def query(
        self, statuses: tuple[ExceptionStatus, ...], *, limit: int, offset: int = 0
    ) -> ExceptionQuery:
        """The store's query for these criteria."""
        return ExceptionQuery(
            statuses=statuses,
            system=self.system,
            operation=self.operation,
            order_id=self.order_id,
            partner=self.partner,
            error_type=self.error_type,
            classification=self.classification,
            tag=self.tag,
            assignee=self.assignee,
            since=self.since,
            until=self.until,
            limit=limit,
            offset=offset,
        )


class ExceptionFilter(ExceptionCriteria):
    """The query string of ``GET /exceptions``."""

    status: list[ExceptionStatus] = Field(default_factory=list)
    """Any of these statuses (repeat the parameter); every status when none is given."""
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)

    def to_query(self) -> ExceptionQuery:
        """The store's query."""
        return self.query(tuple(self.status), limit=self.limit, offset=self.offset)


class ReplayFilter(ExceptionCriteria):
    """Which exceptions a replay takes."""

    status: list[ReplayableStatus] = Field(default_factory=list)
    """Any of these statuses; open and assigned when none is given."""


class AssignRequest(RequestDocument):
    """Give an exception to someone."""

    assignee: str
    """Who works on it; an empty string gives it back to the queue."""
    by: By = API_OPERATOR


class TagRequest(RequestDocument):
    """Add and remove tags on an exception."""

    add: list[Tag] = Field(default_factory=list)
    remove: list[Tag] = Field(default_factory=list)
    by: By = API_OPERATOR


class ResolveRequest(RequestDocument):
    """Close an exception: someone dealt with it; nothing is sent."""

    note: str = ""
    by: By = API_OPERATOR


class RetryRequest(RequestDocument):
    """Send an exception's delivery again, as stored or corrected."""

    request: dict[str, Any] | None = None
    """The corrected command (the exception's ``request`` with fields changed); null sends the
    stored one. Its operation, system, order and idempotency key cannot change."""
    dry_run: bool = False
    """Say what would be sent, change nothing."""
    by: By = API_OPERATOR


class ReplayRequest(RequestDocument):
    """Replay every exception a filter matches."""

    filter: ReplayFilter = Field(default_factory=ReplayFilter)
    dry_run: bool = True
    """The default: say, for each exception, what would be sent or skipped; change nothing."""
    by: By = API_OPERATOR
    limit: int = Field(100, ge=1, le=1000)
    """At most this many exceptions, most recently seen first."""

    def to_query(self) -> ExceptionQuery:
        """The store's query."""
        return self.filter.query(tuple(self.filter.status), limit=self.limit)


class PauseRequest(RequestDocument):
    """Stop sending to a system; its deliveries wait in its queue."""

    by: By = API_OPERATOR
    reason: str = ""


class ResumeRequest(RequestDocument):
    """Send to a system again; its backlog drains in order."""

    by: By = API_OPERATOR
