"""The one composition root: builds every adapter from settings and the estate file.

Nothing else in crossdock constructs adapters; tests and benchmarks call :func:`build_hub` with
their own clock, database URL and HTTP clients (an ``httpx.ASGITransport`` to in-process sandbox
systems, for instance).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import httpx
from fastapi import FastAPI

from crossdock.channels.edi.channel import EdiChannel, build_edi_channel
from crossdock.channels.storefront.routes import storefront_router
from crossdock.connectors.catalog import build_gateway
from crossdock.connectors.wms.webhook import wms_router
from crossdock.estate import Estate
from crossdock.integration.access.store import AccessStore
from crossdock.integration.api.app import API_PREFIX, create_app
from crossdock.integration.api.idempotency_store import IdempotencyStore
from crossdock.integration.api.rate_limits import RateLimitPolicy
from crossdock.integration.store.leases import SqlLeaseStore
from crossdock.integration.store.migrate import require_current_schema, upgrade
from crossdock.integration.store.sql import SqlStore
from crossdock.integration.subscriptions.callback_url import CallbackPolicy
from crossdock.integration.subscriptions.fan_out import SYSTEM as WEBHOOKS
from crossdock.integration.subscriptions.fan_out import WebhookFanOut
from crossdock.integration.subscriptions.gateway import DELIVERY_POLICY as WEBHOOK_POLICY
from crossdock.integration.subscriptions.gateway import WebhookGateway
from crossdock.integration.subscriptions.routes import subscriptions_router
from crossdock.integration.subscriptions.store import SubscriptionStore
from crossdock.integration.transport.embedded import EmbeddedBroker
from crossdock.orchestration.clock import Clock, SystemClock
from crossdock.orchestration.deliveries import DeliveryRunner
from crossdock.orchestration.exception_desk import ExceptionDesk
from crossdock.orchestration.gateways import InventorySource, MasterDataSource, SystemGateway
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.order_to_cash import OrderToCash
from crossdock.orchestration.outbox import EventTransport, OutboxRelay
from crossdock.orchestration.runtime import Runtime, RuntimeSettings
from crossdock.orchestration.steps import StepProcessor
from crossdock.orchestration.sync import InventorySync, MasterDataSync
from crossdock.orchestration.system_desk import SystemsDesk
from crossdock.orchestration.timers import TimerPoller
from crossdock.orchestration.wakeups import Wakeups
from crossdock.settings import Settings
from crossdock.visibility.alerts import AlertSink, WebhookAlertSink
from crossdock.visibility.alerts_smtp import SmtpAlertSink, SmtpRelay
from crossdock.visibility.console import console_router
from crossdock.visibility.http_metrics import HttpMetricsMiddleware
from crossdock.visibility.kpis import Kpis
from crossdock.visibility.kpis_api import kpis_router
from crossdock.visibility.metrics import HubMetrics, metrics_router
from crossdock.visibility.request_ids import RequestIdMiddleware
from crossdock.visibility.search import search_router
from crossdock.visibility.sla import SlaMonitor, sweep_lease
from crossdock.visibility.tracing import TracingMiddleware

log = logging.getLogger("crossdock.hub")


class Broker(Protocol):
    """The event transport and the wake-ups, from one connection (embedded or NATS)."""

    @property
    def transport(self) -> EventTransport:
        """Publishes committed business events."""
        ...

    @property
    def wakeups(self) -> Wakeups:
        """Wakes workers when there is work."""
        ...

    async def aclose(self) -> None:
        """Close the connection."""
        ...


@dataclass
class Hub:
    """Everything one crossdock process runs, wired together."""

    settings: Settings
    estate: Estate
    store: SqlStore
    access: AccessStore
    idempotency: IdempotencyStore
    clock: Clock
    broker: Broker
    desk: OrderDesk
    exceptions: ExceptionDesk
    systems: SystemsDesk
    gateways: dict[str, SystemGateway]
    steps: StepProcessor
    deliveries: DeliveryRunner
    runtime: Runtime
    master_data: MasterDataSync | None
    inventory: InventorySync | None
    edi: EdiChannel
    fan_out: WebhookFanOut
    """Turns committed events into deliveries to partners' webhook subscriptions."""
    sla: SlaMonitor | None
    """Sweeps for SLA breaches (the estate's ``sla`` block); None without one."""
    app: FastAPI
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    async def sync_reference_data(self) -> None:
        """Pull master data and stock positions from their systems once.

        A system that is paused, throttled or behind an open circuit is not read either: the
        sync waits for its next turn rather than going around the system's gate.
        """
        if self.master_data is not None and await self._may_read(self.master_data.source):
            await self.master_data.run_once()
        if self.inventory is not None and await self._may_read(self.inventory.source):
            await self.inventory.run_once()

    async def _may_read(self, source: object) -> bool:
        system = str(getattr(source, "system", ""))
        if system not in self.systems.policies:
            return True
        status = await self.systems.run(self.systems.get, system)
        if status.paused or status.breaker == "open" or status.throttled_until is not None:
            log.info("reference data from %s not read: %s", system, status.last_change or "held")
            return False
        return True

    @property
    def wakeups(self) -> Wakeups:
        """The broker's wake-ups."""
        return self.broker.wakeups

    async def start(self, *, workers: bool = True) -> None:
        """Start the worker loops and the periodic reference-data sync; ``workers=False``: none.

        An API-only process runs no loops: intake writes to the store and wakes the workers
        through the broker.
        """
        if not workers:
            return
        try:
            await self.sync_reference_data()
        except Exception as exc:  # the systems may come up later; the periodic sync retries
            log.warning("reference data sync failed at start: %s", exc)
        await self.runtime.start()
        self.edi.start(self.wakeups)
        period = self.settings.subscriptions.fan_out_period_s
        self._background.append(
            asyncio.create_task(self.fan_out.run(self.wakeups, period=period), name="fan-out")
        )
        self._background.append(asyncio.create_task(self._sync_loop(), name="reference-sync"))
        self._background.append(asyncio.create_task(self._purge_loop(), name="idempotency-purge"))
        if self.sla is not None:
            self._background.append(asyncio.create_task(self._sla_loop(self.sla), name="sla"))

    async def _purge_loop(self) -> None:
        """Forget idempotency records older than their 24 hours, hourly."""
        while True:
            try:
                purged = await self.store.run(self.idempotency.purge, self.clock.now())
                if purged:
                    log.info("purged %d expired idempotency records", purged)
            except Exception as exc:
                log.warning("idempotency purge failed: %s", exc)
            await self.wakeups.wait("idempotency-purge", 3600)

    async def _sla_loop(self, monitor: SlaMonitor) -> None:
        """Sweep for SLA breaches every ``sla.sweep_s`` while this hub holds the sweep lease; a
        failed sweep is retried next time. Stopping gives the lease up for another hub, for good
        (a renewal still running when the loop is cancelled gives back what it takes)."""
        period = monitor.policy.sweep_every.total_seconds()
        try:
            while True:
                try:
                    report = await monitor.run_once()
                    if report.raised:
                        log.warning("%d SLA breaches raised as exceptions", len(report.raised))
                    if report.lease_lost:
                        log.info("SLA sweep ended early: another hub took the sweep lease")
                except Exception as exc:
                    log.warning("SLA sweep failed: %s", exc)
                await self.wakeups.wait("sla", period)
        finally:
            with contextlib.suppress(Exception):
                await monitor.release()

    async def _sync_loop(self) -> None:
        period = self.settings.worker.inventory_sync_s
        while True:
            await self.wakeups.wait("sync", period)
            try:
                await self.sync_reference_data()
            except Exception as exc:
                log.warning("reference data sync failed: %s", exc)

    async def stop(self) -> None:
        """Stop loops and release connections."""
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._background.clear()
        await self.edi.stop()
        await self.runtime.stop()
        for gateway in self.gateways.values():
            await gateway.aclose()
        await self.broker.aclose()
        self.store.close()


def build_hub(
    settings: Settings,
    estate: Estate,
    *,
    clock: Clock | None = None,
    http: Mapping[str, httpx.AsyncClient] | None = None,
    migrate: bool = True,
    broker: Broker | None = None,
    manage_runtime_in_app: bool = False,
    workers: bool = True,
) -> Hub:
    """Build a hub. ``http`` maps system names to clients to send through (tests, benchmarks).

    ``migrate`` brings the database to the latest schema (``crossdock up``); without it the
    database must already be there (``crossdock api`` and ``worker``: migrations are a deliberate
    step, ``crossdock migrate``, never a race between processes). ``broker`` defaults to the
    in-process one. ``workers=False`` builds an API-only process.
    """
    clock = clock or SystemClock()
    if migrate:
        upgrade(settings.store.url)
    else:
        require_current_schema(settings.store.url)
    store = SqlStore(settings.store.url)
    access = AccessStore(store.engine, clock)
    idempotency = IdempotencyStore(store.engine)
    broker = broker or EmbeddedBroker()
    wakeups = broker.wakeups
    desk = OrderDesk(store, clock, wakeups)
    exception_desk = ExceptionDesk(store, clock, wakeups)
    policies = {WEBHOOKS: WEBHOOK_POLICY, **estate.delivery_policies()}
    systems_desk = SystemsDesk(store, clock, wakeups, policies)
    gateways: dict[str, SystemGateway] = {}
    for name, spec in estate.systems.items():
        block: dict[str, Any] = {"base_url": spec.base_url, "timeout": spec.timeout_s}
        block.update(spec.settings)
        gateways[name] = build_gateway(spec.connector, name, block, (http or {}).get(name))
    inventory_source = _first(estate.with_role("inventory"), gateways, InventorySource)
    inventory = (
        None if inventory_source is None else InventorySync(store, inventory_source, clock, wakeups)
    )
    edi = build_edi_channel(
        store,
        desk,
        clock,
        estate.edi.directory(),
        api_prefix=API_PREFIX,
        drop_scan_s=estate.edi.drop_scan_s,
        ack_sweep_s=estate.edi.ack_sweep_s,
        availability_s=estate.edi.availability_s,
        stock=(inventory or InventorySync(store, None, clock, wakeups)).apply,
        http=http,
    )
    gateways.update(edi.gateways)
    subscriptions = SubscriptionStore(store.engine, clock)
    callbacks = CallbackPolicy(
        allow_http=settings.subscriptions.allow_http_callbacks,
        allow_private=settings.subscriptions.allow_private_callbacks,
    )
    gateways[WEBHOOKS] = WebhookGateway(
        subscriptions, callbacks, clock, timeout_s=settings.subscriptions.delivery_timeout_s
    )
    workflow = OrderToCash(estate.workflow_policy())
    steps = StepProcessor(store, workflow, clock, batch_size=settings.worker.step_batch)
    deliveries = DeliveryRunner(
        store,
        gateways,
        clock,
        policies=policies,
        concurrency=settings.worker.delivery_concurrency,
        lease=timedelta(seconds=settings.worker.delivery_lease_s),
    )
    runtime = Runtime(
        steps=steps,
        deliveries=deliveries,
        relay=OutboxRelay(store, broker.transport, clock),
        timers=TimerPoller(store, clock),
        wakeups=wakeups,
        systems=gateways,
        settings=RuntimeSettings(idle_wait_s=settings.worker.idle_wait_s),
    )
    master_source = _first(estate.with_role("master_data"), gateways, MasterDataSource)
    hub_ref: list[Hub] = []

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await hub_ref[0].start(workers=workers)
        try:
            yield
        finally:
            await hub_ref[0].stop()

    shopify_secrets, wms_secret = settings.webhooks.resolved(sandbox=settings.estate_file is None)
    kpis = Kpis(
        store,
        clock,
        availability_feeds=[
            f"edi-{profile.name}-846" for profile in edi.availability.subscribers()
        ],
    )
    app = create_app(
        desk=desk,
        access=access,
        idempotency=idempotency,
        exceptions=exception_desk,
        systems=systems_desk,
        routers=[
            storefront_router(desk, secrets=shopify_secrets, system="storefront"),
            wms_router(desk, system=estate.with_role("fulfilment")[0], secret=wms_secret),
            *edi.routers,
            subscriptions_router(subscriptions, callbacks, prefix=API_PREFIX),
            search_router(),
            console_router(
                desk=desk,
                access=access,
                exceptions=exception_desk,
                systems=systems_desk,
                secret=(
                    settings.console.secret.get_secret_value().encode()
                    if settings.console.secret
                    else None
                ),
                secure_cookie=settings.console.secure_cookie,
                kpis=kpis,
            ),
            kpis_router(kpis),
        ],
        rate_limits=RateLimitPolicy(
            default=settings.api.rate_limit_default,
            anonymous=settings.api.rate_limit_anonymous,
            storage=settings.api.rate_limit_storage.get_secret_value(),
            key_prefix=f"crossdock:{settings.broker.tenant}:ratelimit",
        ),
        max_body_bytes=settings.api.max_body_bytes,
        request_timeout_s=settings.api.request_timeout_s,
        lifespan=lifespan if manage_runtime_in_app else None,
    )
    metrics = HubMetrics(store, clock, systems=sorted(gateways), kpis=kpis)
    app.include_router(metrics_router(metrics, token=settings.observability.metrics_token))
    # Added last, run first: request ids outermost, then HTTP metrics, then traces.
    app.add_middleware(TracingMiddleware)
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics.http)
    app.add_middleware(RequestIdMiddleware)
    hub = Hub(
        settings=settings,
        estate=estate,
        store=store,
        access=access,
        idempotency=idempotency,
        clock=clock,
        broker=broker,
        desk=desk,
        exceptions=exception_desk,
        systems=systems_desk,
        gateways=gateways,
        steps=steps,
        deliveries=deliveries,
        runtime=runtime,
        master_data=None if master_source is None else MasterDataSync(store, master_source),
        inventory=inventory,
        edi=edi,
        fan_out=WebhookFanOut(store, clock),
        sla=_sla_monitor(settings, estate, store, clock),
        app=app,
    )
    hub_ref.append(hub)
    return hub


def _sla_monitor(
    settings: Settings, estate: Estate, store: SqlStore, clock: Clock
) -> SlaMonitor | None:
    """The SLA monitor of the estate's ``sla`` block, alerting to its webhook and to SMTP when
    set; None without the block."""
    policy = estate.sla_policy()
    if policy is None or not policy.enabled:
        return None
    sinks: list[AlertSink] = []
    if estate.sla is not None and estate.sla.alerts.webhook_url:
        secret = settings.alert_webhook_secret
        sinks.append(
            WebhookAlertSink(
                estate.sla.alerts.webhook_url, secret=secret.get_secret_value() if secret else ""
            )
        )
    smtp = settings.smtp
    if smtp.enabled():
        sinks.append(
            SmtpAlertSink(
                SmtpRelay(
                    host=smtp.host,
                    port=smtp.port,
                    from_addr=smtp.from_addr,
                    to_addrs=tuple(smtp.to_addrs),
                    username=smtp.username,
                    password=smtp.password.get_secret_value(),
                    starttls=smtp.starttls,
                )
            )
        )
    # Every worker hub builds a monitor; the lease lets one of them sweep at a time.
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return SlaMonitor(
        store,
        clock,
        policy,
        sinks,
        lease=sweep_lease(SqlLeaseStore(store.engine), holder, policy),
    )


def _first(names: list[str], gateways: Mapping[str, SystemGateway], port: type) -> Any:
    for name in names:
        if isinstance(gateways[name], port):
            return gateways[name]
    return None
