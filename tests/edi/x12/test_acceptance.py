"""The element checks' fast path accepts only segments the exact checks find nothing wrong with."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.channels.edi.x12.definitions import SegmentDef
from crossdock.channels.edi.x12.definitions.segments import segments_4010, segments_5010
from crossdock.channels.edi.x12.model import Segment
from crossdock.channels.edi.x12.validation.acceptance import SegmentAcceptor, usable
from crossdock.channels.edi.x12.validation.elements import check_elements

DEFINITIONS = sorted(
    [*segments_4010().values(), *segments_5010().values()], key=lambda d: (d.tag, id(d))
)
PIECES = (
    "", "", "", "0", "7", "12", "-3", "1.5", ".5", "5.", "1.2.3", "00", "EA", "SA", "VP", "UP",
    "ZZ", "92", "20260115", "20240229", "20230229", "20260431", "00000101", "260115", "1230",
    "2460", "123045", "1230456", "A", "AB>CD", ">", "x" * 40, "é", "\x1f", "\x07", " ", "-",
)  # fmt: skip
"""Values good and bad for one type or another: codes, numbers, dates, times, odd characters."""


def valid_value(definition: SegmentDef, index: int, rng: random.Random) -> str:
    """A value the exact checks accept for element ``index`` (or an empty one when it may be)."""
    element = definition.elements[index]
    if element.components:
        return ""
    if element.codes:
        return sorted(element.codes)[rng.randrange(len(element.codes))]
    size = rng.randint(max(element.min, 1), element.max)
    match element.type:
        case "DT":
            return "20260115" if element.max == 8 else "260115"
        case "TM":
            return "1230"
        case "ID" | "AN":
            return "A" * size
        case _:
            return "1" * size


@st.composite
def segments(draw: st.DrawFn) -> tuple[SegmentDef, tuple[str, ...], str]:
    definition = draw(st.sampled_from(DEFINITIONS))
    rng = random.Random(draw(st.integers(0, 2**32)))
    count = draw(st.integers(0, len(definition.elements) + 2))
    values = []
    for index in range(count):
        if index < len(definition.elements) and draw(st.booleans()):
            values.append(valid_value(definition, index, rng))
        else:
            values.append(draw(st.sampled_from(PIECES)) + draw(st.sampled_from(PIECES)))
    component = draw(st.sampled_from([">", ":", "^", "-", "."]))
    return definition, tuple(values), component


@settings(max_examples=3000, deadline=None)
@given(segments())
def test_what_the_fast_path_accepts_the_exact_checks_find_clean(
    case: tuple[SegmentDef, tuple[str, ...], str],
) -> None:
    definition, values, component = case
    if SegmentAcceptor(definition, component).accepts(values):
        segment = Segment(definition.tag, values)
        assert check_elements(segment, definition, 2, component) == []


def test_clean_segments_of_every_definition_take_the_fast_path() -> None:
    rng = random.Random(5)
    for definition in DEFINITIONS:
        values = tuple(
            valid_value(definition, index, rng) if element.requirement == "M" else ""
            for index, element in enumerate(definition.elements)
        )
        segment = Segment(definition.tag, values)
        if check_elements(segment, definition, 2, ">") == [] and values:
            assert SegmentAcceptor(definition, ">").accepts(values), definition.tag


def test_a_bad_value_is_left_to_the_exact_checks() -> None:
    beg = segments_4010()["BEG"]
    assert SegmentAcceptor(beg, ">").accepts(("00", "SA", "PO-1", "", "20260115"))
    assert not SegmentAcceptor(beg, ">").accepts(("00", "SA", "PO-1", "", "20260230"))
    assert not SegmentAcceptor(beg, ">").accepts(("00", "XX", "PO-1", "", "20260115"))
    assert not SegmentAcceptor(beg, ">").accepts(("00", "SA", "PO>1", "", "20260115"))


def test_separators_the_patterns_cannot_work_with_turn_the_fast_path_off() -> None:
    assert all(usable(c) for c in (">", "^", ":"))
    assert not any(usable(c) for c in ("", "\x1f", "A"))
