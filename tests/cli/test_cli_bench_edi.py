"""``crossdock bench edi --json`` prints its figures with the machine and the settings."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from crossdock.cli import app


def test_bench_edi_reports_throughput_memory_machine_and_settings() -> None:
    result = CliRunner().invoke(app, ["bench", "edi", "--size-mb", "0.2", "--runs", "1", "--json"])

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["mb_per_s"] > 0
    assert figures["sets_per_s"] > 0
    assert figures["error_findings"] == 0, "the generated mailbag must be valid X12"
    assert figures["traced_peak_mb"] > 0
    assert figures["ratio_to_baseline"] > 1, "reading and validating costs more than a bare split"
    assert figures["runs"] == 1
    assert figures["machine"]["cores"] >= 1
