"""``crossdock bench edi``: read and validate a large X12 mailbag.

A deterministic mailbag (``size_mb`` of interchanges, each holding an 850 group, an 856 group
and an 810 group built with the writer from a seeded random generator) is generated in memory,
then each run times :func:`~crossdock.channels.edi.x12.envelope.read_interchanges` plus
:func:`~crossdock.channels.edi.x12.validator.validate_interchange` over all of it. Reported:
MB/s and sets/s (medians over the runs), the process's peak RSS, and the peak of Python
allocations during one extra run under ``tracemalloc`` (which slows that run, so it is not
timed). The target is 20 MB/s.
"""

from __future__ import annotations

import random
import resource
import time
import tracemalloc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crossdock.benchmarks.machine import describe_machine, median
from crossdock.channels.edi.x12.builder import (
    GroupSpec,
    InterchangeSpec,
    SetSpec,
    build_interchange,
)
from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.model import Delimiters, Segment
from crossdock.channels.edi.x12.validator import validate_interchange
from crossdock.channels.edi.x12.writer import render

TARGET_MB_S = 20.0
"""The issue's target throughput."""
_NOW = datetime(2026, 1, 15, 10, 30)
_UNITS = ("EA", "CA", "BX", "PK")


@dataclass(frozen=True, kw_only=True)
class EdiBenchSettings:
    """What one EDI benchmark runs."""

    size_mb: float = 50.0
    """Approximate mailbag size in MB (10^6 characters)."""
    sets_per_group: int = 20
    """Transaction sets per functional group (three groups per interchange)."""
    seed: int = 7
    """Seed of the generator: the same settings always make the same mailbag."""
    runs: int = 3
    """Timed repetitions; medians are reported."""

    def __post_init__(self) -> None:
        for name in ("size_mb", "sets_per_group", "runs"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")


@dataclass(frozen=True, kw_only=True)
class EdiRun:
    """One timed pass over the mailbag."""

    seconds: float
    sets: int
    errors: int
    """Error findings on sets (the generated mailbag should have none)."""
    baseline_seconds: float = 0.0
    """The same run's baseline: splitting the mailbag into segments and elements with str.split,
    the least any X12 reader must do (a machine-relative yardstick on a noisy machine)."""


@dataclass
class EdiBenchReport:
    """Medians over the runs, the runs, memory peaks, the settings and the machine."""

    settings: EdiBenchSettings
    size_bytes: int
    interchanges: int
    runs: list[EdiRun]
    traced_peak_bytes: int
    max_rss_bytes: int
    traced_peak_half_bytes: int = 0
    """Traced peak reading and validating the first half of the mailbag: memory is flat when it
    is about the full mailbag's."""
    machine: dict[str, Any] = field(default_factory=describe_machine)

    @property
    def seconds(self) -> float:
        """Median time to read and validate the mailbag."""
        return median([run.seconds for run in self.runs])

    @property
    def mb_per_s(self) -> float:
        """Median throughput in MB/s (10^6 characters a second)."""
        return self.size_bytes / 1e6 / self.seconds if self.seconds else 0.0

    @property
    def sets_per_s(self) -> float:
        """Median transaction sets read and validated a second."""
        return self.runs[0].sets / self.seconds if self.seconds else 0.0

    @property
    def baseline_mb_per_s(self) -> float:
        """Median throughput of the str.split baseline."""
        seconds = median([run.baseline_seconds for run in self.runs])
        return self.size_bytes / 1e6 / seconds if seconds else 0.0

    @property
    def ratio_to_baseline(self) -> float:
        """Median over the runs of (read + validate time) / (baseline time): how many times the
        bare split the full work costs, measured side by side."""
        ratios = [r.seconds / r.baseline_seconds for r in self.runs if r.baseline_seconds]
        return median(ratios) if ratios else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        return {
            "benchmark": "edi",
            "size_mb": round(self.size_bytes / 1e6, 2),
            "interchanges": self.interchanges,
            "sets": self.runs[0].sets,
            "error_findings": self.runs[0].errors,
            "runs": self.settings.runs,
            "seed": self.settings.seed,
            "seconds": round(self.seconds, 3),
            "seconds_runs": [round(run.seconds, 3) for run in self.runs],
            "mb_per_s": round(self.mb_per_s, 2),
            "sets_per_s": round(self.sets_per_s, 1),
            "target_mb_per_s": TARGET_MB_S,
            "target_met": self.mb_per_s >= TARGET_MB_S,
            "baseline_split_mb_per_s": round(self.baseline_mb_per_s, 1),
            "ratio_to_baseline": round(self.ratio_to_baseline, 2),
            "traced_peak_mb": round(self.traced_peak_bytes / 1e6, 2),
            "traced_peak_half_mailbag_mb": round(self.traced_peak_half_bytes / 1e6, 2),
            "max_rss_mb": round(self.max_rss_bytes / 1e6, 1),
            "machine": self.machine,
        }

    def render(self) -> str:
        """The figures as text."""
        d = self.as_dict()
        verdict = "met" if d["target_met"] else "NOT met"
        return "\n".join(
            [
                f"EDI read+validate: {d['size_mb']} MB, {d['interchanges']} interchanges, "
                f"{d['sets']} sets ({d['error_findings']} error findings)",
                f"  median {d['seconds']} s over {d['runs']} runs {d['seconds_runs']}",
                f"  {d['mb_per_s']} MB/s, {d['sets_per_s']} sets/s "
                f"(target {TARGET_MB_S} MB/s: {verdict})",
                f"  baseline str.split {d['baseline_split_mb_per_s']} MB/s; read+validate costs "
                f"{d['ratio_to_baseline']}x the split (median of per-run ratios)",
                f"  peak traced allocations {d['traced_peak_mb']} MB "
                f"({d['traced_peak_half_mailbag_mb']} MB for half the mailbag), "
                f"max RSS {d['max_rss_mb']} MB",
                f"  machine: {d['machine']['cpu']}, {d['machine']['cores']} cores, "
                f"Python {d['machine']['python']}",
            ]
        )


def _order(rng: random.Random, number: int) -> list[Segment]:
    lines = rng.randint(3, 12)
    body = [
        Segment("BEG", ("00", "SA", f"PO-{number}", "", "20260115")),
        Segment("REF", ("DP", f"{rng.randint(1, 999):03d}")),
        Segment("DTM", ("002", "20260120")),
        Segment("N1", ("ST", f"STORE {rng.randint(1, 500)}", "92", f"{rng.randint(1, 9999):04d}")),
        Segment("N3", (f"{rng.randint(1, 999)} MAIN ST",)),
        Segment("N4", ("SPRINGFIELD", "IL", "62701", "US")),
    ]
    total = 0
    for line in range(1, lines + 1):
        quantity = rng.randint(1, 200)
        total += quantity
        price = f"{rng.randint(100, 9999) / 100:.2f}"
        sku = f"SKU-{rng.randint(1, 99999):05d}"
        upc = f"{rng.randint(10**11, 10**12 - 1)}"
        unit = rng.choice(_UNITS)
        body.append(
            Segment("PO1", (str(line), str(quantity), unit, price, "", "VP", sku, "UP", upc))
        )
        body.append(Segment("PID", ("F", "", "", "", f"DESCRIPTION OF {sku}")))
    body.append(Segment("CTT", (str(lines), str(total))))
    return body


def _shipment(rng: random.Random, number: int) -> list[Segment]:
    body = [
        Segment("BSN", ("00", f"SHIP-{number}", "20260116", "1200", "0001")),
        Segment("HL", ("1", "", "S", "1")),
        Segment("TD5", ("", "2", "UPSN")),
        Segment("REF", ("BM", f"BOL{number}")),
        Segment("DTM", ("011", "20260116")),
        Segment("HL", ("2", "1", "O", "1")),
        Segment("PRF", (f"PO-{number}",)),
    ]
    hl, shipped = 2, 0
    for _ in range(rng.randint(1, 5)):
        hl += 1
        pack = hl
        body.append(Segment("HL", (str(pack), "2", "P", "1")))
        body.append(Segment("MAN", ("GM", f"00{rng.randint(10**17, 10**18 - 1)}")))
        hl += 1
        quantity = rng.randint(1, 48)
        shipped += quantity
        sku = f"SKU-{rng.randint(1, 99999):05d}"
        body.append(Segment("HL", (str(hl), str(pack), "I", "0")))
        body.append(Segment("LIN", ("", "VP", sku)))
        body.append(Segment("SN1", ("", str(quantity), "EA")))
    body.append(Segment("CTT", (str(hl), str(shipped))))
    return body


def _invoice(rng: random.Random, number: int) -> list[Segment]:
    body = [Segment("BIG", ("20260117", f"INV-{number}", "20260115", f"PO-{number}"))]
    body.append(Segment("N1", ("ST", "STORE", "92", "0012")))
    cents, lines, quantities = 0, rng.randint(2, 10), 0
    for line in range(1, lines + 1):
        quantity, price = rng.randint(1, 50), rng.randint(100, 9999)
        cents += quantity * price
        quantities += quantity
        body.append(
            Segment(
                "IT1",
                (str(line), str(quantity), "EA", f"{price / 100:.2f}", "", "VP", f"SKU-{line:05d}"),
            )
        )
    body.append(Segment("TDS", (str(cents),)))
    body.append(Segment("CTT", (str(lines), str(quantities))))
    return body


def generate_mailbag(settings: EdiBenchSettings) -> tuple[str, int]:
    """The mailbag text and how many interchanges it holds (deterministic in the settings)."""
    rng = random.Random(settings.seed)
    target = int(settings.size_mb * 1e6)
    parts: list[str] = []
    size, number, count = 0, 0, 0
    makers = (("PO", "850", _order), ("SH", "856", _shipment), ("IN", "810", _invoice))
    while size < target:
        count += 1
        groups = []
        for index, (functional_id, set_id, make) in enumerate(makers):
            sets = []
            for control in range(1, settings.sets_per_group + 1):
                number += 1
                sets.append(SetSpec(set_id=set_id, control_number=control, body=make(rng, number)))
            groups.append(
                GroupSpec(
                    functional_id=functional_id,
                    sender="SENDER",
                    receiver="RECEIVER",
                    control_number=count * 10 + index,
                    sets=sets,
                    version="004010",
                )
            )
        spec = InterchangeSpec(
            sender=("ZZ", "SENDER"),
            receiver=("ZZ", "RECEIVER"),
            control_number=count,
            now=_NOW,
            delimiters=Delimiters(),
        )
        text = render(build_interchange(spec, groups), line_break="\n")
        parts.append(text)
        size += len(text)
    return "".join(parts), count


def _pass(mailbag: str) -> tuple[int, int]:
    sets = errors = 0
    for interchange in read_interchanges(mailbag):
        for group in validate_interchange(interchange).groups:
            sets += len(group.sets)
            errors += sum(len(s.errors) for s in group.sets)
    return sets, errors


def run_edi_bench(settings: EdiBenchSettings) -> EdiBenchReport:
    """Generate the mailbag, then time reading and validating it ``settings.runs`` times."""
    mailbag, interchanges = generate_mailbag(settings)
    runs = []
    for _ in range(settings.runs):
        started = time.perf_counter()
        _split(mailbag)
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        sets, errors = _pass(mailbag)
        runs.append(
            EdiRun(
                seconds=time.perf_counter() - started,
                sets=sets,
                errors=errors,
                baseline_seconds=baseline,
            )
        )
    half = mailbag[: mailbag.find("ISA", len(mailbag) // 2)]
    traced_half = _traced_peak(half)
    traced_peak = _traced_peak(mailbag)
    # ru_maxrss is in kilobytes on Linux (bytes on macOS; the figure is then only indicative).
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return EdiBenchReport(
        settings=settings,
        size_bytes=len(mailbag),
        interchanges=interchanges,
        runs=runs,
        traced_peak_bytes=traced_peak,
        max_rss_bytes=max_rss,
        traced_peak_half_bytes=traced_half,
    )


def _split(mailbag: str) -> int:
    """The baseline: every segment split into its elements, nothing else (``~`` and ``*``)."""
    return sum(len(segment.split("*")) for segment in mailbag.split("~"))


def _traced_peak(mailbag: str) -> int:
    tracemalloc.start()
    try:
        _pass(mailbag)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak
