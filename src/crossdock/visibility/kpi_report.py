"""The business KPIs of one window, as the API and the console show them.

Each figure names where it comes from in the store; ``docs/kpis.md`` gives the definitions, the
methods and what each one only approximates.
"""

from __future__ import annotations

from datetime import datetime

from crossdock.core.value import Value
from crossdock.orchestration.store_ops import BreakerState
from crossdock.visibility.percentiles import Distribution


class CycleTimes(Value):
    """How long orders took to reach a milestone, counted from when the hub received them."""

    received_to_shipped: Distribution
    """Orders that first became ``shipped`` in the window (the timeline's decisions)."""
    received_to_invoiced: Distribution
    """Orders that first became ``invoiced`` in the window."""


class AgeBands(Value):
    """How long exceptions have waited since first seen, at the time of the report."""

    under_hour: int
    """Less than an hour."""
    under_day: int
    """An hour or more, less than a day."""
    day_or_more: int
    """A day or more."""


class ExceptionAging(Value):
    """The unsettled exceptions (open or assigned) of one error type at one system."""

    error_type: str
    system: str
    count: int
    oldest_first_seen: datetime
    oldest_age_s: float
    """Seconds since the oldest of them was first seen, at the time of the report."""
    ages: AgeBands
    """The ``count`` exceptions by how long they have waited."""


class InventoryLatency(Value):
    """From a stock change the warehouse reported to the last availability feed carrying it."""

    changes: int
    """Positions whose on hand or safety stock last changed in the window."""
    feeds: int
    """Availability feeds (one per channel that is sent our stock) taken into account."""
    reflected: Distribution
    """Changes every feed has sent since: time until the last of them did."""
    unreflected: int
    """Changes some feed has not sent yet (all of them when no feed is configured)."""


class InvoiceSync(Value):
    """How invoice postings to the ERPs ended."""

    done: int
    failed: int
    success_rate: float | None
    """done / (done + failed); None when none ended in the window."""


class HourCount(Value):
    """Orders in and out of the hub in one clock hour (UTC)."""

    hour: datetime
    """When the hour starts, in UTC. The window's first and last hours count only the part of
    them inside the window."""
    received: int
    """Orders received in the hour."""
    shipped: int
    """Orders that first became ``shipped`` in the hour (as ``cycle_times.received_to_shipped``)."""
    closed: int
    """Orders closed in the hour."""


class Throughput(Value):
    """Orders in and out of the hub over the window."""

    hours: float
    received: int
    closed: int
    received_per_hour: float
    closed_per_hour: float
    per_hour: list[HourCount]
    """Every UTC clock hour the window touches, oldest first, hours without orders as zeros.
    Empty when the window is longer than 31 days (744 hours)."""


class SystemHealth(Value):
    """One external system now: its breaker and its queue."""

    system: str
    breaker: BreakerState
    paused: bool
    pending: int
    """Deliveries waiting, not yet claimed."""
    in_flight: int
    """Deliveries claimed by a worker and being sent."""
    backlog: int
    """pending + in flight."""
    failed: int
    """Deliveries that failed for good (each has an exception)."""


class KpiReport(Value):
    """The business KPIs of the window ``[since, until)``."""

    since: datetime
    until: datetime
    computed_at: datetime
    cycle_times: CycleTimes
    exceptions: list[ExceptionAging]
    """Unsettled exceptions now, by error type and system, oldest first."""
    inventory_latency: InventoryLatency
    invoice_sync: InvoiceSync
    throughput: Throughput
    systems: list[SystemHealth]
    """Every system with a stored state or deliveries, by name (a snapshot at ``computed_at``)."""
