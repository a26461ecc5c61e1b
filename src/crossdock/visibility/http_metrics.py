"""Prometheus metrics of the HTTP API: how many requests, how they ended, how long they took.

Requests are labelled by method, the *template* of the route that answered
(``/api/v1/orders/{order_id}``, never the concrete path: one series per route, not per order)
and status code. A request no route answered — an unknown path, or one refused before routing,
such as a body over the limit (413) — is labelled ``unmatched``.

:class:`HttpMetricsMiddleware` belongs outermost, so it counts every request, refused or not.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

from crossdock.integration.api.asgi_scope import StatusWatch, route_template

UNMATCHED = "unmatched"
"""The route label of a request no route answered."""
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds; the last bucket matches the default request timeout."""


class HttpMetrics:
    """The request counter and latency histogram, registered on one app's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "crossdock_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "crossdock_http_request_duration_seconds",
            "Time from receiving an HTTP request to the end of its response.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        method = method if method in _METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class HttpMetricsMiddleware:
    """Counts and times every HTTP request (pure ASGI: streamed bodies pass straight through)."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        watch = StatusWatch(send)
        try:
            await self.app(scope, receive, watch)
        finally:
            self.metrics.observe(
                str(scope["method"]),
                route_template(scope) or UNMATCHED,
                watch.status,
                time.perf_counter() - started,
            )
