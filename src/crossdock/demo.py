"""``crossdock demo``: the sandbox estate, the hub, a storefront placing orders and a retailer
sending 850s over AS2; a summary."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crossdock.benchmarks.machine import percentile
from crossdock.rig import Rig, in_process_rig
from crossdock.settings import Settings


@dataclass(frozen=True)
class DemoOptions:
    """What the demo does."""

    orders: int = 50
    edi_orders: int = 0
    """Purchase orders the sandbox retailer sends over AS2 (X12 850s), besides ``orders``."""
    faults: str = "realistic"
    until_done: bool = False
    timeout_s: float = 600.0
    data_dir: Path | None = None
    progress: bool = True


@dataclass
class DemoSummary:
    """What happened."""

    placed: int
    faults: str
    statuses: dict[str, int]
    on_hold: list[dict[str, Any]]
    systems: dict[str, dict[str, int]]
    cycle_p50_s: float
    cycle_p95_s: float
    elapsed_s: float
    timelines_complete: int
    settled: bool
    edi: dict[str, Any] = field(default_factory=dict)
    """The retailer's own account: POs sent, documents it got back, what it found wrong."""
    notes: list[str] = field(default_factory=list)

    @property
    def closed(self) -> int:
        """Orders closed."""
        return self.statuses.get("closed", 0)

    def succeeded(self, *, until_done: bool) -> bool:
        """Every order closed; with faults, every order closed or on hold with a reason."""
        total = sum(self.statuses.values())
        if total < self.placed:
            return False
        if self.edi.get("findings_count"):
            return False
        if self.faults == "none":
            return self.closed == self.placed
        held_with_reason = sum(1 for hold in self.on_hold if hold["reasons"])
        return self.closed + held_with_reason == total if until_done else self.settled

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        return {
            "orders_placed": self.placed,
            "faults": self.faults,
            "closed": self.closed,
            "on_hold": len(self.on_hold),
            "statuses": self.statuses,
            "on_hold_orders": self.on_hold,
            "systems": self.systems,
            "cycle_time_p50_s": round(self.cycle_p50_s, 3),
            "cycle_time_p95_s": round(self.cycle_p95_s, 3),
            "elapsed_s": round(self.elapsed_s, 2),
            "timelines_complete": self.timelines_complete,
            "settled": self.settled,
            "edi": self.edi,
        }

    def print(self, console: Console) -> None:
        """A readable summary."""
        table = Table(title=f"crossdock demo — {self.placed} orders, faults: {self.faults}")
        table.add_column("figure")
        table.add_column("value", justify="right")
        for key, value in self.as_dict().items():
            if key in ("on_hold_orders", "systems", "statuses", "edi"):
                continue
            table.add_row(key, str(value))
        for status, count in sorted(self.statuses.items()):
            table.add_row(f"status {status}", str(count))
        for system, kinds in sorted(self.systems.items()):
            table.add_row(f"{system}", ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
        if self.edi:
            for key in ("sent", "acknowledged", "acknowledged_855", "shipped", "invoiced"):
                table.add_row(f"edi {key}", str(self.edi.get(key, 0)))
            table.add_row("edi findings", str(self.edi.get("findings_count", 0)))
        console.print(table)
        for hold in self.on_hold[:20]:
            console.print(
                f"[yellow]on hold[/yellow] {hold['order_id']}: {'; '.join(hold['reasons'])}"
            )


def _complete_timeline(rig: Rig, order_id: str, channel: str, erp: str) -> bool:
    systems = {entry.system for entry in rig.hub.desk.timeline(order_id)}
    return {channel, erp, "wms"} <= systems


async def summarise(
    rig: Rig, placed: int, faults: str, started: float, settled: bool, edi_orders: int = 0
) -> DemoSummary:
    """Read the outcome back from the hub and the sandbox ledgers."""
    rows = rig.orders()
    statuses = Counter(row.status.value for row in rows)
    on_hold = [
        {"order_id": row.order_id, "reasons": list(row.state.hold_reasons) if row.state else []}
        for row in rows
        if row.status.value == "on_hold"
    ]
    cycles = [
        (row.closed_at - row.received_at).total_seconds()
        for row in rows
        if row.closed_at is not None
    ]
    complete = sum(
        1
        for row in rows
        if row.status.value == "closed"
        and row.state is not None
        and row.state.route is not None
        and _complete_timeline(rig, row.order_id, row.order.channel, row.state.route.system)
    )
    return DemoSummary(
        placed=placed,
        faults=faults,
        statuses=dict(statuses),
        on_hold=on_hold,
        systems=await rig.sandbox.ledger_counts(),
        cycle_p50_s=percentile(cycles, 0.5),
        cycle_p95_s=percentile(cycles, 0.95),
        elapsed_s=time.perf_counter() - started,
        timelines_complete=complete,
        settled=settled,
        edi=_edi_report(rig) if edi_orders else {},
    )


def _edi_report(rig: Rig) -> dict[str, Any]:
    report = rig.sandbox.edi_customer.report()
    keys = ("sent", "mdn_ok", "acknowledged", "acknowledged_855", "shipped", "invoiced")
    return {
        **{key: report[key] for key in keys},
        "findings_count": report["findings_count"],
        "findings": report["findings"][:20],
    }


async def run_demo(settings: Settings, options: DemoOptions, console: Console) -> DemoSummary:
    """Run the demo and return its summary."""
    del settings  # the demo wires its own estate; settings stay for a future --serve option
    async with in_process_rig(faults=options.faults, data_dir=options.data_dir) as rig:
        started = time.perf_counter()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not options.progress,
        ) as progress:
            total = options.orders + options.edi_orders
            placing = progress.add_task("placing orders", total=total)
            settling = progress.add_task("closed or on hold", total=total)
            batch = max(1, min(25, options.orders))
            placed = 0
            while placed < options.orders:
                count = min(batch, options.orders - placed)
                await rig.place(count, concurrency=8)
                placed += count
                progress.update(placing, completed=placed)
            if options.edi_orders:
                await rig.sandbox.edi_customer.send_purchase_orders(
                    options.edi_orders, concurrency=4
                )
                progress.update(placing, completed=total)

            def show(counts: dict[str, int]) -> None:
                done = sum(counts.get(s, 0) for s in ("closed", "on_hold", "cancelled"))
                progress.update(settling, completed=done)

            settled = await rig.wait_until_settled(
                total, timeout_s=options.timeout_s, on_progress=show
            )
        if options.edi_orders:
            await rig.sandbox.edi_customer.drain()
        return await summarise(
            rig, total, options.faults, started, settled, edi_orders=options.edi_orders
        )
