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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
"""The route label of a request no route answered."""
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds; the last bucket matches the default request timeout."""


def route_template(scope: Scope) -> str | None:
    """The full template of the route that answered (``/api/v1/partners/{partner_id}/keys``),
    or None when no route matched.

    The matched route knows its template relative to the router it was declared on; the prefix
    it was included under is what the concrete path has before the part the route matched.
    """
    template = getattr(scope.get("route"), "path_format", None)
    if not isinstance(template, str):
        return None
    path = str(scope.get("path", ""))
    try:
        matched = template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    if not path.endswith(matched):
        return template
    return path[: len(path) - len(matched)] + template


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
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.metrics.observe(
                str(scope["method"]),
                route_template(scope) or UNMATCHED,
                status,
                time.perf_counter() - started,
            )
