"""``GET /metrics``: what Prometheus reads equals what the store holds, and the API's traffic.

Orders are driven through the real engine (:class:`OperatorHub`); exceptions come from real
refusals recorded by the real delivery runner.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from api.estate import client
from api.operator_hub import CLOUD, LEGACY, OperatorHub
from crossdock.orchestration.store_ops import SystemState
from crossdock.visibility.http_metrics import HttpMetricsMiddleware
from crossdock.visibility.metrics import HubMetrics, metrics_router
from engine.hub import SYSTEMS

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[OperatorHub]:
    built = OperatorHub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


def instrumented(hub: OperatorHub, *, token: str | None = None) -> FastAPI:
    """The hub's API with metrics wired as bootstrap wires them."""
    app = hub.app()
    metrics = HubMetrics(hub.store, hub.clock, systems=SYSTEMS)
    app.include_router(metrics_router(metrics, token=SecretStr(token) if token else None))
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics.http)
    return app


async def scrape(http: httpx.AsyncClient, **headers: str) -> Samples:
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


async def test_open_exceptions_and_failed_deliveries_match_the_store(hub: OperatorHub) -> None:
    await hub.refused_booking("O-1")
    await hub.refused_booking("O-2")
    await hub.refused_booking("O-3", customer="C-B", code="http_400")
    async with client(instrumented(hub)) as http:
        samples = await scrape(http)

    assert value(samples, "crossdock_open_exceptions", system=LEGACY, error_type="http_422") == 2
    assert value(samples, "crossdock_open_exceptions", system=CLOUD, error_type="http_400") == 1
    assert value(samples, "crossdock_exceptions", system=LEGACY, status="open") == 2
    assert value(samples, "crossdock_exceptions", system=LEGACY, status="resolved") == 0
    assert value(samples, "crossdock_deliveries", system=LEGACY, status="failed") == 2
    assert value(samples, "crossdock_deliveries", system=CLOUD, status="failed") == 1
    assert value(samples, "crossdock_deliveries", system="wms", status="pending") == 0
    assert value(samples, "crossdock_store_up") == 1


async def test_orders_by_status_match_the_store_for_every_status(hub: OperatorHub) -> None:
    await hub.refused_booking("O-1")
    hub.submit("O-2", customer="C-B")
    await hub.drain()
    with hub.store.unit_of_work(write=False) as uow:
        held = uow.orders.count_by_status()
    async with client(instrumented(hub)) as http:
        samples = await scrape(http)

    exposed = {
        dict(labels)["status"]: count
        for (name, labels), count in samples.items()
        if name == "crossdock_orders"
    }
    assert sum(exposed.values()) == 2
    assert {status: count for status, count in exposed.items() if count} == held
    assert exposed["cancelled"] == 0  # every status is a series, so alerts see a zero


async def test_breaker_state_and_pause_are_reported_per_system(hub: OperatorHub) -> None:
    with hub.store.unit_of_work() as uow:
        uow.systems.save(SystemState(system=LEGACY, breaker="open", opened_at=hub.clock.now()))
        uow.systems.save(SystemState(system=CLOUD, breaker="half_open"))
    hub.systems.pause("wms", by="ops", reason="stocktake")
    async with client(instrumented(hub)) as http:
        samples = await scrape(http)

    assert value(samples, "crossdock_breaker_state", system=LEGACY) == 2
    assert value(samples, "crossdock_breaker_state", system=CLOUD) == 1
    assert value(samples, "crossdock_breaker_state", system="storefront") == 0
    assert value(samples, "crossdock_system_paused", system="wms") == 1
    assert value(samples, "crossdock_system_paused", system=LEGACY) == 0


async def test_a_delivery_left_waiting_shows_as_lag_of_its_system(hub: OperatorHub) -> None:
    hub.submit("O-1")  # booked at the legacy ERP
    hub.steps.run_batch()  # the booking is queued; no delivery worker runs
    hub.clock.advance(timedelta(seconds=90))
    async with client(instrumented(hub)) as http:
        samples = await scrape(http)

    assert value(samples, "crossdock_deliveries", system=LEGACY, status="pending") == 1
    assert value(samples, "crossdock_delivery_lag_seconds", system=LEGACY) == 90
    assert value(samples, "crossdock_delivery_lag_seconds", system=CLOUD) == 0


async def test_scrapes_within_the_cache_period_do_not_read_the_store_again(
    hub: OperatorHub,
) -> None:
    await hub.refused_booking("O-1")
    async with client(instrumented(hub)) as http:
        first = await scrape(http)
        await hub.refused_booking("O-2")
        hub.clock.advance(timedelta(seconds=4))
        cached = await scrape(http)
        hub.clock.advance(timedelta(seconds=1))
        fresh = await scrape(http)

    for samples, expected in ((first, 1), (cached, 1), (fresh, 2)):
        assert value(
            samples, "crossdock_open_exceptions", system=LEGACY, error_type="http_422"
        ) == (expected)


async def test_requests_are_counted_by_route_template_not_by_path(hub: OperatorHub) -> None:
    hub.submit("O-1")
    hub.submit("O-2")
    async with client(instrumented(hub), key=hub.admin_key()) as http:
        for order_id in ("O-1", "O-2", "O-404"):
            await http.get(f"/api/v1/orders/{order_id}")
        await http.get("/no/such/page")
        samples = await scrape(http)

    route = "/api/v1/orders/{order_id}"
    requests = "crossdock_http_requests_total"
    assert value(samples, requests, method="GET", route=route, status="200") == 2
    assert value(samples, requests, method="GET", route=route, status="404") == 1
    assert value(samples, requests, method="GET", route="unmatched", status="404") == 1
    latency = "crossdock_http_request_duration_seconds_count"
    assert value(samples, latency, method="GET", route=route) == 3
    assert not any("O-1" in str(labels) for _, labels in samples)


async def test_with_a_token_metrics_are_only_for_its_bearer(hub: OperatorHub) -> None:
    async with client(instrumented(hub, token="scrape-me")) as http:
        refused = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer guess"})
        samples = await scrape(http, authorization="Bearer scrape-me")

    assert refused.status_code == wrong.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert value(samples, "crossdock_store_up") == 1


async def test_two_apps_in_one_process_keep_their_own_counts(hub: OperatorHub) -> None:
    first, second = instrumented(hub), instrumented(hub)
    async with client(first) as one, client(second) as other:
        await one.get("/healthz")
        one_samples = await scrape(one)
        other_samples = await scrape(other)

    healthz = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(one_samples, "crossdock_http_requests_total", **healthz) == 1
    assert ("crossdock_http_requests_total", frozenset(healthz.items())) not in other_samples
