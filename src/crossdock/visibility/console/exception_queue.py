"""The exception queue as the console lists it: the filters an operator sets in the URL, and one
page of what matches them, with links to the pages either side that keep the filters.

Pages hold :data:`PAGE_SIZE` exceptions, most recently seen first (ties broken by id, so paging
through a queue that does not change shows each exception once). The total is shown when the desk's
per-system, per-status counts give it for free: filtered by status and system only. Any other
filter would need a count query of its own, so the page then says only whether there is a next one
(it reads one exception more than it shows).

A replay by filter takes what the filtered queue lists (:func:`replay_scope`), unsettled ones only,
at most :data:`REPLAY_CAP` at a time, and says when more match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from crossdock.orchestration.exception_desk import ExceptionDesk
from crossdock.orchestration.store_ops import (
    EXCEPTION_STATUSES,
    UNSETTLED,
    ExceptionQuery,
    ExceptionRecord,
    ExceptionStatus,
)
from crossdock.visibility.console.views import PREFIX

PAGE_SIZE = 50
"""Exceptions on one page of the queue."""
LAST_PAGE = 10_000
"""The furthest page the queue goes to (half a million exceptions in); a larger number reads as
the first page, as anything else that is not a page number does."""
REPLAY_CAP = 200
"""The most exceptions one replay by filter takes (the most recently seen first)."""
FILTERS = ("status", "system", "order_id", "error_type", "tag", "assignee")
"""The query parameters that narrow the queue (``status`` empty: the unsettled ones)."""
REPLAYABLE: tuple[ExceptionStatus, ...] = tuple(s for s in EXCEPTION_STATUSES if s != "resolved")
"""The statuses a replay by filter takes when the queue is filtered to one of them."""


def exception_filter(
    source: Mapping[str, str], *, limit: int = 200, offset: int = 0
) -> ExceptionQuery:
    """The query the filters in ``source`` (a query string or a form) describe; an empty field
    leaves its filter open, an empty ``status`` (or one the queue does not know) means open and
    assigned."""

    def given(name: str) -> str | None:
        return source.get(name, "").strip() or None

    status = source.get("status", "").strip()
    statuses: tuple[ExceptionStatus, ...] = (
        tuple(s for s in EXCEPTION_STATUSES if s == status) or UNSETTLED
    )
    return ExceptionQuery(
        statuses=statuses,
        system=given("system"),
        order_id=given("order_id"),
        error_type=given("error_type"),
        tag=given("tag"),
        assignee=given("assignee"),
        limit=limit,
        offset=offset,
    )


def page_number(source: Mapping[str, str]) -> int:
    """The page ``source`` asks for, from 1 to :data:`LAST_PAGE`; anything else (``²``, ``-1``,
    a number past the last page) reads as the first."""
    text = source.get("page", "").strip()
    # ASCII digits only: str.isdigit() also takes "²" and other digits int() refuses.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LAST_PAGE)):
        return 1
    number = int(text)
    return number if 1 <= number <= LAST_PAGE else 1


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuePage:
    """One page of the exception queue."""

    records: tuple[ExceptionRecord, ...]
    """The exceptions on this page, most recently seen first."""
    number: int
    """This page's number, from 1."""
    more: bool
    """Whether a next page has exceptions."""
    total: int | None
    """Every exception the filters match, when it comes cheap (see the module docstring)."""
    filters: dict[str, str] = field(default_factory=dict)
    """The filters the links to other pages keep (only the non-empty ones)."""

    @property
    def first(self) -> int:
        """The position of this page's first exception in the queue, from 1 (0: none)."""
        return (self.number - 1) * PAGE_SIZE + 1 if self.records else 0

    @property
    def last(self) -> int:
        """The position of this page's last exception in the queue (0: none)."""
        return (self.number - 1) * PAGE_SIZE + len(self.records)

    def url(self, number: int) -> str:
        """The queue's page ``number`` with the same filters."""
        query = {**self.filters, **({"page": str(number)} if number > 1 else {})}
        return f"{PREFIX}/exceptions" + (f"?{urlencode(query)}" if query else "")

    @property
    def previous_url(self) -> str | None:
        """The page before, or None on the first."""
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        """The page after, or None when it would be empty."""
        return self.url(self.number + 1) if self.more else None


def queue_page(desk: ExceptionDesk, source: Mapping[str, str]) -> QueuePage:
    """The page of the queue that ``source`` (the query string) asks for. Blocking: run it with
    the desk's ``run``."""
    number = page_number(source)
    filters = {name: source[name].strip() for name in FILTERS if source.get(name, "").strip()}
    if _unmatchable(source):
        return QueuePage(records=(), number=1, more=False, total=0, filters=filters)
    query = exception_filter(source, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
    found = desk.search(query)
    return QueuePage(
        records=tuple(found[:PAGE_SIZE]),
        number=number,
        more=len(found) > PAGE_SIZE,
        total=_total(desk, query),
        filters=filters,
    )


def _unmatchable(source: Mapping[str, str]) -> bool:
    """Whether a filter holds a NUL character: no exception holds one (the console refuses
    them, and PostgreSQL refuses them in any text, even to compare with)."""
    return any("\x00" in source.get(name, "") for name in FILTERS)


def _total(desk: ExceptionDesk, query: ExceptionQuery) -> int | None:
    narrowed = (query.order_id, query.error_type, query.tag, query.assignee)
    if any(value is not None for value in narrowed):
        return None
    counts = desk.counts()
    systems = [query.system] if query.system is not None else list(counts)
    return sum(
        count
        for system in systems
        for status, count in counts.get(system, {}).items()
        if not query.statuses or status in query.statuses
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayScope:
    """What one replay by filter takes: the unsettled exceptions the queue lists at the same
    filters, at most :data:`REPLAY_CAP` of them, most recently seen first."""

    query: ExceptionQuery | None
    """What the exception desk replays; None when the filters can match nothing it would
    replay (:attr:`why_nothing` says why)."""
    more: bool
    """More than :data:`REPLAY_CAP` match: the replay takes the first ones only."""
    matching: int | None
    """How many match in all, when :attr:`more` and the count comes cheap (see the module
    docstring); None otherwise."""
    why_nothing: str = ""
    """Why the replay takes nothing whatever the queue holds, when it does not (:attr:`query`
    None)."""


def replay_scope(desk: ExceptionDesk, source: Mapping[str, str]) -> ReplayScope:
    """The replay that the filters in ``source`` ask for (the queue's: :data:`FILTERS`). It
    reads one exception past the cap to say whether more match. Blocking: run it with the
    desk's ``run``."""
    if _unmatchable(source):
        return ReplayScope(
            query=None,
            more=False,
            matching=0,
            why_nothing="No exception matches a filter holding a NUL character.",
        )
    query = exception_filter(source, limit=REPLAY_CAP)
    statuses = tuple(s for s in query.statuses if s in REPLAYABLE)
    if not statuses:
        return ReplayScope(
            query=None,
            more=False,
            matching=0,
            why_nothing="Resolved exceptions are never replayed.",
        )
    query = replace(query, statuses=statuses)
    more = bool(desk.search(replace(query, limit=1, offset=REPLAY_CAP)))
    return ReplayScope(query=query, more=more, matching=_total(desk, query) if more else None)
