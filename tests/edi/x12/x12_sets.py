"""Test helpers for the validation and acknowledgement tests: sets from text, reference files."""

from __future__ import annotations

from pathlib import Path

from crossdock.channels.edi.x12.definitions import definition_for
from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.model import (
    Delimiters,
    Finding,
    FunctionalGroup,
    Interchange,
    Segment,
    Severity,
    TransactionSet,
)
from crossdock.channels.edi.x12.validation.results import SetResult
from crossdock.channels.edi.x12.validator import validate_set

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x12"


def reference(name: str) -> Interchange:
    """The only interchange of reference file ``name`` (name prefix, e.g. ``"18_"``)."""
    [path] = FIXTURES.glob(f"{name}*")
    [interchange] = read_interchanges(path)
    return interchange


def segment(text: str) -> Segment:
    tag, *elements = text.split("*")
    return Segment(tag, tuple(elements))


def transaction(set_id: str, *body: str, control: str = "0001") -> TransactionSet:
    """A set built by hand: ``body`` as ``*``-separated segments between ST and SE."""
    segments = [Segment("ST", (set_id, control), index=1)]
    segments += [Segment(s.tag, s.elements, index=i) for i, s in enumerate(map(segment, body), 2)]
    segments.append(Segment("SE", (str(len(segments) + 1), control), index=len(segments) + 1))
    return TransactionSet(segments)


def check(set_id: str, *body: str, version: str = "004010") -> SetResult:
    """Validate a hand-built set (component separator ``>``)."""
    return validate_set(transaction(set_id, *body), definition_for(version, set_id), Delimiters())


def group(
    functional_id: str, version: str, *sets: TransactionSet, control: str = "1"
) -> FunctionalGroup:
    header = segment(f"GS*{functional_id}*THEM*US*20260115*1030*{control}*X*{version}")
    trailer = Segment("GE", (str(len(sets)), control))
    return FunctionalGroup(header, list(sets), trailer)


def errors(result: SetResult) -> list[tuple[str, str, str, int, str, str, str]]:
    """(level, code, tag, position, element position, reference, bad value) of each error."""
    return [_row(f) for f in result.findings if f.severity is Severity.ERROR]


def _row(f: Finding) -> tuple[str, str, str, int, str, str, str]:
    return (f.level, f.code, f.segment_tag, f.segment_index, f.element_position,
            f.element_reference, f.bad_value)  # fmt: skip
