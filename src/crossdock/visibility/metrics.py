"""``GET /metrics``: the hub's state and its API's traffic, in Prometheus' text format.

The gauges are read from the store when Prometheus scrapes, in one read-only unit of work of a
few grouped queries, and kept for ``cache_s`` seconds so that an eager scraper (or several)
cannot turn into database load:

=================================================  =============================================
``crossdock_orders{status}``                       orders in each lifecycle status
``crossdock_exceptions{system,status}``            the exception queue, by system and status
``crossdock_open_exceptions{system,error_type}``   exceptions someone must act on (open or
                                                   assigned), by system and error type
``crossdock_deliveries{system,status}``            deliveries pending, in flight, failed
``crossdock_delivery_lag_seconds{system}``         how long the most overdue unfinished delivery
                                                   to a system has been due (0: none overdue)
``crossdock_breaker_state{system}``                0 closed, 1 half open, 2 open
``crossdock_system_paused{system}``                1 when an operator paused the system
``crossdock_store_up``                             0 when the store could not be read
=================================================  =============================================

Each registry is the app's own (:class:`HubMetrics`), never the process-global one, so several
apps in one process (tests, a benchmark) do not collide. The HTTP request metrics are in
:mod:`.http_metrics`; given a :class:`~crossdock.visibility.kpis.Kpis`, the business KPIs of the
last 24 hours are gauges too (:mod:`.kpi_metrics`).

Access: Prometheus rarely sends credentials, so the route is open unless a token is configured
(``CROSSDOCK_OBSERVABILITY__METRICS_TOKEN``); then it wants ``Authorization: Bearer <token>``.
Open is safe on the default listener (127.0.0.1); on any other address set a token, or keep
``/metrics`` off the public path at the proxy: the gauges reveal business volumes.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import SecretStr

from crossdock.core.order import OrderStatus
from crossdock.integration.api.problems import ApiProblem
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.store import Store, UnitOfWork
from crossdock.orchestration.store_ops import (
    EXCEPTION_STATUSES,
    UNSETTLED,
    BreakerState,
    ExceptionQuery,
    SystemState,
)
from crossdock.visibility.http_metrics import HttpMetrics
from crossdock.visibility.kpi_metrics import KpiCollector
from crossdock.visibility.kpis import Kpis

log = logging.getLogger("crossdock.metrics")

DEFAULT_CACHE_S = 5.0
"""How long one reading of the store answers scrapes."""
OPEN_EXCEPTION_SCAN = 5000
"""The most unsettled exceptions read to break them down by error type. The per-system totals
(``crossdock_exceptions``) are exact whatever the queue's length."""
DELIVERY_STATUSES = ("pending", "in_flight", "failed")
"""Delivery statuses exposed (done deliveries only ever grow: count them from the timeline)."""
BREAKER_VALUES: dict[BreakerState, int] = {"closed": 0, "half_open": 1, "open": 2}
"""The gauge value of each breaker state: higher is worse, so ``max`` across systems alerts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreReading:
    """What one scrape reads from the store."""

    at: datetime
    orders: dict[str, int]
    exceptions: dict[str, dict[str, int]]
    open_exceptions: dict[tuple[str, str], int]
    deliveries: dict[str, dict[str, int]]
    lag_s: dict[str, float]
    systems: dict[str, SystemState] = field(default_factory=dict)


def read_store(uow: UnitOfWork, now: datetime, systems: Iterable[str] = ()) -> StoreReading:
    """The gauges' values, from one unit of work; ``systems`` are reported even when idle."""
    open_exceptions: dict[tuple[str, str], int] = {}
    for record in uow.exceptions.search(
        ExceptionQuery(statuses=UNSETTLED, limit=OPEN_EXCEPTION_SCAN)
    ):
        key = (record.system, record.error_type or "unknown")
        open_exceptions[key] = open_exceptions.get(key, 0) + 1
    deliveries = uow.deliveries.counts()
    states = {state.system: state for state in uow.systems.all()}
    known = sorted({*systems, *deliveries, *states})
    lag_s: dict[str, float] = {}
    for system in known:
        due = uow.deliveries.next_due(system)
        lag_s[system] = max(0.0, (now - due).total_seconds()) if due else 0.0
    return StoreReading(
        at=now,
        orders=uow.orders.count_by_status(),
        exceptions=uow.exceptions.counts(),
        open_exceptions=open_exceptions,
        deliveries={system: deliveries.get(system, {}) for system in known},
        lag_s=lag_s,
        systems={system: states.get(system, SystemState(system=system)) for system in known},
    )


class StoreCollector(Collector):
    """The store's gauges, read at scrape time and cached (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        systems: Sequence[str] = (),
        cache_s: float = DEFAULT_CACHE_S,
    ) -> None:
        self.store = store
        self.clock = clock
        self.systems = tuple(systems)
        self.cache = timedelta(seconds=cache_s)
        self._reading: StoreReading | None = None
        self._lock = threading.Lock()  # concurrent scrapes share one reading

    def reading(self) -> StoreReading:
        """The current reading: the cached one while fresh, else a new one."""
        with self._lock:
            now = self.clock.now()
            if self._reading is None or now - self._reading.at >= self.cache:
                with self.store.unit_of_work(write=False) as uow:
                    self._reading = read_store(uow, now, self.systems)
            return self._reading

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("crossdock_store_up", "1 when the store could be read.")
        try:
            reading = self.reading()
        except Exception:  # the scrape still answers, with the API's own metrics
            log.exception("could not read the store for /metrics")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _families(reading)


def _families(reading: StoreReading) -> Iterator[Metric]:
    orders = GaugeMetricFamily("crossdock_orders", "Orders by status.", labels=["status"])
    for status in OrderStatus:
        orders.add_metric([status.value], reading.orders.get(status.value, 0))
    yield orders

    exceptions = GaugeMetricFamily(
        "crossdock_exceptions", "Exceptions by system and status.", labels=["system", "status"]
    )
    for system, by_status in sorted(reading.exceptions.items()):
        for exception_status in EXCEPTION_STATUSES:
            exceptions.add_metric([system, exception_status], by_status.get(exception_status, 0))
    yield exceptions

    unsettled = GaugeMetricFamily(
        "crossdock_open_exceptions",
        "Exceptions someone must act on (open or assigned), by system and error type.",
        labels=["system", "error_type"],
    )
    for (system, error_type), count in sorted(reading.open_exceptions.items()):
        unsettled.add_metric([system, error_type], count)
    yield unsettled

    deliveries = GaugeMetricFamily(
        "crossdock_deliveries",
        "Unfinished and failed deliveries by system and status.",
        labels=["system", "status"],
    )
    lag = GaugeMetricFamily(
        "crossdock_delivery_lag_seconds",
        "How long the most overdue unfinished delivery to a system has been due.",
        labels=["system"],
    )
    breaker = GaugeMetricFamily(
        "crossdock_breaker_state",
        "A system's circuit breaker: 0 closed, 1 half open, 2 open.",
        labels=["system"],
    )
    paused = GaugeMetricFamily(
        "crossdock_system_paused", "1 when an operator paused a system.", labels=["system"]
    )
    for system, by_status in reading.deliveries.items():
        for delivery_status in DELIVERY_STATUSES:
            deliveries.add_metric([system, delivery_status], by_status.get(delivery_status, 0))
        lag.add_metric([system], reading.lag_s[system])
        state = reading.systems[system]
        breaker.add_metric([system], BREAKER_VALUES[state.breaker])
        paused.add_metric([system], int(state.paused))
    yield from (deliveries, lag, breaker, paused)


class HubMetrics:
    """One app's metrics: its own registry, the store's gauges, the HTTP request metrics and,
    with ``kpis``, the KPI gauges."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        systems: Sequence[str] = (),
        cache_s: float = DEFAULT_CACHE_S,
        kpis: Kpis | None = None,
    ) -> None:
        self.store = store
        self.registry = CollectorRegistry(auto_describe=False)
        self.collector = StoreCollector(store, clock, systems=systems, cache_s=cache_s)
        self.registry.register(self.collector)
        self.kpis = KpiCollector(kpis) if kpis else None
        if self.kpis:
            self.registry.register(self.kpis)
        self.http = HttpMetrics(self.registry)

    async def render(self) -> bytes:
        """Every metric in Prometheus' text format (the store is read on its own threads)."""
        return await self.store.run(generate_latest, self.registry)


def metrics_router(metrics: HubMetrics, *, token: SecretStr | None = None) -> APIRouter:
    """``GET /metrics``; with ``token``, only for ``Authorization: Bearer <token>``."""
    router = APIRouter(tags=["operations"])
    expected = f"Bearer {token.get_secret_value()}".encode() if token else None

    @router.get("/metrics", response_class=Response, include_in_schema=False)
    async def scrape(request: Request) -> Response:
        """The hub's metrics for Prometheus."""
        if expected is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                raise ApiProblem(
                    401,
                    "/metrics needs Authorization: Bearer <the metrics token>",
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        return Response(await metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router
