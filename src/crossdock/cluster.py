"""A local cluster of real processes: the sandbox estate, API processes and worker processes.

What the crash tests, the fault-injection suite and the scale-out benchmark run: each part is
started with the CLI as a separate OS process talking real HTTP (and, in scale-out mode, real
PostgreSQL and NATS), so ``kill -9`` of one of them is exactly what it is in production.

Two nouns live here: :class:`LocalCluster` starts, kills and reads the processes (the hub through
its API and its store), and :class:`SandboxControls` works the sandbox's ``/_sandbox/*`` doors
(faults, outages, traffic stats, ledgers) that tests drive the estate with.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from crossdock.estate import sandbox_estate
from crossdock.integration.access.operator import mint_operator_key
from crossdock.integration.access.store import AccessStore
from crossdock.integration.store.engine import build_engine
from crossdock.integration.store.sql import SqlStore, SqlUnitOfWork
from crossdock.integration.transport.subjects import Subjects
from crossdock.orchestration.clock import SystemClock
from crossdock.orchestration.store_ops import SystemState
from crossdock.settings import database_url

T = TypeVar("T")
CLI = [sys.executable, "-m", "crossdock.cli"]
SYSTEMS = ("storefront", "legacy_erp", "cloud_erp", "wms", "customer_service", "edi_customer")
SHOPIFY_SECRET = "cluster-shopify-secret"
WMS_SECRET = "cluster-wms-secret"


def free_port_block(size: int) -> int:
    """The first of ``size`` consecutive free loopback ports."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + size >= 65535:
            continue
        taken: list[socket.socket] = []
        try:
            for port in range(base, base + size):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                taken.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in taken:
                s.close()
    raise RuntimeError("no block of free ports on 127.0.0.1")


def wait_for(check: Callable[[], T | None], *, timeout_s: float, what: str) -> T:
    """Poll ``check`` until it returns something truthy, or raise naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.05)


class LocalCluster:
    """Starts, kills and restarts hub processes and the sandbox as separate OS processes.

    ``delivery`` sets systems' ``delivery:`` blocks in the estate file the hub reads (retries,
    breaker, concurrency, rate limit), e.g. ``{"legacy_erp": {"rate_limit_per_s": 5}}``;
    ``base_urls`` sends the hub's requests for some systems elsewhere (a recording proxy in front
    of the sandbox's system, say) while :meth:`url` keeps naming the sandbox's own address.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        store_url: str | None = None,
        broker_url: str = "embedded",
        tenant: str = "default",
        extra_env: Mapping[str, str] | None = None,
        delivery: Mapping[str, Mapping[str, Any]] | None = None,
        base_urls: Mapping[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.base_port = free_port_block(len(SYSTEMS))
        self.api_ports: list[int] = []
        self.apis: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        self.hub: subprocess.Popen[bytes] | None = None
        self.hub_port = free_port_block(1)
        self.sandbox: subprocess.Popen[bytes] | None = None
        self.store_url = store_url or f"sqlite:///{workdir / 'hub.db'}"
        self._operator_key = ""
        self.broker_url = broker_url
        self.tenant = tenant
        self.estate_file = workdir / "crossdock.yaml"
        self.delivery: dict[str, dict[str, Any]] = {
            system: dict(policy) for system, policy in (delivery or {}).items()
        }
        self.base_urls = dict(base_urls or {})
        self.write_estate()
        self.controls = SandboxControls(self.url)
        self.env = {
            **os.environ,
            "CROSSDOCK_STORE__URL": self.store_url,
            "CROSSDOCK_BROKER__URL": broker_url,
            "CROSSDOCK_BROKER__TENANT": tenant,
            "CROSSDOCK_ESTATE_FILE": str(self.estate_file),
            "CROSSDOCK_WEBHOOKS__SHOPIFY_SECRETS": f'["{SHOPIFY_SECRET}"]',
            "CROSSDOCK_WEBHOOKS__WMS_SECRET": WMS_SECRET,
            # Longer than a system's timeout_s (10 s): a lease that runs out while its attempt
            # is still on the wire lets another worker start the same create, and a system
            # without idempotency keys (the legacy ERP) then gets it twice. A 2 s lease did
            # exactly that on a loaded two-core machine.
            "CROSSDOCK_WORKER__DELIVERY_LEASE_S": "15",
            "CROSSDOCK_WORKER__IDLE_WAIT_S": "0.2",
            **(extra_env or {}),
        }

    def write_estate(self) -> None:
        """Write the sandbox estate, with this cluster's delivery policies and base URLs, to the
        estate file (a hub started afterwards reads it)."""
        estate = sandbox_estate(base_port=self.base_port).model_dump(mode="json")
        for system, base_url in self.base_urls.items():
            estate["systems"][system]["base_url"] = base_url
        for system, policy in self.delivery.items():
            estate["systems"][system]["delivery"] = {
                **estate["systems"][system].get("delivery", {}),
                **policy,
            }
        self.estate_file.write_text(yaml.safe_dump(estate))

    # ------------------------------------------------------------------ addresses

    def url(self, system: str) -> str:
        """Base URL of a sandbox system, or of the hub (``hub``: ``up`` or the first API)."""
        if system == "hub":
            port = self.api_ports[0] if self.api_ports else self.hub_port
            return f"http://127.0.0.1:{port}"
        return f"http://127.0.0.1:{self.base_port + SYSTEMS.index(system)}"

    def _log(self, name: str) -> Any:
        return open(self.workdir / f"{name}.log", "ab")

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*CLI, *args], env=self.env, stdout=self._log(name), stderr=subprocess.STDOUT
        )

    # ------------------------------------------------------------------ processes

    def migrate(self) -> None:
        """``crossdock migrate`` (scale-out processes never migrate on their own)."""
        subprocess.run([*CLI, "migrate"], env=self.env, check=True, capture_output=True)

    def start_sandbox(self, *, faults: str = "none", in_memory: bool = False) -> None:
        """Start the estate and wait until every system answers."""
        args = ["sandbox", "up", "--base-port", str(self.base_port), "--hub-url", self.url("hub")]
        args += ["--faults", faults]
        if not in_memory:
            args += ["--data-dir", str(self.workdir / "sandbox")]
        else:
            args += ["--in-memory"]
        self.sandbox = self._spawn("sandbox", *args)
        for system in SYSTEMS:
            wait_for(
                lambda s=system: httpx.get(f"{self.url(s)}/_sandbox/health").is_success,  # type: ignore[misc]
                timeout_s=30,
                what=f"sandbox {system}",
            )

    def _healthy(self, port: int) -> None:
        wait_for(
            lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").is_success,
            timeout_s=30,
            what=f"the hub on :{port}",
        )

    def start_hub(self) -> None:
        """``crossdock up``: API and workers in one process."""
        self.hub = self._spawn("hub", "up", "--port", str(self.hub_port))
        self._healthy(self.hub_port)

    def kill_hub(self) -> None:
        """``kill -9`` the single-process hub."""
        assert self.hub is not None
        _kill(self.hub)

    def restart_hub(self) -> float:
        """``kill -9`` the hub if it runs, start it again; seconds until it answered healthy."""
        if self.hub is not None and self.hub.poll() is None:
            _kill(self.hub)
        started = time.monotonic()
        self.start_hub()
        return time.monotonic() - started

    def start_api(self) -> int:
        """One more ``crossdock api`` process; returns its port."""
        port = self.hub_port if not self.api_ports else free_port_block(1)
        self.apis.append(self._spawn(f"api-{len(self.apis)}", "api", "--port", str(port)))
        self.api_ports.append(port)
        self._healthy(port)
        return port

    def start_worker(self) -> subprocess.Popen[bytes]:
        """One more ``crossdock worker`` process."""
        worker = self._spawn(f"worker-{len(self.workers)}", "worker")
        self.workers.append(worker)
        return worker

    def kill_random_worker(self, rng: random.Random) -> None:
        """``kill -9`` a running worker, chosen at random."""
        alive = [w for w in self.workers if w.poll() is None]
        if alive:
            _kill(rng.choice(alive))

    def running_workers(self) -> int:
        """Workers still alive."""
        return sum(1 for w in self.workers if w.poll() is None)

    def stop(self) -> None:
        """Stop everything that still runs (SIGTERM, then SIGKILL), and drop the run's stream."""
        for process in [*self.workers, *self.apis, self.hub, self.sandbox]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [*self.workers, *self.apis, self.hub, self.sandbox]:
            if process is None:
                continue
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _kill(process)
        if self.broker_url.startswith("nats://"):
            asyncio.run(_delete_stream(self.broker_url, Subjects(self.tenant).default_stream))

    # ------------------------------------------------------------------ observations

    def ledger(self, system: str) -> list[dict[str, Any]]:
        """Every document a sandbox system received."""
        response = httpx.get(f"{self.url(system)}/_sandbox/ledger", timeout=30)
        documents: list[dict[str, Any]] = response.json()["documents"]
        return documents

    def place_orders(self, count: int, *, concurrency: int = 8) -> None:
        """The storefront places ``count`` orders through its signed webhook."""
        response = httpx.post(
            f"{self.url('storefront')}/_sandbox/orders",
            json={"count": count, "concurrency": concurrency},
            timeout=max(60.0, count / 5),
        )
        response.raise_for_status()

    def place_orders_in_background(self, count: int, *, concurrency: int = 8) -> Future[None]:
        """:meth:`place_orders` on a thread of its own; the future ends when all were placed
        (each webhook answered or given up on by the storefront) and carries any error."""
        placed: Future[None] = Future()

        def place() -> None:
            try:
                self.place_orders(count, concurrency=concurrency)
            except BaseException as exc:  # handed to whoever waits on the future
                placed.set_exception(exc)
            else:
                placed.set_result(None)

        threading.Thread(target=place, name="storefront", daemon=True).start()
        return placed

    def hub_orders(self) -> list[dict[str, Any]]:
        """Every order, as the hub's API lists it (``order_id``, ``status`` …)."""
        orders: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 500}
            if after:
                params["after"] = after
            page = self.hub_get("/api/v1/orders", **params)
            orders.extend(page["items"])
            after = page.get("next")
            if not after:
                return orders

    def hub_statuses(self) -> dict[str, int]:
        """Orders per status, read through the hub's API."""
        return dict(Counter(str(order["status"]) for order in self.hub_orders()))

    def operator_headers(self) -> dict[str, str]:
        """An admin key for the hub's API, minted in the hub's database on first use (after the
        hub has migrated it)."""
        if not self._operator_key:
            engine = build_engine(database_url(self.store_url))
            try:
                access = AccessStore(engine, SystemClock())
                self._operator_key = mint_operator_key(access, label="cluster")
            finally:
                engine.dispose()
        return {"Authorization": f"Bearer {self._operator_key}"}

    def hub_get(self, path: str, **params: Any) -> Any:
        """``GET`` a hub API path (``/api/v1/…``); the JSON answer, or an error for non-2xx."""
        response = httpx.get(
            f"{self.url('hub')}{path}", params=params, headers=self.operator_headers(), timeout=30
        )
        response.raise_for_status()
        return response.json()

    def hub_post(self, path: str, body: Any) -> Any:
        """``POST`` JSON to a hub API path; the JSON answer, or an error for non-2xx."""
        response = httpx.post(
            f"{self.url('hub')}{path}", json=body, headers=self.operator_headers(), timeout=30
        )
        response.raise_for_status()
        return response.json()

    def systems(self) -> dict[str, dict[str, Any]]:
        """``GET /api/v1/systems`` by system name: breaker, pause, backlog, exceptions."""
        listed = self.hub_get("/api/v1/systems")
        items = listed["items"] if isinstance(listed, dict) else listed
        return {str(item["system"]): item for item in items}

    def timeline(self, order_id: str) -> list[dict[str, Any]]:
        """An order's timeline through the hub's API, oldest first."""
        entries = self.hub_get(f"/api/v1/orders/{order_id}/timeline")
        return list(entries["entries"] if isinstance(entries, dict) else entries)

    # ------------------------------------------------------------------ the hub's store

    def read_store(self, read: Callable[[SqlUnitOfWork], T]) -> T:
        """Run ``read`` on a read-only unit of work of the hub's store, from this process."""
        store = SqlStore(self.store_url)
        try:
            with store.unit_of_work(write=False) as uow:
                return read(uow)
        finally:
            store.close()

    def deliveries(self, system: str) -> dict[str, int]:
        """A system's deliveries per status (``pending``, ``in_flight``, ``done``, ``failed``)."""
        return self.read_store(lambda uow: uow.deliveries.counts().get(system, {}))

    def backlog(self, system: str) -> int:
        """Deliveries to a system that have not gone through yet (pending and in flight)."""
        counts = self.deliveries(system)
        return counts.get("pending", 0) + counts.get("in_flight", 0)

    def in_flight(self, system: str) -> int:
        """Deliveries to a system being sent right now (leased to a worker)."""
        now = SystemClock().now()
        return self.read_store(lambda uow: uow.deliveries.in_flight(system, now))

    def gate(self, system: str) -> SystemState:
        """A system's shared gate state as the workers see it: breaker, throttle, pause."""
        return self.read_store(lambda uow: uow.systems.get(system))


class SandboxControls:
    """The sandbox's own doors (``/_sandbox/*``): faults, outages, traffic stats and ledgers.

    Nothing here reaches a system's business API, so nothing here counts in its stats.
    """

    def __init__(self, url: Callable[[str], str]) -> None:
        self._url = url

    def _call(self, method: str, system: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, f"{self._url(system)}/_sandbox/{path}", json=body, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def set_faults(self, system: str, **faults: Any) -> dict[str, Any]:
        """Change some of a system's faults (the rest keep their value); its faults after."""
        result: dict[str, Any] = self._call("PUT", system, "faults", faults)
        return result

    def start_outage(self, system: str, duration_s: float) -> str:
        """503 to every business request from now for ``duration_s``; the instant it ends."""
        return str(
            self._call("POST", system, "outage", {"duration_s": duration_s})["unavailable_until"]
        )

    def end_outage(self, system: str) -> None:
        """End an outage on demand early."""
        self._call("DELETE", system, "outage")

    def stats(self, system: str) -> dict[str, Any]:
        """Business requests since start or the last reset: requests, admitted, rate_limited,
        unavailable, max_admitted_per_window, window_s."""
        result: dict[str, Any] = self._call("GET", system, "stats")
        return result

    def reset_stats(self, system: str) -> dict[str, Any]:
        """Zero a system's traffic counters (its rate limit's bucket is untouched)."""
        result: dict[str, Any] = self._call("POST", system, "stats/reset")
        return result

    def ledger(self, system: str) -> list[dict[str, Any]]:
        """Every document a system received or created."""
        documents: list[dict[str, Any]] = self._call("GET", system, "ledger")["documents"]
        return documents


async def _delete_stream(url: str, stream: str) -> None:
    """Delete a run's JetStream stream (each run has a tenant, and so a stream, of its own)."""
    import nats
    from nats.errors import Error as NatsError

    try:
        connection = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    except (NatsError, OSError):
        return
    try:
        await connection.jetstream().delete_stream(stream)
    except NatsError:
        pass
    finally:
        await connection.close()


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


class ScratchSchema:
    """A PostgreSQL schema of its own for one run, dropped afterwards.

    ``url`` is the database URL with ``search_path`` set to the schema, so every process of the
    run (API, workers, benchmark driver) sees only this run's tables.
    """

    def __init__(self, database_url: str, prefix: str = "crossdock_run") -> None:
        self.database_url = database_url
        self.name = f"{prefix}_{os.getpid()}_{random.randrange(1 << 30):x}"
        separator = "&" if "?" in database_url else "?"
        self.url = f"{database_url}{separator}options=-csearch_path%3D{self.name}"

    def __enter__(self) -> ScratchSchema:
        self._execute(f'CREATE SCHEMA "{self.name}"')
        return self

    def __exit__(self, *exc: object) -> None:
        self._execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')

    def _execute(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()
