"""``crossdock bench drain``: the backlog left by a pause drains within the system's rate limit.

No timing is asserted (the machines are shared): only that the benchmark measures what it says.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossdock.benchmarks.drain import DrainSettings, run_drain_bench


async def test_a_paused_systems_backlog_drains_whole_without_a_single_429(tmp_path: Path) -> None:
    # The system admits 20 requests a second with a bucket of 3; the hub declares the same rate
    # with a bucket of 1: the margin absorbs up to 0.1 s of jitter between the hub taking a token
    # and the request reaching the system. A hub that ignored its policy would send all 20 at
    # once and meet 17 refusals.
    settings = DrainSettings(backlog=20, rate=20, burst=3, hub_burst=1, runs=1)

    report = await run_drain_bench(settings, data_dir=tmp_path)

    [run] = report.runs
    assert run.backlog == 20
    assert run.drained == 20
    assert run.admitted == 20  # each delivery reached the system once
    assert run.rate_limited == 0
    assert 0 < run.first_s <= run.drain_s
    figures = json.loads(json.dumps(report.as_dict()))
    assert figures["all_drained"] is True
    assert figures["ideal_s"] == 1.0
    assert figures["ratio"] == pytest.approx(run.drain_s / 1.0, abs=1e-3)
    assert figures["target_met"] == (figures["ratio"] <= 1.15)
    assert {"cpu", "cores", "python", "sqlite"} <= set(figures["machine"])
    assert "drain of 20 deliveries to customer_service" in report.render()


def test_settings_refuse_a_rate_of_zero() -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        DrainSettings(backlog=10, rate=0)
