"""A hub wired to the sandbox estate in one process: what the demo, benchmarks and tests run.

The sandbox systems are reached through ``httpx.ASGITransport`` (real HTTP semantics, no sockets),
and they post their webhooks back to the hub's ASGI app the same way.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from crossdock.bootstrap import Hub, build_hub
from crossdock.estate import Estate, sandbox_estate
from crossdock.integration.access.operator import mint_operator_key
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.store import OrderQuery, OrderRow
from crossdock.sandbox.estate import SandboxConfig, SandboxEstate
from crossdock.sandbox.storefront import PlacedOrder
from crossdock.settings import (
    SANDBOX_SHOPIFY_SECRET,
    SANDBOX_WMS_SECRET,
    Settings,
    StoreSettings,
    WebhookSettings,
    WorkerSettings,
)

SETTLED = frozenset({"closed", "on_hold", "cancelled"})
SHOPIFY_SECRET = SANDBOX_SHOPIFY_SECRET
WMS_SECRET = SANDBOX_WMS_SECRET


class _LateApp:
    """An ASGI app that forwards to one set later (the hub is built after the sandbox)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the hub's app is not wired yet"
        await self.app(scope, receive, send)


@dataclass
class Rig:
    """A running hub and sandbox estate."""

    hub: Hub
    sandbox: SandboxEstate

    def operator_client(self) -> httpx.AsyncClient:
        """A client of the hub's API in process, with a fresh admin key (close it when done)."""
        key = mint_operator_key(self.hub.access, label="rig")
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.hub.app),
            base_url="http://hub.local",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )

    async def place(self, count: int, *, concurrency: int = 8) -> list[PlacedOrder]:
        """The storefront places ``count`` orders through its signed webhook."""
        return await self.sandbox.storefront.place_orders(count, concurrency=concurrency)

    def status_counts(self) -> dict[str, int]:
        """Orders per status in the hub."""
        with self.hub.store.unit_of_work(write=False) as uow:
            return uow.orders.count_by_status()

    def orders(self) -> list[OrderRow]:
        """Every order in the hub."""
        rows: list[OrderRow] = []
        after: str | None = None
        while True:
            page = self.hub.desk.search(OrderQuery(limit=500, after=after))
            rows.extend(page)
            if len(page) < 500:
                return rows
            after = page[-1].order_id

    async def wait_until_settled(
        self,
        expected: int,
        *,
        timeout_s: float,
        settled: frozenset[str] = SETTLED,
        on_progress: Callable[[dict[str, int]], None] | None = None,
        poll_s: float = 0.05,
    ) -> bool:
        """Wait until ``expected`` orders exist and each is in a settled state, or time runs out."""
        deadline = time.monotonic() + timeout_s
        while True:
            counts = await self.hub.store.run(self.status_counts)
            if on_progress is not None:
                on_progress(counts)
            done = sum(n for status, n in counts.items() if status in settled)
            if sum(counts.values()) >= expected and done >= sum(counts.values()):
                return True
            if time.monotonic() >= deadline:
                return False
            await self.hub.wakeups.wait("settled", poll_s)


@contextlib.asynccontextmanager
async def in_process_rig(
    *,
    faults: str = "none",
    data_dir: Path | None = None,
    clock: Clock | None = None,
    seed: int = 7,
    sandbox_overrides: dict[str, Any] | None = None,
    worker: WorkerSettings | None = None,
    sandbox_in_memory: bool = False,
    estate: Estate | None = None,
    database_url: str | None = None,
) -> AsyncIterator[Rig]:
    """Start a sandbox estate and an embedded hub wired to each other; stop both afterwards.

    ``data_dir`` holds the hub's SQLite file and the sandbox's (a temporary folder if None);
    ``sandbox_in_memory`` keeps the sandbox systems' databases in memory instead (benchmarks
    measure the hub, not the stand-ins for other companies' systems). ``estate`` replaces the
    sandbox estate (to add an EDI partner, say); ``database_url`` puts the hub's store elsewhere
    than a SQLite file in ``data_dir`` (a PostgreSQL schema, say).
    """
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            import tempfile

            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="crossdock-")))
        data_dir.mkdir(parents=True, exist_ok=True)
        late = _LateApp()
        hub_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=late), base_url="http://hub.local", timeout=30
        )
        config = SandboxConfig.preset(
            "realistic" if faults == "realistic" else "none",
            seed=seed,
            base_dir=None if sandbox_in_memory else data_dir / "sandbox",
            hub_url="http://hub.local",
            storefront_secret=SecretStr(SHOPIFY_SECRET),
            wms_secret=SecretStr(WMS_SECRET),
            **(sandbox_overrides or {}),
        )
        (data_dir / "sandbox").mkdir(exist_ok=True)
        sandbox = SandboxEstate(config, hub_client=hub_client)
        clients = sandbox.clients()
        settings = Settings(
            store=StoreSettings(url=database_url or f"sqlite:///{data_dir / 'crossdock.db'}"),
            webhooks=WebhookSettings(
                shopify_secrets=[SecretStr(SHOPIFY_SECRET)], wms_secret=SecretStr(WMS_SECRET)
            ),
            worker=worker or WorkerSettings(),
        )
        hub = build_hub(settings, estate or sandbox_estate(), clock=clock, http=clients.all())
        late.app = hub.app
        await sandbox.start()
        await hub.start()
        try:
            yield Rig(hub=hub, sandbox=sandbox)
        finally:
            await hub.stop()
            await sandbox.aclose()
            await clients.aclose()
            await hub_client.aclose()
