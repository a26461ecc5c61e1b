"""Business KPIs computed from the store: cycle times, exceptions, stock latency, invoices, load.

:class:`Kpis` reads through the store's ports, in one read-only unit of work, so every adapter
(memory, SQLite, PostgreSQL) answers the same. The price is a scan: every order still open or
closed in the window is loaded with its timeline and deliveries (orders closed before the window
and orders received after it are skipped), about half a millisecond per order on SQLite
(``crossdock bench kpis``, ``docs/benchmarks.md``). The console's overview and the Prometheus
gauges therefore share :meth:`Kpis.recent`: the last day's report, computed at most once a minute
whoever asks. A larger estate wants SQL aggregates in a read model (``docs/kpis.md``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from crossdock.core.order import OrderStatus
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.store import OrderQuery, OrderRow, Store, UnitOfWork
from crossdock.orchestration.store_ops import UNSETTLED, ExceptionQuery, ExceptionRecord
from crossdock.visibility.kpi_report import (
    AgeBands,
    CycleTimes,
    ExceptionAging,
    HourCount,
    InventoryLatency,
    InvoiceSync,
    KpiReport,
    SystemHealth,
    Throughput,
)
from crossdock.visibility.percentiles import Distribution

PAGE = 500
"""Orders and exceptions read per query while scanning."""

INVOICE_OPERATION = "post_invoice"
"""The delivery that posts an invoice to an ERP."""

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
RECENT_MAX_AGE = timedelta(minutes=1)
"""How long one report of a recent window answers the console and the gauges."""
HOURLY_LIMIT = 31 * 24
"""The most clock hours a window may touch and still be counted hour by hour (a month)."""


class Kpis:
    """Computes the :class:`KpiReport` of a window."""

    def __init__(self, store: Store, clock: Clock, availability_feeds: Sequence[str] = ()) -> None:
        """``availability_feeds`` are the timeline streams of the feeds that send our stock to
        channels, one per channel (the EDI 846 feed of partner P writes ``edi-P-846``)."""
        self.store = store
        self.clock = clock
        self.availability_feeds = tuple(availability_feeds)
        self._recent: dict[timedelta, KpiReport] = {}
        self._recent_lock = threading.Lock()  # callers at once share one computation

    def recent(self, window: timedelta, *, max_age: timedelta = RECENT_MAX_AGE) -> KpiReport:
        """The report of the ``window`` ending now, computed at most once per ``max_age``.

        Every caller within ``max_age`` of a computation gets the same report (its
        ``computed_at`` says when it was made); one computing while others ask makes them wait
        for it instead of scanning too.
        """
        with self._recent_lock:
            now = self.clock.now()
            cached = self._recent.get(window)
            if cached is None or not timedelta(0) <= now - cached.computed_at < max_age:
                cached = self._recent[window] = self.report(now - window, now)
            return cached

    def report(self, since: datetime, until: datetime) -> KpiReport:
        """The KPIs of ``[since, until)``; exceptions and systems as they stand now."""
        if since >= until:
            raise ValueError(f"the window starts ({since}) before it ends ({until})")
        now = self.clock.now()
        with self.store.unit_of_work(write=False) as uow:
            orders = _OrderScan(since, until)
            for page in _pages_touching(uow, since, until):
                orders.add_page(uow, page)
            return KpiReport(
                since=since,
                until=until,
                computed_at=now,
                cycle_times=CycleTimes(
                    received_to_shipped=Distribution.of(orders.to_shipped),
                    received_to_invoiced=Distribution.of(orders.to_invoiced),
                ),
                exceptions=_exception_aging(uow, now),
                inventory_latency=self._inventory_latency(uow, since, until),
                invoice_sync=InvoiceSync(
                    done=orders.invoices_done,
                    failed=orders.invoices_failed,
                    success_rate=_rate(orders.invoices_done, orders.invoices_failed),
                ),
                throughput=_throughput(since, until, orders),
                systems=_systems(uow),
            )

    def _inventory_latency(
        self, uow: UnitOfWork, since: datetime, until: datetime
    ) -> InventoryLatency:
        changes = uow.inventory.changed_between(since, until)
        sends = [
            sorted(entry.at for entry in uow.timeline.for_order(feed) if entry.kind == "delivery")
            for feed in self.availability_feeds
        ]
        latencies: list[float] = []
        for _key, changed_at in changes:
            # The first snapshot each feed wrote at or after the change carries it.
            carried = [next((at for at in feed if at >= changed_at), None) for feed in sends]
            last = max((at for at in carried if at is not None), default=None)
            if sends and last is not None and None not in carried:
                latencies.append((last - changed_at).total_seconds())
        return InventoryLatency(
            changes=len(changes),
            feeds=len(sends),
            reflected=Distribution.of(latencies),
            unreflected=len(changes) - len(latencies),
        )


class _OrderScan:
    """What the KPIs need from each order, gathered in one pass."""

    def __init__(self, since: datetime, until: datetime) -> None:
        self.since = since
        self.until = until
        self.to_shipped: list[float] = []
        self.to_invoiced: list[float] = []
        self.received = 0
        self.closed = 0
        # Orders received, first shipped and closed in the window, by the UTC hour of each.
        self.hourly: dict[str, Counter[datetime]] = {
            "received": Counter(),
            "shipped": Counter(),
            "closed": Counter(),
        }
        self.invoices_done = 0
        self.invoices_failed = 0

    def _inside(self, at: datetime | None) -> bool:
        return at is not None and self.since <= at < self.until

    def _count(self, series: str, at: datetime | None) -> bool:
        """Count ``at`` in its hour of ``series`` when it falls in the window."""
        if at is None or not self._inside(at):
            return False
        self.hourly[series][_hour_of(at)] += 1
        return True

    def add_page(self, uow: UnitOfWork, rows: Sequence[OrderRow]) -> None:
        """Count a page of orders: their decisions and invoice postings read in one query
        each."""
        order_ids = [row.order_id for row in rows]
        reached = _milestones(uow, order_ids)
        for row in rows:
            self._add(row, reached.get(row.order_id, {}))
        for delivery in uow.deliveries.for_orders(order_ids, INVOICE_OPERATION):
            if not self._inside(delivery.created_at):
                continue
            self.invoices_done += delivery.status == "done"
            self.invoices_failed += delivery.status == "failed"

    def _add(self, row: OrderRow, reached: dict[OrderStatus, datetime]) -> None:
        self.received += self._count("received", row.received_at)
        self.closed += self._count("closed", row.closed_at)
        self._count("shipped", reached.get(OrderStatus.SHIPPED))
        for status, durations in (
            (OrderStatus.SHIPPED, self.to_shipped),
            (OrderStatus.INVOICED, self.to_invoiced),
        ):
            at = reached.get(status)
            if at is not None and self._inside(at):
                durations.append((at - row.received_at).total_seconds())


def _pages_touching(uow: UnitOfWork, since: datetime, until: datetime) -> Iterator[list[OrderRow]]:
    """Every order received before ``until`` and not closed before ``since``, a page at a
    time."""
    after: str | None = None
    while page := uow.orders.search(OrderQuery(limit=PAGE, after=after, received_until=until)):
        touching = [row for row in page if row.closed_at is None or row.closed_at >= since]
        if touching:
            yield touching
        after = page[-1].order_id


_STATUSES = frozenset(status.value for status in OrderStatus)


def _milestones(
    uow: UnitOfWork, order_ids: Sequence[str]
) -> dict[str, dict[OrderStatus, datetime]]:
    """When each order's workflow first decided each status (the timelines' decisions)."""
    reached: dict[str, dict[OrderStatus, datetime]] = {}
    for entry in uow.timeline.of_kind(order_ids, "decision"):
        status = entry.detail.get("status")
        if isinstance(status, str) and status in _STATUSES:
            reached.setdefault(entry.order_id, {}).setdefault(OrderStatus(status), entry.at)
    return reached


def _exception_aging(uow: UnitOfWork, now: datetime) -> list[ExceptionAging]:
    groups: dict[tuple[str, str], list[ExceptionRecord]] = {}
    offset = 0
    while page := uow.exceptions.search(
        ExceptionQuery(statuses=UNSETTLED, limit=PAGE, offset=offset)
    ):
        for record in page:
            groups.setdefault((record.error_type or "unknown", record.system), []).append(record)
        offset += len(page)
    aging = []
    for (error_type, system), records in groups.items():
        oldest = min(record.first_seen for record in records)
        ages = [now - record.first_seen for record in records]
        aging.append(
            ExceptionAging(
                error_type=error_type,
                system=system,
                count=len(records),
                oldest_first_seen=oldest,
                oldest_age_s=(now - oldest).total_seconds(),
                ages=AgeBands(
                    under_hour=sum(age < HOUR for age in ages),
                    under_day=sum(HOUR <= age < DAY for age in ages),
                    day_or_more=sum(age >= DAY for age in ages),
                ),
            )
        )
    return sorted(aging, key=lambda item: (item.oldest_first_seen, item.system, item.error_type))


def _throughput(since: datetime, until: datetime, orders: _OrderScan) -> Throughput:
    hours = (until - since) / HOUR
    counts = orders.hourly
    return Throughput(
        hours=hours,
        received=orders.received,
        closed=orders.closed,
        received_per_hour=orders.received / hours,
        closed_per_hour=orders.closed / hours,
        per_hour=[
            HourCount(
                hour=hour,
                received=counts["received"][hour],
                shipped=counts["shipped"][hour],
                closed=counts["closed"][hour],
            )
            for hour in _clock_hours(since, until)
        ],
    )


def _hour_of(at: datetime) -> datetime:
    """The start of the UTC clock hour ``at`` falls in."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _clock_hours(since: datetime, until: datetime) -> list[datetime]:
    """The start of every UTC clock hour ``[since, until)`` touches; none past
    :data:`HOURLY_LIMIT`."""
    first = _hour_of(since)
    whole, part = divmod(until - first, HOUR)
    count = whole + bool(part)  # a partial last hour is an hour
    return [] if count > HOURLY_LIMIT else [first + n * HOUR for n in range(count)]


def _systems(uow: UnitOfWork) -> list[SystemHealth]:
    counts = uow.deliveries.counts()
    states = {state.system: state for state in uow.systems.all()}
    health = []
    for system in sorted(set(counts) | set(states)):
        queue = counts.get(system, {})
        state = states.get(system)
        pending, in_flight = queue.get("pending", 0), queue.get("in_flight", 0)
        health.append(
            SystemHealth(
                system=system,
                breaker="closed" if state is None else state.breaker,
                paused=state is not None and state.paused,
                pending=pending,
                in_flight=in_flight,
                backlog=pending + in_flight,
                failed=queue.get("failed", 0),
            )
        )
    return health


def _rate(done: int, failed: int) -> float | None:
    return None if done + failed == 0 else done / (done + failed)
