"""The figures each fault scenario reports: what was lost, duplicated, absorbed, and recovered.

Printed (``pytest -s``) as one ``FAULTS <scenario> {json}`` line, attached to the test report with
``record_property`` (so ``--junitxml`` carries them), and appended to the JSON-lines file named by
``CROSSDOCK_FAULT_REPORT`` when it is set (docs/reliability.md's table is built from it).
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(kw_only=True)
class Figures:
    """One scenario's outcome."""

    scenario: str
    orders: int
    """Orders the channels placed and the hub accepted."""
    lost: int
    """Accepted orders that did not close."""
    duplicate_side_effects: int
    """Documents a sandbox system holds more than once (sales orders, fulfilments, invoices,
    status updates)."""
    duplicates_absorbed: int
    """Repeats that reached the hub or a system and changed nothing (what they were is in
    ``more``)."""
    time_to_recover_s: float | None
    """From the fault's end to the last accepted order closed."""
    backlog_peak: int
    """Most deliveries waiting for the faulty system at once (pending and in flight)."""
    run_s: float
    """The scenario's wall-clock time, cluster start to the last check."""
    more: dict[str, Any] = field(default_factory=dict)
    """Scenario-specific figures."""

    def as_dict(self) -> dict[str, Any]:
        """The figures with the date and machine they were measured on."""
        return {
            **asdict(self),
            "date": datetime.now(UTC).date().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}",
        }


def reporter(record_property: Callable[[str, object], None]) -> Callable[[Figures], None]:
    """A function that prints a scenario's figures and attaches them to the test report."""

    def report(figures: Figures) -> None:
        row = figures.as_dict()
        print(f"\nFAULTS {figures.scenario} {json.dumps(row, default=str)}")
        for key, value in row.items():
            record_property(key, value)
        target = os.environ.get("CROSSDOCK_FAULT_REPORT")
        if target:
            with open(target, "a", encoding="utf-8") as out:
                out.write(json.dumps(row, default=str) + "\n")

    return report
