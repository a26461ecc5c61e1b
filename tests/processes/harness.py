"""Real processes for crash tests: the sandbox estate and the hub, each started with the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from crossdock.estate import sandbox_estate

T = TypeVar("T")
CLI = [sys.executable, "-m", "crossdock.cli"]
SHOPIFY_SECRET = "crash-test-shopify"
WMS_SECRET = "crash-test-wms"


def free_port_block(size: int) -> int:
    """The first of ``size`` consecutive free loopback ports."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + size >= 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + size):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no block of free ports")


def wait_for(check: Callable[[], T | None], *, timeout_s: float, what: str) -> T:
    """Poll ``check`` until it returns something truthy, or fail naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.05)


class Processes:
    """Starts, kills and restarts the hub and the sandbox as separate OS processes."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.hub_port = free_port_block(1)
        self.base_port = free_port_block(5)
        self.hub: subprocess.Popen[bytes] | None = None
        self.sandbox: subprocess.Popen[bytes] | None = None
        estate = sandbox_estate(base_port=self.base_port).model_dump(mode="json")
        self.estate_file = workdir / "crossdock.yaml"
        self.estate_file.write_text(yaml.safe_dump(estate))
        self.env = {
            **os.environ,
            "CROSSDOCK_STORE__URL": f"sqlite:///{workdir / 'hub.db'}",
            "CROSSDOCK_ESTATE_FILE": str(self.estate_file),
            "CROSSDOCK_WEBHOOKS__SHOPIFY_SECRETS": f'["{SHOPIFY_SECRET}"]',
            "CROSSDOCK_WEBHOOKS__WMS_SECRET": WMS_SECRET,
            "CROSSDOCK_WORKER__DELIVERY_LEASE_S": "2",
            "CROSSDOCK_WORKER__IDLE_WAIT_S": "0.2",
            "CROSSDOCK_WORKER__INVENTORY_SYNC_S": "2",
        }

    def url(self, system: str) -> str:
        """Base URL of a sandbox system or the hub."""
        if system == "hub":
            return f"http://127.0.0.1:{self.hub_port}"
        order = ["storefront", "legacy_erp", "cloud_erp", "wms", "customer_service"]
        return f"http://127.0.0.1:{self.base_port + order.index(system)}"

    def _log(self, name: str) -> Any:
        return open(self.workdir / f"{name}.log", "ab")

    def start_sandbox(self) -> None:
        """Start the estate (no faults) and wait until every system answers."""
        self.sandbox = subprocess.Popen(
            [
                *CLI,
                "sandbox",
                "up",
                "--base-port",
                str(self.base_port),
                "--hub-url",
                self.url("hub"),
                "--faults",
                "none",
                "--data-dir",
                str(self.workdir / "sandbox"),
            ],
            env=self.env,
            stdout=self._log("sandbox"),
            stderr=subprocess.STDOUT,
        )
        for system in ("storefront", "legacy_erp", "cloud_erp", "wms", "customer_service"):
            wait_for(
                lambda s=system: httpx.get(f"{self.url(s)}/_sandbox/health").is_success,
                timeout_s=30,
                what=f"sandbox {system}",
            )

    def start_hub(self) -> None:
        """Start ``crossdock up`` and wait until it is healthy."""
        self.hub = subprocess.Popen(
            [*CLI, "up", "--port", str(self.hub_port)],
            env=self.env,
            stdout=self._log("hub"),
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: httpx.get(f"{self.url('hub')}/healthz").is_success,
            timeout_s=30,
            what="the hub",
        )

    def kill_hub(self) -> None:
        """``kill -9`` the hub: no shutdown, no flush, whatever it was doing."""
        assert self.hub is not None
        self.hub.send_signal(signal.SIGKILL)
        self.hub.wait(timeout=10)

    def stop(self) -> None:
        """Stop everything that still runs."""
        for process in (self.hub, self.sandbox):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def ledger(self, system: str) -> list[dict[str, Any]]:
        """Every document a sandbox system received."""
        documents: list[dict[str, Any]] = httpx.get(f"{self.url(system)}/_sandbox/ledger").json()[
            "documents"
        ]
        return documents

    def hub_statuses(self) -> dict[str, int]:
        """Orders per status, read through the hub's API."""
        counts: dict[str, int] = {}
        after = None
        while True:
            params: dict[str, Any] = {"limit": 500}
            if after:
                params["after"] = after
            page = httpx.get(f"{self.url('hub')}/api/v1/orders", params=params).json()
            for item in page["items"]:
                counts[item["status"]] = counts.get(item["status"], 0) + 1
            after = page.get("next")
            if not after:
                return counts
