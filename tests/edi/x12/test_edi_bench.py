"""The EDI benchmark's mailbag is deterministic and clean, and its report adds up."""

from __future__ import annotations

from crossdock.benchmarks.edi import EdiBenchSettings, generate_mailbag, run_edi_bench


def test_the_mailbag_is_the_same_for_the_same_seed() -> None:
    settings = EdiBenchSettings(size_mb=0.02, sets_per_group=2)
    assert generate_mailbag(settings) == generate_mailbag(settings)


def test_the_generated_documents_validate_without_errors() -> None:
    report = run_edi_bench(EdiBenchSettings(size_mb=0.05, sets_per_group=3, runs=1))
    figures = report.as_dict()
    assert figures["sets"] == report.interchanges * 9
    assert figures["error_findings"] == 0
    assert figures["mb_per_s"] > 0
    assert "MB/s" in report.render()
