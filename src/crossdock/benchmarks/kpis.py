"""``crossdock bench kpis``: what one KPI report of the last 24 hours costs, by how many orders.

The console's overview and ``GET /api/v1/kpis`` compute the report from the store on each request
(``/metrics`` caches it for a minute), scanning every order of the window with its timeline and
deliveries (:mod:`crossdock.visibility.kpis`). The benchmark runs ``orders`` complete lifecycles
through the embedded hub (the sandbox in process, as ``bench lifecycle``), then times reports of
the window holding them. The baseline, measured on the same database in the same run, is one bare
read of the same orders (the order rows only, 500 a page): the ratio says how much the KPIs add to
the cheapest scan that could produce them.
"""

from __future__ import annotations

import gc
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from crossdock.benchmarks.machine import describe_machine, median
from crossdock.rig import Rig, in_process_rig
from crossdock.visibility.kpis import Kpis

WINDOW = timedelta(hours=24)


def _timed_ms(work: Any, repeats: int) -> float:
    """The median wall time of ``work()`` over ``repeats`` calls, in milliseconds."""
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()  # each call starts with no garbage of the last to collect
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


async def one_run(orders: int, data_dir: Path, repeats: int) -> dict[str, float]:
    """Run ``orders`` lifecycles, then time the KPI report of their day and the bare scan."""
    async with in_process_rig(faults="none", data_dir=data_dir, sandbox_in_memory=True) as rig:
        await rig.place(orders, concurrency=32)
        await rig.wait_until_settled(orders, timeout_s=max(120.0, orders / 5))
        kpis = _kpis(rig)
        now = rig.hub.clock.now()
        # The baseline first, so nothing the code under test leaves behind can slow it.
        scan_ms = _timed_ms(rig.orders, repeats)
        report = kpis.report(now - WINDOW, now)
        report_ms = _timed_ms(lambda: kpis.report(now - WINDOW, now), repeats)
    return {
        "received": float(report.throughput.received),
        "report_ms": report_ms,
        "scan_ms": scan_ms,
    }


def _kpis(rig: Rig) -> Kpis:
    """The KPIs as the hub's composition root builds them (with the estate's 846 feeds)."""
    feeds = [f"edi-{p.name}-846" for p in rig.hub.edi.availability.subscribers()]
    return Kpis(rig.hub.store, rig.hub.clock, availability_feeds=feeds)


async def run_kpis_bench(
    *, orders: int, runs: int, repeats: int = 5, data_dir: Path | None = None
) -> dict[str, Any]:
    """Run the benchmark ``runs`` times (a fresh hub each); report medians and the ratio."""
    results: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="crossdock-bench-", dir=data_dir) as tmp:
        for run in range(runs):
            folder = Path(tmp) / f"run-{run}"
            folder.mkdir()
            results.append(await one_run(orders, folder, repeats))
    report_ms = median([r["report_ms"] for r in results])
    scan_ms = median([r["scan_ms"] for r in results])
    return {
        "benchmark": "kpis",
        "orders": orders,
        "runs": runs,
        "reports_per_run": repeats,
        "orders_in_window": int(median([r["received"] for r in results])),
        "report_ms": round(report_ms, 1),
        "report_ms_runs": [round(r["report_ms"], 1) for r in results],
        "report_us_per_order": round(report_ms * 1000 / orders, 1) if orders else None,
        "bare_scan_ms": round(scan_ms, 1),
        "report_over_bare_scan": round(report_ms / scan_ms, 1) if scan_ms else None,
        "window": "last 24 hours",
        "store": "sqlite (WAL, synchronous=FULL)",
        "sandbox": "in-process (ASGI), zero latency, no faults, databases in memory",
        "machine": describe_machine(),
    }
