"""SandboxEstate: the six sandbox systems, built from one config, in-process or served."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import Counter
from collections.abc import AsyncIterator, Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import uvicorn
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from crossdock.sandbox.clock import Clock
from crossdock.sandbox.cloud_erp import CloudErp, CloudErpConfig, CloudErpFaults
from crossdock.sandbox.customer_service import CustomerService, CustomerServiceConfig
from crossdock.sandbox.database import MEMORY
from crossdock.sandbox.edi_customer import EdiCustomer, EdiCustomerConfig
from crossdock.sandbox.faults import FaultConfig
from crossdock.sandbox.legacy_erp import LegacyErp, LegacyErpConfig, LegacyErpFaults
from crossdock.sandbox.service import SandboxService
from crossdock.sandbox.storefront import Storefront, StorefrontConfig, StorefrontFaults
from crossdock.sandbox.wms import Wms, WmsConfig, WmsFaults

log = logging.getLogger("crossdock.sandbox")
SERVICE_ORDER = (
    "storefront",
    "legacy_erp",
    "cloud_erp",
    "wms",
    "customer_service",
    "edi_customer",
)
# Kinds of which a second document with the same external_ref is a defect (a duplicate); a
# second shipment or status update for one order is normal.
ONCE_PER_REF = frozenset({"order", "sales_order", "invoice", "fulfilment"})
Preset = Literal["none", "realistic"]


class SandboxConfig(BaseModel):
    """Everything needed to build the estate. `seed` overrides each system's own seed."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(7, description="One seed for the catalog and every random choice.")
    base_dir: Path | None = Field(
        None,
        description="Directory for the SQLite files (`<system>.db`); None keeps every "
        "database in memory.",
    )
    hub_url: str = Field("http://127.0.0.1:8000", description="Where webhooks are posted.")
    wms_secret: SecretStr = Field(
        SecretStr("sandbox-wms-secret"), description="HMAC key of `X-Crossdock-Signature`."
    )
    storefront_secret: SecretStr = Field(
        SecretStr("sandbox-shopify-secret"), description="HMAC key of `X-Shopify-Hmac-Sha256`."
    )
    storefront: StorefrontConfig = Field(default_factory=StorefrontConfig)
    legacy_erp: LegacyErpConfig = Field(default_factory=LegacyErpConfig)
    cloud_erp: CloudErpConfig = Field(default_factory=CloudErpConfig)
    wms: WmsConfig = Field(default_factory=WmsConfig)
    customer_service: CustomerServiceConfig = Field(default_factory=CustomerServiceConfig)
    edi_customer: EdiCustomerConfig = Field(default_factory=EdiCustomerConfig)

    @classmethod
    def none(cls, **settings: Any) -> SandboxConfig:
        """No faults, zero latency, no delays: for benchmarks and tests."""
        return cls(**settings)

    @classmethod
    def realistic(cls, **settings: Any) -> SandboxConfig:
        """Some latency, a few errors and lost responses, drift, splits and duplicates."""
        common: dict[str, Any] = {"latency_ms": 5, "latency_jitter_ms": 45, "error_rate": 0.02}
        defaults: dict[str, Any] = {
            "storefront": StorefrontConfig(
                faults=StorefrontFaults(**common, duplicate_webhook_rate=0.05)
            ),
            "legacy_erp": LegacyErpConfig(
                faults=LegacyErpFaults(**common, lost_response_rate=0.02, price_drift_rate=0.03)
            ),
            "cloud_erp": CloudErpConfig(faults=CloudErpFaults(**common)),
            "wms": WmsConfig(
                faults=WmsFaults(
                    **common, split_rate=0.2, short_ship_rate=0.05, duplicate_event_rate=0.05
                ),
                pick_delay_s=0.2,
                pack_delay_s=0.3,
                ship_delay_s=0.5,
            ),
            "customer_service": CustomerServiceConfig(faults=FaultConfig(**common)),
            "edi_customer": EdiCustomerConfig(faults=FaultConfig(**common)),
        }
        return cls(**(defaults | settings))

    @classmethod
    def preset(cls, name: Preset, **settings: Any) -> SandboxConfig:
        return cls.realistic(**settings) if name == "realistic" else cls.none(**settings)


@dataclass(frozen=True, kw_only=True)
class EstateClients:
    """One `httpx.AsyncClient` per system, talking to its ASGI app in-process."""

    storefront: httpx.AsyncClient
    legacy_erp: httpx.AsyncClient
    cloud_erp: httpx.AsyncClient
    wms: httpx.AsyncClient
    customer_service: httpx.AsyncClient
    edi_customer: httpx.AsyncClient

    def all(self) -> dict[str, httpx.AsyncClient]:
        return {name: getattr(self, name) for name in SERVICE_ORDER}

    async def aclose(self) -> None:
        for client in self.all().values():
            await client.aclose()


@dataclass(frozen=True, kw_only=True)
class InProcessEstate:
    """A started estate with its in-process clients."""

    estate: SandboxEstate
    clients: EstateClients

    @property
    def storefront(self) -> Storefront:
        return self.estate.storefront

    @property
    def legacy_erp(self) -> LegacyErp:
        return self.estate.legacy_erp

    @property
    def cloud_erp(self) -> CloudErp:
        return self.estate.cloud_erp

    @property
    def wms(self) -> Wms:
        return self.estate.wms

    @property
    def customer_service(self) -> CustomerService:
        return self.estate.customer_service

    @property
    def edi_customer(self) -> EdiCustomer:
        return self.estate.edi_customer


class SandboxEstate:
    """Builds the six systems from one `SandboxConfig`.

    `hub_client` is the client the WMS and the storefront post webhooks with (and the EDI
    customer its AS2 messages); pass
    `httpx.AsyncClient(transport=httpx.ASGITransport(hub_app))` to run everything in one
    process. Without one, the estate opens (and closes) a real HTTP client.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        hub_client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config = config or SandboxConfig.none()
        self._servers: list[_EstateServer] = []
        self._owns_hub_client = hub_client is None
        self.hub_client = hub_client or httpx.AsyncClient(timeout=10)
        seed = {"seed": config.seed}
        self.storefront = Storefront(
            config.storefront.model_copy(update=seed),
            self._db("storefront"),
            hub_client=self.hub_client,
            hub_url=config.hub_url,
            secret=config.storefront_secret.get_secret_value(),
            clock=clock,
        )
        self.legacy_erp = LegacyErp(
            config.legacy_erp.model_copy(update=seed), self._db("legacy_erp"), clock=clock
        )
        self.cloud_erp = CloudErp(
            config.cloud_erp.model_copy(update=seed), self._db("cloud_erp"), clock=clock
        )
        self.wms = Wms(
            config.wms.model_copy(update=seed),
            self._db("wms"),
            hub_client=self.hub_client,
            hub_url=config.hub_url,
            secret=config.wms_secret.get_secret_value(),
            clock=clock,
        )
        self.customer_service = CustomerService(
            config.customer_service.model_copy(update=seed),
            self._db("customer_service"),
            clock=clock,
        )
        self.edi_customer = EdiCustomer(
            config.edi_customer.model_copy(update=seed),
            self._db("edi_customer"),
            hub_client=self.hub_client,
            hub_url=config.hub_url,
            clock=clock,
        )

    def _db(self, name: str) -> str:
        base = self.config.base_dir
        return MEMORY if base is None else str(base / f"{name}.db")

    @property
    def services(self) -> dict[str, SandboxService]:
        """The systems by name, in port order."""
        return {name: getattr(self, name) for name in SERVICE_ORDER}

    async def start(self) -> None:
        """Start every system's background work (what the ASGI lifespan would do)."""
        for service in self.services.values():
            await service.start()

    async def stop(self) -> None:
        for service in self.services.values():
            await service.stop()

    async def aclose(self) -> None:
        """Stop everything and close databases and the estate's own hub client."""
        await self.stop()
        for service in self.services.values():
            service.close()
        if self._owns_hub_client:
            await self.hub_client.aclose()

    def clients(self) -> EstateClients:
        """New in-process clients (`httpx.ASGITransport`); the caller closes them."""

        def client(name: str) -> httpx.AsyncClient:
            app: Any = self.services[name].app
            return httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url=f"http://{name.replace('_', '-')}.sandbox",
            )

        return EstateClients(**{name: client(name) for name in SERVICE_ORDER})

    @contextlib.asynccontextmanager
    async def in_process(self) -> AsyncIterator[InProcessEstate]:
        """Start the estate, yield it with its in-process clients, then close everything."""
        await self.start()
        clients = self.clients()
        try:
            yield InProcessEstate(estate=self, clients=clients)
        finally:
            await clients.aclose()
            await self.aclose()

    def ledgers(self) -> dict[str, dict[str, Any]]:
        return {name: service.ledger_snapshot() for name, service in self.services.items()}

    async def ledger_counts(self) -> dict[str, dict[str, int]]:
        """Per system: documents per kind, and `duplicates:<kind>` for repeated external refs.

        Duplicates are counted for the kinds in `ONCE_PER_REF` only (orders, sales orders,
        invoices, fulfilments): extra documents beyond the first per external_ref.
        """
        counts: dict[str, dict[str, int]] = {}
        for name, service in self.services.items():
            documents = service.ledger.documents()
            kinds = Counter(d["kind"] for d in documents)
            refs = Counter(
                (d["kind"], d["external_ref"])
                for d in documents
                if d["external_ref"] is not None and d["kind"] in ONCE_PER_REF
            )
            summary = dict(kinds)
            for (kind, _ref), seen in refs.items():
                if seen > 1:
                    key = f"duplicates:{kind}"
                    summary[key] = summary.get(key, 0) + seen - 1
            counts[name] = summary
        return counts

    async def serve(self, host: str = "127.0.0.1", base_port: int = 8101) -> None:
        """Serve the six systems on consecutive ports until SIGINT/SIGTERM or `shutdown()`.

        Ports from `base_port`: storefront, legacy_erp, cloud_erp, wms, customer_service,
        edi_customer (base_port + 5).
        uvicorn runs each app's lifespan, which calls the service's `start()`/`stop()`.
        """
        self._servers = [
            _EstateServer(
                uvicorn.Config(
                    service.app,
                    host=host,
                    port=base_port + i,
                    lifespan="on",
                    log_level="warning",
                )
            )
            for i, service in enumerate(self.services.values())
        ]
        loop = asyncio.get_running_loop()
        handled = _handle_stop_signals(loop, self.shutdown)
        try:
            await asyncio.gather(*(server.serve() for server in self._servers))
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)
            await self.aclose()

    @property
    def serving(self) -> bool:
        """True once every server of `serve()` is listening."""
        return bool(self._servers) and all(server.started for server in self._servers)

    def shutdown(self) -> None:
        """Ask `serve()` to stop all six servers."""
        for server in self._servers:
            server.should_exit = True


class _EstateServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the estate, which stops them all together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def run_estate(
    *,
    preset: str = "realistic",
    host: str = "127.0.0.1",
    base_port: int = 8101,
    hub_url: str = "http://127.0.0.1:8000",
    data_dir: Path | None = None,
    seed: int = 7,
    shopify_secret: str | None = None,
    wms_secret: str | None = None,
    config: SandboxConfig | None = None,
) -> None:
    """Serve the estate in the foreground until interrupted (what `crossdock sandbox up` runs).

    `preset` is "none" or "realistic"; `data_dir` holds one SQLite file per system (None keeps
    them in memory); the secrets sign the storefront's and the WMS's webhooks. `config`, when
    given, is used as is and the other settings are ignored, except host and port.
    """
    if config is None:
        if preset not in ("none", "realistic"):
            raise ValueError(f"unknown sandbox preset {preset!r}: expected 'none' or 'realistic'")
        settings: dict[str, Any] = {"hub_url": hub_url, "base_dir": data_dir, "seed": seed}
        if shopify_secret is not None:
            settings["storefront_secret"] = SecretStr(shopify_secret)
        if wms_secret is not None:
            settings["wms_secret"] = SecretStr(wms_secret)
        config = SandboxConfig.preset("realistic" if preset == "realistic" else "none", **settings)
    await SandboxEstate(config).serve(host, base_port)


def _handle_stop_signals(
    loop: asyncio.AbstractEventLoop, stop: Callable[[], None]
) -> list[signal.Signals]:
    """Call ``stop`` on SIGINT and SIGTERM where the loop can; returns the signals handled.

    Windows' loops take no signal handlers, and none can be set off the main thread (the tests
    serve the estate from one): there Ctrl-C stops the estate through KeyboardInterrupt, as
    Python does by default.
    """
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
        except (NotImplementedError, RuntimeError, ValueError) as exc:
            log.info("no %s handler (%s): stopping falls back to KeyboardInterrupt", sig.name, exc)
            continue
        handled.append(sig)
    return handled
