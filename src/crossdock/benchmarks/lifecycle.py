"""``crossdock bench lifecycle``: complete order-to-cash lifecycles through the embedded hub.

The sandbox systems run in-process at zero latency (``httpx.ASGITransport``), so the figure is the
hub's own cost: every step committed durably to SQLite (WAL, ``synchronous=FULL``). The baseline,
measured in the same run on the same disk, is SQLite's raw rate of durable one-row commits.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from crossdock.benchmarks.machine import describe_machine, median, percentile
from crossdock.integration.store.sql import SqlStore
from crossdock.rig import in_process_rig


async def one_run(orders: int, data_dir: Path, concurrency: int) -> dict[str, float]:
    """One timed run: place ``orders`` and wait until every one is closed."""
    async with in_process_rig(faults="none", data_dir=data_dir, sandbox_in_memory=True) as rig:
        started = time.perf_counter()
        await rig.place(orders, concurrency=concurrency)
        settled = await rig.wait_until_settled(orders, timeout_s=max(120.0, orders / 5))
        elapsed = time.perf_counter() - started
        rows = rig.orders()
    closed = [row for row in rows if row.status.value == "closed" and row.closed_at]
    cycle_ms = [(row.closed_at - row.received_at).total_seconds() * 1000 for row in closed]  # type: ignore[operator]
    return {
        "settled": float(settled),
        "closed": float(len(closed)),
        "elapsed_s": elapsed,
        "lifecycles_per_s": len(closed) / elapsed,
        "p50_ms": percentile(cycle_ms, 0.50),
        "p99_ms": percentile(cycle_ms, 0.99),
    }


def sqlite_commit_rate(data_dir: Path, commits: int = 2000) -> float:
    """Durable one-row commits per second on the same disk, same settings."""
    store = SqlStore(f"sqlite:///{data_dir / 'baseline.db'}")
    try:
        return store.durable_commit_rate(commits)
    finally:
        store.close()


async def run_lifecycle_bench(
    *, orders: int, runs: int, data_dir: Path | None = None, concurrency: int = 32
) -> dict[str, Any]:
    """Run the benchmark ``runs`` times; report medians, the baseline and their ratio."""
    results: list[dict[str, float]] = []
    baselines: list[float] = []
    with tempfile.TemporaryDirectory(prefix="crossdock-bench-", dir=data_dir) as tmp:
        for run in range(runs):
            folder = Path(tmp) / f"run-{run}"
            folder.mkdir()
            baselines.append(sqlite_commit_rate(folder))
            results.append(await one_run(orders, folder, concurrency))
    rate = median([r["lifecycles_per_s"] for r in results])
    baseline = median(baselines)
    return {
        "benchmark": "lifecycle",
        "orders": orders,
        "runs": runs,
        "placement_concurrency": concurrency,
        "lifecycles_per_s": round(rate, 1),
        "lifecycles_per_s_runs": [round(r["lifecycles_per_s"], 1) for r in results],
        "p50_ms": round(median([r["p50_ms"] for r in results]), 1),
        "p99_ms": round(median([r["p99_ms"] for r in results]), 1),
        "all_closed": all(r["closed"] == orders for r in results),
        "sqlite_durable_commits_per_s": round(baseline, 1),
        "commits_per_lifecycle_budget": round(baseline / rate, 2) if rate else None,
        "store": "sqlite (WAL, synchronous=FULL)",
        "sandbox": "in-process (ASGI), zero latency, no faults, databases in memory",
        "machine": describe_machine(),
    }
