"""``crossdock bench drain``: a backlog left by an outage drains against a rate-limited system.

Customer service is paused in the hub (what an operator does while it is down) and ``backlog``
orders come in, each queueing one status notification for it: one HTTP request per delivery, so
the stream is the system's rate limit and nothing else. The order's lifecycle stops after the
warehouse accepted the fulfilment (the sandbox WMS is told to wait an hour before picking), so
while the backlog drains the hub does nothing but those deliveries and the acknowledgements they
bring back. Then the system is resumed, and the benchmark times how long the hub takes to deliver
the whole backlog to a system that admits ``rate`` requests a second: the sandbox enforces it
(a token bucket answering 429) and the hub's delivery policy for the system declares the same
limit, unless told to declare another (``hub_rate``, ``hub_burst``: the margin an operator may
leave). The ideal is ``backlog / rate`` seconds; the target is at most 1.15 times that.

Everything runs in one process (sandbox apps behind ``httpx.ASGITransport``), the hub on a
temporary SQLite file (WAL, ``synchronous=FULL``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from starlette.types import Receive, Scope, Send

from crossdock.benchmarks.machine import describe_machine, median
from crossdock.bootstrap import Hub, build_hub
from crossdock.estate import Estate, sandbox_estate
from crossdock.sandbox.customer_service import CustomerServiceConfig
from crossdock.sandbox.estate import SandboxConfig, SandboxEstate
from crossdock.sandbox.faults import FaultConfig
from crossdock.sandbox.wms import WmsConfig
from crossdock.settings import (
    SANDBOX_SHOPIFY_SECRET,
    SANDBOX_WMS_SECRET,
    Settings,
    StoreSettings,
    WebhookSettings,
    WorkerSettings,
)

TARGET_RATIO = 1.15
"""The issue's target: the drain takes at most this many times ``backlog / rate``."""
SYSTEM = "customer_service"
"""The drained system: one ``POST /api/status-updates`` per delivery."""
_HOLD_PICKING_S = 3600.0
_POLL_S = 0.1


@dataclass(frozen=True, kw_only=True)
class DrainSettings:
    """What one drain benchmark runs."""

    backlog: int
    """Deliveries queued while the system is paused (one order each)."""
    rate: float
    """Requests per second the system admits: the sandbox's limit and the hub's policy."""
    burst: int = 1
    """Requests the system admits back to back after a quiet spell (its token bucket's size)."""
    hub_rate: float | None = None
    """The rate the hub's delivery policy declares; None: the system's ``rate``."""
    hub_burst: int | None = None
    """The burst the hub's delivery policy declares; None: the system's ``burst``."""
    runs: int = 3
    """Repetitions; medians are reported."""
    timeout_s: float | None = None
    """Give up on a run's backlog building up, or draining, after this long (default: ten times
    the ideal, at least 60 s); the benchmark then fails saying how far it got."""

    def __post_init__(self) -> None:
        numbers = {
            "backlog": self.backlog,
            "rate": self.rate,
            "burst": self.burst,
            "hub_rate": self.policy_rate,
            "hub_burst": self.policy_burst,
            "runs": self.runs,
        }
        for name, value in numbers.items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, not {value}")

    @property
    def policy_rate(self) -> float:
        """The hub's declared rate."""
        return self.rate if self.hub_rate is None else self.hub_rate

    @property
    def policy_burst(self) -> int:
        """The hub's declared burst."""
        return self.burst if self.hub_burst is None else self.hub_burst

    @property
    def ideal_s(self) -> float:
        """The issue's ideal: ``backlog / rate``."""
        return self.backlog / self.rate

    @property
    def ideal_after_burst_s(self) -> float:
        """The ideal counting the full bucket's ``burst`` requests that go at once."""
        return max(self.backlog - self.burst, 0) / self.rate

    @property
    def deadline_s(self) -> float:
        """How long a phase of one run may take before the run is reported as failed."""
        return self.timeout_s if self.timeout_s is not None else max(60.0, 10 * self.ideal_s)


@dataclass(frozen=True, kw_only=True)
class DrainRun:
    """One timed drain."""

    backlog: int
    """Deliveries that were pending when the system was resumed."""
    drained: int
    """Of those, recorded as done by the hub by the end of the run."""
    accumulate_s: float
    """Time to take the orders in and queue their deliveries (not part of the figure)."""
    drain_s: float
    """From resuming the system to the system receiving the last delivery of the backlog."""
    first_s: float
    """From resuming the system to it receiving the first delivery."""
    admitted: int
    """Requests the system let through during the drain."""
    rate_limited: int
    """Requests it refused with 429 (the hub went faster than the limit)."""
    max_admitted_per_window: int
    """Most requests admitted within any one-second window."""
    load_1m: float
    """The machine's one-minute load average when the run started (the machine is shared)."""

    @property
    def complete(self) -> bool:
        """Every delivery of the backlog went through, once each."""
        return self.drained == self.backlog and self.admitted == self.backlog


@dataclass(frozen=True, kw_only=True)
class DrainReport:
    """Medians over the runs, the runs themselves, the settings and the machine."""

    settings: DrainSettings
    runs: list[DrainRun]
    machine: dict[str, Any] = field(default_factory=describe_machine)

    @property
    def drain_s(self) -> float:
        """Median drain time."""
        return median([run.drain_s for run in self.runs])

    @property
    def ratio(self) -> float:
        """Median drain time over the ideal ``backlog / rate``."""
        return self.drain_s / self.settings.ideal_s

    @property
    def all_drained(self) -> bool:
        """Every run delivered its whole backlog."""
        return all(run.complete for run in self.runs)

    @property
    def target_met(self) -> bool:
        """Every run drained everything, and the median is within the target ratio."""
        return self.all_drained and self.ratio <= TARGET_RATIO

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        s = self.settings
        after_burst = s.ideal_after_burst_s
        return {
            "benchmark": "drain",
            "system": SYSTEM,
            "backlog": s.backlog,
            "rate_per_s": s.rate,
            "burst": s.burst,
            "hub_rate_limit_per_s": s.policy_rate,
            "hub_rate_limit_burst": s.policy_burst,
            "runs": s.runs,
            "drain_s": round(self.drain_s, 3),
            "drain_s_runs": [round(run.drain_s, 3) for run in self.runs],
            "ideal_s": round(s.ideal_s, 3),
            "ideal_after_burst_s": round(after_burst, 3),
            "ratio": round(self.ratio, 3),
            "ratio_runs": [round(run.drain_s / s.ideal_s, 3) for run in self.runs],
            "ratio_after_burst": round(self.drain_s / after_burst, 3) if after_burst else None,
            "target_ratio": TARGET_RATIO,
            "target_met": self.target_met,
            "all_drained": self.all_drained,
            "rate_limited_429_runs": [run.rate_limited for run in self.runs],
            "max_admitted_per_window_runs": [run.max_admitted_per_window for run in self.runs],
            "first_delivery_s": round(median([run.first_s for run in self.runs]), 3),
            "accumulate_s": round(median([run.accumulate_s for run in self.runs]), 3),
            "load_1m_runs": [run.load_1m for run in self.runs],
            "store": "sqlite (WAL, synchronous=FULL)",
            "sandbox": (
                f"in-process (ASGI), zero latency, no faults, databases in memory; {SYSTEM} "
                f"admits {s.rate:g} req/s (token bucket of {s.burst}, 429 beyond)"
            ),
            "machine": self.machine,
        }

    def render(self) -> str:
        """The figures as lines of text."""
        d = self.as_dict()
        verdict = "met" if self.target_met else "NOT met"
        return "\n".join(
            [
                f"drain of {d['backlog']} deliveries to {SYSTEM}, which admits "
                f"{d['rate_per_s']:g} req/s (burst {d['burst']}); the hub declares "
                f"{d['hub_rate_limit_per_s']:g} req/s (burst {d['hub_rate_limit_burst']}); "
                f"{d['runs']} runs",
                f"  drain (median)      {d['drain_s']:.2f} s   runs {d['drain_s_runs']}",
                f"  ideal N/R           {d['ideal_s']:.2f} s   (N-burst)/R "
                f"{d['ideal_after_burst_s']:.2f} s",
                f"  ratio (median)      {d['ratio']:.3f}   runs {d['ratio_runs']}",
                f"  target <= {TARGET_RATIO}      {verdict}",
                f"  429s                {d['rate_limited_429_runs']}",
                f"  max admitted in 1s  {d['max_admitted_per_window_runs']}",
                f"  all drained         {d['all_drained']}",
                f"  load average (1m)   {d['load_1m_runs']}",
                f"  machine             {_machine_line(self.machine)}",
            ]
        )


def _machine_line(machine: dict[str, Any]) -> str:
    return (
        f"{machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('memory_gib')} GiB, "
        f"Python {machine.get('python')}, SQLite {machine.get('sqlite')}"
    )


class _HubApp:
    """The hub's ASGI app, set once the hub is built (the sandbox needs a client first)."""

    def __init__(self) -> None:
        self.hub: Hub | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.hub is not None, "the hub is not built yet"
        await self.hub.app(scope, receive, send)


def drain_estate(settings: DrainSettings) -> Estate:
    """The sandbox estate, with the drained system's limit declared in its delivery policy."""
    estate = sandbox_estate()
    spec = estate.systems[SYSTEM]
    policy = spec.delivery.model_copy(
        update={
            "rate_limit_per_s": settings.policy_rate,
            "rate_limit_burst": settings.policy_burst,
        }
    )
    systems = {**estate.systems, SYSTEM: spec.model_copy(update={"delivery": policy})}
    return estate.model_copy(update={"systems": systems})


def drain_sandbox(settings: DrainSettings) -> SandboxConfig:
    """No faults, but the drained system's rate limit, and a warehouse that waits to pick."""
    return SandboxConfig.none(
        hub_url="http://hub.local",
        storefront_secret=SecretStr(SANDBOX_SHOPIFY_SECRET),
        wms_secret=SecretStr(SANDBOX_WMS_SECRET),
        customer_service=CustomerServiceConfig(
            faults=FaultConfig(rate_limit_per_s=settings.rate, rate_limit_burst=settings.burst)
        ),
        wms=WmsConfig(pick_delay_s=_HOLD_PICKING_S),
    )


@contextlib.asynccontextmanager
async def _running(
    settings: DrainSettings, data_dir: Path
) -> AsyncIterator[tuple[Hub, SandboxEstate, _Drained]]:
    """The sandbox estate and a hub on ``data_dir``, started; stopped afterwards."""
    late = _HubApp()
    hub_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=late), base_url="http://hub.local", timeout=30
    )
    sandbox = SandboxEstate(drain_sandbox(settings), hub_client=hub_client)
    clients = sandbox.clients()
    hub_settings = Settings(
        store=StoreSettings(url=f"sqlite:///{data_dir / 'crossdock.db'}"),
        webhooks=WebhookSettings(
            shopify_secrets=[SecretStr(SANDBOX_SHOPIFY_SECRET)],
            wms_secret=SecretStr(SANDBOX_WMS_SECRET),
        ),
        worker=WorkerSettings(),
    )
    hub = build_hub(hub_settings, drain_estate(settings), http=clients.all())
    late.hub = hub
    await sandbox.start()
    await hub.start()
    try:
        yield hub, sandbox, _Drained(clients.customer_service)
    finally:
        await hub.stop()
        await sandbox.aclose()
        await clients.aclose()
        await hub_client.aclose()


@dataclass
class _Drained:
    """The drained sandbox system, through its public ``/_sandbox`` interface."""

    client: httpx.AsyncClient

    async def reset_stats(self) -> None:
        (await self.client.post("/_sandbox/stats/reset")).raise_for_status()

    async def stats(self) -> dict[str, Any]:
        response = await self.client.get("/_sandbox/stats")
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    async def received(self) -> list[datetime]:
        """When each status update arrived, on the system's clock."""
        response = await self.client.get("/_sandbox/ledger")
        response.raise_for_status()
        return sorted(
            datetime.fromisoformat(document["received_at"])
            for document in response.json()["documents"]
            if document["kind"] == "status_update"
        )


def _backlog_of(hub: Hub) -> tuple[int, int, int]:
    """(pending for the drained system, pending elsewhere, orders released to the warehouse)."""
    statuses = hub.systems.status()
    pending = sum(s.pending for s in statuses if s.system == SYSTEM)
    elsewhere = sum(s.pending for s in statuses if s.system != SYSTEM)
    with hub.store.unit_of_work(write=False) as uow:
        released = uow.orders.count_by_status().get("released", 0)
    return pending, elsewhere, released


def _done(hub: Hub) -> int:
    """Deliveries to the drained system the hub recorded as done."""
    with hub.store.unit_of_work(write=False) as uow:
        return uow.deliveries.counts().get(SYSTEM, {}).get("done", 0)


async def _wait_until(hub: Hub, condition: Callable[[], bool], deadline_s: float) -> bool:
    """Check ``condition`` (a store read, on the store's thread) until it holds or time is up.

    Checks are 0.1 s apart so they take next to nothing from the drain they watch; the drain's
    figure comes from the system's own arrival times, not from when a check noticed the end.
    """
    deadline = time.monotonic() + deadline_s
    while True:
        if await hub.store.run(condition):
            return True
        if time.monotonic() >= deadline:
            return False
        await hub.wakeups.wait("bench:drain", _POLL_S)  # a topic nobody notifies: a timed wait


async def one_run(settings: DrainSettings, data_dir: Path) -> DrainRun:
    """Pause the system, queue the backlog, resume the system and time the drain."""
    n = settings.backlog
    load_1m = round(os.getloadavg()[0], 2)
    async with _running(settings, data_dir) as (hub, sandbox, drained):
        await hub.systems.run(hub.systems.pause, SYSTEM, by="bench", reason="outage")
        started = time.perf_counter()
        placed = await sandbox.storefront.place_orders(n, concurrency=32)
        if not all(order.delivered for order in placed):
            raise RuntimeError("the hub refused some of the storefront's orders")

        def accumulated() -> bool:
            return _backlog_of(hub) == (n, 0, n)

        if not await _wait_until(hub, accumulated, settings.deadline_s):
            pending, elsewhere, released = await hub.store.run(_backlog_of, hub)
            raise RuntimeError(
                f"the backlog did not build up: {pending} pending for {SYSTEM}, {elsewhere} "
                f"elsewhere, {released} of {n} orders released to the warehouse"
            )
        accumulate_s = time.perf_counter() - started

        await drained.reset_stats()
        resumed_at = datetime.now(UTC)
        await hub.systems.run(hub.systems.resume, SYSTEM, by="bench")
        if not await _wait_until(hub, lambda: _done(hub) >= n, settings.deadline_s):
            done = await hub.store.run(_done, hub)
            raise RuntimeError(
                f"the backlog did not drain within {settings.deadline_s:g} s: {done} of {n} done"
            )
        done = await hub.store.run(_done, hub)
        stats = await drained.stats()
        received = await drained.received()
    return DrainRun(
        backlog=n,
        drained=done,
        accumulate_s=round(accumulate_s, 3),
        drain_s=round((received[-1] - resumed_at).total_seconds(), 4),
        first_s=round((received[0] - resumed_at).total_seconds(), 4),
        admitted=int(stats["admitted"]),
        rate_limited=int(stats["rate_limited"]),
        max_admitted_per_window=int(stats["max_admitted_per_window"]),
        load_1m=load_1m,
    )


async def run_drain_bench(settings: DrainSettings, *, data_dir: Path | None = None) -> DrainReport:
    """Run the drain ``settings.runs`` times, each on a fresh hub and sandbox; report medians."""
    results: list[DrainRun] = []
    with tempfile.TemporaryDirectory(prefix="crossdock-drain-", dir=data_dir) as tmp:
        for run in range(settings.runs):
            folder = Path(tmp) / f"run-{run}"
            folder.mkdir()
            results.append(await one_run(settings, folder))
    return DrainReport(settings=settings, runs=results)
