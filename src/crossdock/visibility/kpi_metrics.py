"""The business KPIs of the last 24 hours as Prometheus gauges, next to the store's.

==============================================================  ===================================
``crossdock_cycle_time_seconds{span,quantile}``                 received → ``shipped`` or
                                                                ``invoiced``, ``quantile`` 0.5 or
                                                                0.95 (nearest rank)
``crossdock_invoice_sync_success_ratio``                        invoice postings done / ended
``crossdock_orders_received_per_hour``                          orders received, per hour
``crossdock_kpis_up``                                           0 when the KPIs could not be read
==============================================================  ===================================

A percentile or ratio with nothing to measure (no order shipped, no invoice posted in the
window) has no sample rather than a made-up 0, so an alert on it stays silent instead of firing.
The report is a scan of the window's orders (:mod:`.kpis`), so one reading answers scrapes for
``cache_s`` seconds, a minute by default (:meth:`~.kpis.Kpis.recent`, shared with the console's
overview): the figures move slowly over a 24-hour window.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from crossdock.visibility.kpi_report import KpiReport
from crossdock.visibility.kpis import Kpis

log = logging.getLogger("crossdock.metrics")

WINDOW = timedelta(hours=24)
"""The window the gauges cover, ending at the scrape."""
DEFAULT_CACHE_S = 60.0
"""How long one report answers scrapes."""


class KpiCollector(Collector):
    """The KPI gauges, computed at scrape time and cached (see the module docstring)."""

    def __init__(self, kpis: Kpis, *, cache_s: float = DEFAULT_CACHE_S) -> None:
        self.kpis = kpis
        self.cache = timedelta(seconds=cache_s)

    def report(self) -> KpiReport:
        """The current report: the cached one while fresh, else a new one."""
        return self.kpis.recent(WINDOW, max_age=self.cache)

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("crossdock_kpis_up", "1 when the KPIs could be computed.")
        try:
            report = self.report()
        except Exception:  # the scrape still answers, with every other metric
            log.exception("could not compute the KPIs for /metrics")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _families(report)


def _families(report: KpiReport) -> Iterator[Metric]:
    cycle = GaugeMetricFamily(
        "crossdock_cycle_time_seconds",
        "From received to shipped or invoiced, over the last 24 hours (nearest rank).",
        labels=["span", "quantile"],
    )
    for span, times in (
        ("shipped", report.cycle_times.received_to_shipped),
        ("invoiced", report.cycle_times.received_to_invoiced),
    ):
        for quantile, seconds in (("0.5", times.p50_s), ("0.95", times.p95_s)):
            if seconds is not None:
                cycle.add_metric([span, quantile], seconds)
    yield cycle

    sync = GaugeMetricFamily(
        "crossdock_invoice_sync_success_ratio",
        "Invoice postings to the ERPs that succeeded, of those that ended, last 24 hours.",
    )
    if report.invoice_sync.success_rate is not None:
        sync.add_metric([], report.invoice_sync.success_rate)
    yield sync

    received = GaugeMetricFamily(
        "crossdock_orders_received_per_hour", "Orders received per hour over the last 24 hours."
    )
    received.add_metric([], report.throughput.received_per_hour)
    yield received
