"""The long-running processes: ``crossdock up``, ``crossdock api`` and ``crossdock worker``.

* ``up`` — API and workers in one process; migrates the database first (the embedded default).
* ``api`` — the HTTP API only: intake writes to the store and wakes workers through the broker.
  Stateless: run as many as the load needs, behind a load balancer.
* ``worker`` — the loops only (steps, deliveries, outbox relay, timers, reference-data sync).
  Run any number: work is claimed with row locks and leases, so a killed worker's work is taken
  over by the others.

``api`` and ``worker`` never migrate: ``crossdock migrate`` is a deliberate deployment step, and
they refuse to start against a database that is not at the newest revision.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Literal

import uvicorn

from crossdock.bootstrap import Broker, build_hub
from crossdock.core.errors import ConfigurationError
from crossdock.estate import Estate
from crossdock.settings import Settings

log = logging.getLogger("crossdock.process")

Role = Literal["up", "api", "worker"]


async def open_broker(settings: Settings) -> Broker | None:
    """The broker the settings name; None for the embedded default (built by the hub)."""
    url = settings.broker.url
    if url == "embedded":
        return None
    if not url.startswith(("nats://", "tls://")):
        raise ConfigurationError("broker.url", f"{url!r}: use embedded or nats://host:port")
    from crossdock.integration.transport.broker import StreamSettings, connect_broker

    broker: Broker = await connect_broker(
        url,
        tenant=settings.broker.tenant,
        stream=StreamSettings(replicas=settings.broker.replicas),
    )
    return broker


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the process (one stop for everything)."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield


async def run(role: Role, settings: Settings, estate: Estate) -> None:
    """Run a process of ``role`` until SIGINT or SIGTERM."""
    if role != "up" and settings.broker.url == "embedded":
        log.warning(
            "crossdock %s with the embedded broker: API and worker processes cannot wake each "
            "other, so work waits for the idle poll; set CROSSDOCK_BROKER__URL=nats://…",
            role,
        )
    broker = await open_broker(settings)
    try:
        hub = build_hub(
            settings, estate, migrate=role == "up", broker=broker, workers=role != "api"
        )
    except BaseException:
        if broker is not None:
            await broker.aclose()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError) as exc:
            # Windows' loops take no signal handlers, and none can be set off the main thread:
            # Ctrl-C then stops the process through KeyboardInterrupt, as Python does by default.
            log.info("no %s handler (%s): stopping falls back to KeyboardInterrupt", sig.name, exc)
    await hub.start(workers=role != "api")
    try:
        if role == "worker":
            await stop.wait()
        else:
            server = _QuietServer(
                uvicorn.Config(
                    hub.app,
                    host=settings.api.host,
                    port=settings.api.port,
                    log_level="warning",
                    log_config=None,  # uvicorn's lines go through our logging (JSON when set)
                    lifespan="off",
                )
            )
            serving = asyncio.create_task(server.serve())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            server.should_exit = True
            await serving
            stopping.cancel()
    finally:
        await hub.stop()
