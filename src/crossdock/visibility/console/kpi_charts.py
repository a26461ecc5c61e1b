"""The overview's charts, drawn from a :class:`~crossdock.visibility.kpi_report.KpiReport`.

Cycle times as bars, orders per hour as lines (received solid, shipped dashed) and unsettled
exceptions per system as bars split by how long they have waited. The overview also lists the
figures behind each chart as a table, for screen readers and for copying.
"""

from __future__ import annotations

from markupsafe import Markup

from crossdock.visibility.console.charts import (
    Band,
    Bar,
    Series,
    Stack,
    bar_chart,
    line_chart,
    stacked_bars,
)
from crossdock.visibility.console.views import duration
from crossdock.visibility.kpi_report import KpiReport

HOUR_TICKS = 3
"""The orders-per-hour chart writes every third hour under its axis."""

AGE_BANDS = (
    Band(name="under an hour", colour="#6ea8fe"),
    Band(name="an hour to a day", colour="#b26a00"),
    Band(name="a day or more", colour="#c62828"),
)
"""The exception chart's bands, youngest first, in :class:`~.kpi_report.AgeBands` order."""


def cycle_chart(report: KpiReport) -> Markup:
    """The cycle times' percentiles, as bars."""
    spans = (
        ("shipped", report.cycle_times.received_to_shipped),
        ("invoiced", report.cycle_times.received_to_invoiced),
    )
    bars = [
        Bar(label=f"{span} {name}", value=seconds or 0.0, text=duration(seconds))
        for span, times in spans
        for name, seconds in (("p50", times.p50_s), ("p95", times.p95_s))
    ]
    return bar_chart(
        bars,
        title="Cycle time from received, last 24 hours (p50 and p95)",
        empty="No order shipped or invoiced in the last 24 hours.",
    )


def hourly_chart(report: KpiReport) -> Markup:
    """Orders received and shipped in each UTC hour of the report's window."""
    hours = report.throughput.per_hour
    return line_chart(
        [
            Series(name="received", values=[h.received for h in hours], colour="#1f6feb"),
            Series(
                name="shipped", values=[h.shipped for h in hours], colour="#2e7d32", dashed=True
            ),
        ],
        points=[f"{h.hour:%H:%M}" for h in hours],
        title="Orders received and shipped per hour, last 24 hours (UTC)",
        empty="No order received or shipped in the last 24 hours.",
        tick_every=HOUR_TICKS,
    )


def exceptions_chart(report: KpiReport) -> Markup:
    """Unsettled exceptions per system, split by how long they have waited; the system with
    the most first."""
    by_system: dict[str, list[int]] = {}
    for aging in report.exceptions:
        counts = by_system.setdefault(aging.system, [0, 0, 0])
        for index, value in enumerate(
            (aging.ages.under_hour, aging.ages.under_day, aging.ages.day_or_more)
        ):
            counts[index] += value
    stacks = [
        Stack(label=system, values=counts)
        for system, counts in sorted(by_system.items(), key=lambda item: (-sum(item[1]), item[0]))
    ]
    return stacked_bars(
        stacks,
        bands=AGE_BANDS,
        title="Open exceptions by system and age",
        empty="No open exceptions.",
    )
