import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from crossdock.sandbox.estate import SERVICE_ORDER, SandboxConfig, SandboxEstate, run_estate
from crossdock.sandbox.wms import WmsConfig
from waiting import eventually

from .conftest import HubStub


def free_base_port(count: int = 5) -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range")


def database_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*.db"))


async def test_in_process_estate_takes_an_order_from_storefront_to_the_warehouse() -> None:
    hub = HubStub()
    async with hub.client() as hub_client:
        estate = SandboxEstate(SandboxConfig.none(), hub_client=hub_client)
        async with estate.in_process() as running:
            [placed] = await running.storefront.place_orders(1)
            await running.clients.wms.post(
                "/api/fulfilments",
                json={
                    "order_id": placed.hub_order_id,
                    "location": "WH-WEST",
                    "ship_to_name": "x",
                    "lines": [
                        {"line_no": 1, "sku": line["sku"], "quantity": line["quantity"]}
                        for line in placed.lines
                    ],
                },
            )
            await hub.wait_until(lambda d: sum(x.path == "/webhooks/wms" for x in d) == 3)
            counts = await estate.ledger_counts()
            health = [
                (await c.get("/_sandbox/health")).json()["system"]
                for c in running.clients.all().values()
            ]

    assert health == list(SERVICE_ORDER)
    assert counts["storefront"] == {"order": 1}
    assert counts["wms"] == {"fulfilment": 1, "shipment": 1}


async def test_ledger_counts_report_duplicate_external_refs() -> None:
    estate = SandboxEstate()
    async with estate.in_process() as running:
        customer = next(c for c in running.legacy_erp.catalog.customers if c.legal_entity == "A")
        order = {
            "external_ref": "ORD-9",
            "customer_id": customer.customer_id,
            "currency": "USD",
            "lines": [{"line_no": 1, "sku": "SKU-0001", "quantity": "1"}],
        }
        for _ in range(2):
            await running.clients.legacy_erp.post("/api/sales-orders", json=order)
        counts = await estate.ledger_counts()

    assert counts["legacy_erp"] == {"sales_order": 2, "duplicates:sales_order": 1}


def test_the_realistic_preset_turns_on_the_documented_faults() -> None:
    config = SandboxConfig.realistic(seed=11)

    assert config.legacy_erp.faults.lost_response_rate == 0.02
    assert config.legacy_erp.faults.price_drift_rate == 0.03
    assert config.wms.faults.split_rate == 0.2
    assert config.storefront.faults.duplicate_webhook_rate == 0.05
    assert 0 < config.wms.pick_delay_s <= 1
    assert SandboxConfig.none().wms.faults.latency_ms == 0


async def test_serve_runs_the_five_systems_on_consecutive_ports(tmp_path: Path) -> None:
    base = free_base_port(len(SERVICE_ORDER))
    estate = SandboxEstate(SandboxConfig.none(base_dir=tmp_path))
    serving = asyncio.create_task(estate.serve("127.0.0.1", base))
    try:
        await eventually(lambda: estate.serving, timeout_s=10, what="the estate serving")
        async with httpx.AsyncClient() as client:
            systems = [
                (await client.get(f"http://127.0.0.1:{base + i}/_sandbox/health")).json()
                for i in range(len(SERVICE_ORDER))
            ]
    finally:
        estate.shutdown()
        await asyncio.wait_for(serving, 10)

    assert [s["system"] for s in systems] == list(SERVICE_ORDER)
    assert all(s["running"] for s in systems)
    assert database_files(tmp_path) == sorted(f"{name}.db" for name in SERVICE_ORDER)


async def test_run_estate_refuses_an_unknown_preset_by_name() -> None:
    with pytest.raises(ValueError, match="'chaos'"):
        await run_estate(preset="chaos")


def test_realistic_overrides_replace_a_whole_system_config() -> None:
    config = SandboxConfig.realistic(wms=WmsConfig(), seed=3)

    assert config.wms.faults.split_rate == 0
    assert config.legacy_erp.faults.lost_response_rate == 0.02
    assert config.seed == 3
