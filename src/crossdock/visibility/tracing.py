"""OpenTelemetry traces, when asked for and installed; otherwise nothing at all.

Tracing is on when the ``otel`` extra is installed (``pip install 'crossdock[otel]'``) and an OTLP
endpoint is configured: ``CROSSDOCK_OBSERVABILITY__OTLP_ENDPOINT`` (``http://collector:4318``),
or OpenTelemetry's own ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``.
Spans go out over OTLP/HTTP in batches. Without either, :func:`span` and
:class:`TracingMiddleware` cost a function call.

:class:`TracingMiddleware` wraps each API request in a server span named for its route template
(``GET /api/v1/orders/{order_id}``), continuing the caller's trace when it sends
``traceparent``. :func:`span` wraps any other block::

    with span("sync.reference_data", system="legacy_erp"):
        ...
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send

from crossdock.integration.api.asgi_scope import StatusWatch, route_template
from crossdock.orchestration.log_context import REQUEST_ID

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

SERVICE_NAME = "crossdock"
_OTEL_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
AttributeValue = str | bool | int | float


class Tracing:
    """A tracer provider of crossdock's own, or none (every span a no-op)."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self.provider = provider
        self.tracer: Tracer | None = None if provider is None else provider.get_tracer("crossdock")

    @property
    def enabled(self) -> bool:
        """Whether spans are recorded and exported."""
        return self.tracer is not None

    @contextmanager
    def span(self, name: str, **attributes: AttributeValue) -> Iterator[Span | None]:
        """A span around the block, current inside it (children nest); None when disabled."""
        if self.tracer is None:
            yield None
            return
        with self.tracer.start_as_current_span(name, attributes=attributes) as current:
            yield current

    def shutdown(self) -> None:
        """Export what is still buffered and stop; spans after this are no-ops."""
        global _active
        if self.provider is not None:
            self.provider.shutdown()
        self.tracer = None
        if _active is self:
            _active = Tracing()


_active = Tracing()


def available() -> bool:
    """Whether the OpenTelemetry SDK (the ``otel`` extra) is installed."""
    return importlib.util.find_spec("opentelemetry.sdk") is not None


def configure_tracing(
    endpoint: str = "",
    *,
    environ: Mapping[str, str] | None = None,
    exporter: SpanExporter | None = None,
    service_name: str = SERVICE_NAME,
) -> Tracing:
    """Turn tracing on for this process when the SDK is installed and there is somewhere to send
    spans: ``exporter`` (tests pass the SDK's ``InMemorySpanExporter``), else OTLP/HTTP to
    ``endpoint`` (the setting; ``/v1/traces`` is added when missing), else to OpenTelemetry's
    own environment variables (read from ``environ``, the process environment by default).

    Returns the :class:`Tracing` that :func:`span` now uses; disabled when tracing is off.
    """
    global _active
    environ = os.environ if environ is None else environ
    configured = endpoint or any(environ.get(name) for name in _OTEL_ENDPOINTS)
    if not available() or (exporter is None and not configured):
        _active = Tracing()
        return _active

    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(_otlp_exporter(endpoint)))
    _active = Tracing(provider)
    return _active


def _otlp_exporter(endpoint: str) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if not endpoint:  # the exporter reads OTEL_EXPORTER_OTLP_* itself
        return OTLPSpanExporter()
    base = endpoint.rstrip("/")
    return OTLPSpanExporter(endpoint=base if base.endswith("/v1/traces") else f"{base}/v1/traces")


def span(name: str, **attributes: AttributeValue) -> Any:
    """A span around a block on the process's tracing (:func:`configure_tracing`), or a no-op."""
    return _active.span(name, **attributes)


def tracing() -> Tracing:
    """The process's tracing, as :func:`configure_tracing` left it."""
    return _active


class TracingMiddleware:
    """Wraps each HTTP request in a server span (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, tracing: Tracing | None = None) -> None:
        self.app = app
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        active = self.tracing or _active
        if scope["type"] != "http" or active.tracer is None:
            await self.app(scope, receive, send)
            return
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind, Status, StatusCode

        headers = {
            key.decode("latin-1"): value.decode("latin-1")
            for key, value in scope.get("headers", [])
        }
        method = str(scope["method"])
        watch = StatusWatch(send)
        with active.tracer.start_as_current_span(
            method,
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": str(scope.get("path", ""))},
        ) as current:
            try:
                await self.app(scope, receive, watch)
            finally:
                template = route_template(scope)
                if template:
                    current.update_name(f"{method} {template}")
                    current.set_attribute("http.route", template)
                current.set_attribute("http.response.status_code", watch.status)
                if request_id := REQUEST_ID.get():
                    current.set_attribute("crossdock.request_id", request_id)
                if watch.status >= 500:
                    current.set_status(Status(StatusCode.ERROR))
