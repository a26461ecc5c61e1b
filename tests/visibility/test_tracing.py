"""Traces: API requests and marked blocks become spans when tracing is configured, else nothing.

Spans are exported to the OpenTelemetry SDK's own in-memory exporter.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from api.estate import client
from crossdock.visibility.request_ids import RequestIdMiddleware
from crossdock.visibility.tracing import TracingMiddleware, configure_tracing, span, tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    configured = configure_tracing(exporter=exporter)
    yield exporter
    configured.shutdown()


def traced_app() -> FastAPI:
    router = APIRouter()

    @router.get("/orders/{order_id}")
    async def order(order_id: str) -> dict[str, str]:
        with span("orders.load", order_id=order_id):
            return {"order_id": order_id}

    @router.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    app = FastAPI()
    app.include_router(router, prefix="/api/v1")
    app.add_middleware(TracingMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app


async def test_an_api_request_is_a_server_span_named_for_its_route(
    exported: InMemorySpanExporter,
) -> None:
    async with client(traced_app()) as http:
        response = await http.get("/api/v1/orders/O-1")

    inner, request = exported.get_finished_spans()
    assert request.name == "GET /api/v1/orders/{order_id}"
    assert request.kind is SpanKind.SERVER
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/api/v1/orders/{order_id}"
    assert request.attributes["http.response.status_code"] == 200
    assert request.attributes["crossdock.request_id"] == response.headers["x-request-id"]
    assert inner.name == "orders.load"
    assert inner.attributes is not None
    assert inner.attributes["order_id"] == "O-1"
    assert inner.parent is not None
    assert inner.parent.span_id == request.context.span_id


async def test_a_request_continues_the_callers_trace(exported: InMemorySpanExporter) -> None:
    async with client(traced_app()) as http:
        await http.get("/api/v1/orders/O-1", headers={"traceparent": TRACEPARENT})

    for finished in exported.get_finished_spans():
        assert format(finished.context.trace_id, "032x") == TRACE_ID


async def test_a_failing_route_marks_its_span_as_an_error(exported: InMemorySpanExporter) -> None:
    async with client(traced_app(), raise_app_exceptions=False) as http:
        response = await http.get("/api/v1/broken")

    [request] = exported.get_finished_spans()
    assert response.status_code == 500
    assert request.status.status_code is StatusCode.ERROR
    assert request.name == "GET /api/v1/broken"


async def test_without_an_endpoint_nothing_is_traced() -> None:
    configured = configure_tracing("", environ={})

    assert not configured.enabled
    assert tracing() is configured
    with span("anything") as nothing:
        assert nothing is None
    async with client(traced_app()) as http:
        assert (await http.get("/api/v1/orders/O-1")).status_code == 200


@pytest.mark.parametrize(
    ("endpoint", "environ"),
    [
        ("http://collector.test:4318", {}),
        ("", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.test:4318"}),
    ],
)
def test_an_endpoint_in_the_settings_or_otels_own_variable_turns_tracing_on(
    endpoint: str, environ: dict[str, str]
) -> None:
    configured = configure_tracing(endpoint, environ=environ)
    try:
        assert configured.enabled
    finally:
        configured.shutdown()
    assert not tracing().enabled
