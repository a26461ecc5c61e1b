"""The KPI gauges of ``/metrics``: what Prometheus reads equals the KPI report of the last 24
hours, for orders driven through the real engine with a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from api.estate import client
from api.operator_hub import OperatorHub
from crossdock.visibility.kpis import Kpis
from crossdock.visibility.metrics import HubMetrics, metrics_router
from engine.hub import SYSTEMS

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[OperatorHub]:
    built = OperatorHub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()


def instrumented(hub: OperatorHub) -> FastAPI:
    """The hub's API with metrics and KPIs wired as bootstrap wires them."""
    app = hub.app()
    kpis = Kpis(hub.store, hub.clock)
    app.include_router(metrics_router(HubMetrics(hub.store, hub.clock, systems=SYSTEMS, kpis=kpis)))
    return app


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def cycle(samples: Samples, span: str, quantile: str) -> float | None:
    return samples.get(
        ("crossdock_cycle_time_seconds", frozenset({("span", span), ("quantile", quantile)}))
    )


async def test_cycle_times_invoice_sync_and_intake_rate_of_the_last_day(hub: OperatorHub) -> None:
    hub.submit("O-1")
    await hub.drain()
    hub.clock.advance(timedelta(minutes=30))
    hub.submit("O-2")
    await hub.drain()
    hub.clock.advance(timedelta(minutes=60))
    await hub.ship("O-1", "O-2")  # O-1 after 90 minutes, O-2 after 60
    hub.submit("O-3")  # received, not shipped
    await hub.drain()
    hub.clock.advance(timedelta(minutes=1))  # the window [now - 24h, now) ends after it all

    async with client(instrumented(hub)) as http:
        samples = await scrape(http)

    # Nearest rank over [3600, 5400]: p50 is rank ceil(1.0) = 1, p95 rank ceil(1.9) = 2.
    assert cycle(samples, "shipped", "0.5") == 3600
    assert cycle(samples, "shipped", "0.95") == 5400
    assert cycle(samples, "invoiced", "0.5") == 3600
    assert cycle(samples, "invoiced", "0.95") == 5400
    assert samples[("crossdock_invoice_sync_success_ratio", frozenset())] == 1.0
    assert samples[("crossdock_orders_received_per_hour", frozenset())] == 3 / 24
    assert samples[("crossdock_kpis_up", frozenset())] == 1
    assert samples[("crossdock_store_up", frozenset())] == 1


async def test_with_nothing_shipped_percentiles_and_ratio_have_no_sample(hub: OperatorHub) -> None:
    hub.submit("O-1")
    await hub.drain()
    hub.clock.advance(timedelta(minutes=1))

    async with client(instrumented(hub)) as http:
        samples = await scrape(http)

    assert cycle(samples, "shipped", "0.5") is None
    assert ("crossdock_invoice_sync_success_ratio", frozenset()) not in samples
    assert samples[("crossdock_orders_received_per_hour", frozenset())] == 1 / 24


async def test_the_report_is_cached_for_a_minute_then_recomputed(hub: OperatorHub) -> None:
    async with client(instrumented(hub)) as http:
        assert (await scrape(http))[("crossdock_orders_received_per_hour", frozenset())] == 0
        hub.submit("O-1")
        await hub.drain()
        hub.clock.advance(timedelta(seconds=59))
        assert (await scrape(http))[("crossdock_orders_received_per_hour", frozenset())] == 0

        hub.clock.advance(timedelta(seconds=1))

        assert (await scrape(http))[("crossdock_orders_received_per_hour", frozenset())] == 1 / 24


async def test_without_kpis_no_kpi_gauge_is_exposed(hub: OperatorHub) -> None:
    app = hub.app()
    app.include_router(metrics_router(HubMetrics(hub.store, hub.clock, systems=SYSTEMS)))
    async with client(app) as http:
        samples = await scrape(http)

    assert not any(name.startswith("crossdock_kpis") for name, _ in samples)
    assert ("crossdock_orders_received_per_hour", frozenset()) not in samples
