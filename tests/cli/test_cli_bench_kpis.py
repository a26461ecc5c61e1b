"""``crossdock bench kpis --json`` times a real report of the orders it ran, with its baseline."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crossdock.cli import app


def test_bench_kpis_reports_the_cost_of_a_report_of_the_orders_it_ran(tmp_path: Path) -> None:
    arguments = ["--orders", "6", "--runs", "1", "--repeats", "1", "--data-dir", str(tmp_path)]

    result = CliRunner().invoke(app, ["bench", "kpis", *arguments, "--json"])

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["orders_in_window"] == 6, "the report counts every order the run placed"
    assert figures["report_ms"] > 0
    assert figures["bare_scan_ms"] > 0
    assert figures["report_over_bare_scan"] > 1, "a report costs more than reading the rows"
    assert figures["runs"] == 1
    assert figures["machine"]["cores"] >= 1
