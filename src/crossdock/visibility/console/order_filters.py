"""What the console's orders page lists: the filters an operator set, read from the page's URL.

Filters combine (every one given must hold). The list is read one page of :data:`PAGE_SIZE`
orders at a time, in order id order, with keyset paging: the next page starts after the last
order id shown, so an order appears once across pages even while new orders arrive. Received
dates are UTC days, both ends included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from crossdock.core.order import OrderStatus
from crossdock.orchestration.store import OrderQuery, OrderRow
from crossdock.visibility.console.views import PREFIX

PAGE_SIZE = 50
"""Orders per page of the list."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilters:
    """The orders page's filters; each one left empty places no limit."""

    status: OrderStatus | None = None
    channel: str = ""
    """The channel the order came in on (``storefront``, ``edi``…), exactly."""
    customer: str = ""
    """The customer id, exactly."""
    received_from: date | None = None
    """The first UTC day whose orders are listed."""
    received_to: date | None = None
    """The last UTC day whose orders are listed."""

    @classmethod
    def parse(
        cls, *, status: str, channel: str, customer: str, received_from: str, received_to: str
    ) -> tuple[OrderFilters, list[str]]:
        """The filters the page's query names, and a sentence for each one that could not be
        read (and is left out): an unknown status is left out silently, as the form never
        sends one."""
        problems: list[str] = []

        def day(value: str, name: str) -> date | None:
            if not value.strip():
                return None
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                problems.append(f"“{value}” is not a date (YYYY-MM-DD): {name} is left out.")
                return None

        statuses = {s.value: s for s in OrderStatus}
        filters = cls(
            status=statuses.get(status.strip()),
            channel=channel.strip(),
            customer=customer.strip(),
            received_from=day(received_from, "received from"),
            received_to=day(received_to, "received to"),
        )
        return filters, problems

    def query(self, *, after: str | None = None, limit: int = PAGE_SIZE) -> OrderQuery:
        """The store query of one page: orders whose id sorts after ``after``."""
        return OrderQuery(
            status=self.status.value if self.status else None,
            channel=self.channel or None,
            customer_id=self.customer or None,
            received_from=_midnight(self.received_from),
            received_until=_midnight(self.received_to, days_after=1),
            limit=limit,
            after=after or None,
        )

    def admits(self, row: OrderRow) -> bool:
        """Whether ``row`` passes every filter (for search results, found another way)."""
        since = _midnight(self.received_from)
        until = _midnight(self.received_to, days_after=1)
        return (
            (self.status is None or row.status is self.status)
            and (not self.channel or row.channel == self.channel)
            and (not self.customer or row.customer_id == self.customer)
            and (since is None or row.received_at >= since)
            and (until is None or row.received_at < until)
        )

    def fields(self) -> dict[str, str]:
        """The filters as the page's form fields, the empty ones included."""
        return {
            "status": self.status.value if self.status else "",
            "channel": self.channel,
            "customer": self.customer,
            "received_from": self.received_from.isoformat() if self.received_from else "",
            "received_to": self.received_to.isoformat() if self.received_to else "",
        }

    def link(self, *, after: str = "") -> str:
        """The orders page with these filters, from the first page or the one after ``after``."""
        wanted = {name: value for name, value in self.fields().items() if value}
        if after:
            wanted["after"] = after
        return f"{PREFIX}/orders?{urlencode(wanted)}" if wanted else f"{PREFIX}/orders"


def _midnight(day: date | None, *, days_after: int = 0) -> datetime | None:
    """The UTC midnight starting ``day`` (or the day ``days_after`` it); None for none, or
    past the calendar's last day (no limit then)."""
    if day is None:
        return None
    try:
        return datetime.combine(day + timedelta(days=days_after), time.min, tzinfo=UTC)
    except OverflowError:
        return None
