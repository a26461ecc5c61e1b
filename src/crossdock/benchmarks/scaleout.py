"""``crossdock bench lifecycle --store postgresql://… --broker nats://… --workers N``.

The same lifecycles as the embedded benchmark, through separate processes: the sandbox estate
(its databases in memory), one ``crossdock api`` process taking the webhooks, and ``N``
``crossdock worker`` processes, on PostgreSQL and NATS JetStream. Each run gets a schema and a
broker tenant of its own. The baseline is PostgreSQL's raw rate of durable one-row commits,
measured in the same run.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from crossdock.benchmarks.machine import describe_machine, median, percentile
from crossdock.cluster import LocalCluster, ScratchSchema
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.store import OrderQuery, OrderRow


def _all_orders(store: SqlStore) -> list[OrderRow]:
    rows: list[OrderRow] = []
    after: str | None = None
    while True:
        with store.unit_of_work(write=False) as uow:
            page = uow.orders.search(OrderQuery(limit=1000, after=after))
        rows.extend(page)
        if len(page) < 1000:
            return rows
        after = page[-1].order_id


def one_run(
    *, database_url: str, broker_url: str, workers: int, orders: int, workdir: Path
) -> dict[str, float]:
    """One timed run on a fresh schema and tenant."""
    with ScratchSchema(database_url, prefix="crossdock_bench") as schema:
        baseline_store = SqlStore(schema.url)
        try:
            baseline = baseline_store.durable_commit_rate(2000)
        finally:
            baseline_store.close()
        cluster = LocalCluster(
            workdir,
            store_url=schema.url,
            broker_url=broker_url,
            tenant=f"bench{secrets.token_hex(4)}",
        )
        store = SqlStore(schema.url)
        try:
            cluster.migrate()
            cluster.start_sandbox(in_memory=True)
            cluster.start_api()
            for _ in range(workers):
                cluster.start_worker()
            started = time.perf_counter()
            cluster.place_orders(orders, concurrency=32)
            deadline = started + max(300.0, orders / 2)
            while True:
                with store.unit_of_work(write=False) as uow:
                    counts = uow.orders.count_by_status()
                if counts.get("closed", 0) >= orders or time.perf_counter() > deadline:
                    break
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            rows = _all_orders(store)
        finally:
            cluster.stop()
            store.close()
    cycles = [
        (row.closed_at - row.received_at).total_seconds() * 1000
        for row in rows
        if row.closed_at is not None
    ]
    return {
        "closed": float(len(cycles)),
        "lifecycles_per_s": len(cycles) / elapsed,
        "p50_ms": percentile(cycles, 0.5),
        "p99_ms": percentile(cycles, 0.99),
        "baseline": baseline,
    }


def run_scaleout_bench(
    *, database_url: str, broker_url: str, workers: int, orders: int, runs: int
) -> dict[str, Any]:
    """Run ``runs`` times; report medians, the baseline and their ratio."""
    results = []
    with tempfile.TemporaryDirectory(prefix="crossdock-scaleout-") as tmp:
        for run in range(runs):
            results.append(
                one_run(
                    database_url=database_url,
                    broker_url=broker_url,
                    workers=workers,
                    orders=orders,
                    workdir=Path(tmp) / f"run-{run}",
                )
            )
    rate = median([r["lifecycles_per_s"] for r in results])
    baseline = median([r["baseline"] for r in results])
    return {
        "benchmark": "lifecycle (scale-out)",
        "orders": orders,
        "runs": runs,
        "workers": workers,
        "api_processes": 1,
        "lifecycles_per_s": round(rate, 1),
        "lifecycles_per_s_runs": [round(r["lifecycles_per_s"], 1) for r in results],
        "p50_ms": round(median([r["p50_ms"] for r in results]), 1),
        "p99_ms": round(median([r["p99_ms"] for r in results]), 1),
        "all_closed": all(r["closed"] == orders for r in results),
        "postgres_durable_commits_per_s": round(baseline, 1),
        "commits_per_lifecycle_budget": round(baseline / rate, 2) if rate else None,
        "store": database_url.split("@")[-1],
        "broker": broker_url,
        "sandbox": "separate process, zero latency, no faults, databases in memory",
        "machine": describe_machine(),
    }
