"""A local cluster of real processes: the sandbox estate, API processes and worker processes.

What the crash tests and the scale-out benchmark run: each part is started with the CLI as a
separate OS process talking real HTTP (and, in scale-out mode, real PostgreSQL and NATS), so
``kill -9`` of one of them is exactly what it is in production.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from crossdock.estate import sandbox_estate
from crossdock.integration.transport.subjects import Subjects

T = TypeVar("T")
CLI = [sys.executable, "-m", "crossdock.cli"]
SYSTEMS = ("storefront", "legacy_erp", "cloud_erp", "wms", "customer_service")
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
    """Starts, kills and restarts hub processes and the sandbox as separate OS processes."""

    def __init__(
        self,
        workdir: Path,
        *,
        store_url: str | None = None,
        broker_url: str = "embedded",
        tenant: str = "default",
        extra_env: Mapping[str, str] | None = None,
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
        self.broker_url = broker_url
        self.tenant = tenant
        estate = sandbox_estate(base_port=self.base_port).model_dump(mode="json")
        self.estate_file = workdir / "crossdock.yaml"
        self.estate_file.write_text(yaml.safe_dump(estate))
        self.env = {
            **os.environ,
            "CROSSDOCK_STORE__URL": self.store_url,
            "CROSSDOCK_BROKER__URL": broker_url,
            "CROSSDOCK_BROKER__TENANT": tenant,
            "CROSSDOCK_ESTATE_FILE": str(self.estate_file),
            "CROSSDOCK_WEBHOOKS__SHOPIFY_SECRETS": f'["{SHOPIFY_SECRET}"]',
            "CROSSDOCK_WEBHOOKS__WMS_SECRET": WMS_SECRET,
            "CROSSDOCK_WORKER__DELIVERY_LEASE_S": "2",
            "CROSSDOCK_WORKER__IDLE_WAIT_S": "0.2",
            **(extra_env or {}),
        }

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

    def hub_statuses(self) -> dict[str, int]:
        """Orders per status, read through the hub's API."""
        counts: dict[str, int] = {}
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 500}
            if after:
                params["after"] = after
            page = httpx.get(f"{self.url('hub')}/api/v1/orders", params=params, timeout=30).json()
            for item in page["items"]:
                counts[item["status"]] = counts.get(item["status"], 0) + 1
            after = page.get("next")
            if not after:
                return counts


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
