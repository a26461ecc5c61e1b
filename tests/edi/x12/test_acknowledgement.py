"""997s and TA1s we send, and 997s we receive."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from crossdock.channels.edi.x12.acknowledgement import (
    AckOptions,
    Addressing,
    acknowledge_group,
    acknowledge_interchange,
    build_997_interchange,
    build_ta1,
    read_997,
    ta1_for,
)
from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.fragment import read_fragment
from crossdock.channels.edi.x12.model import Finding, Interchange, Segment
from crossdock.channels.edi.x12.validator import validate_group, validate_interchange
from crossdock.channels.edi.x12.writer import render

from .x12_sets import FIXTURES, group, reference, transaction

NOW = datetime(2026, 3, 1, 9, 45)
ADDRESSING = Addressing(interchange_control=42, group_control=43, first_set_control=44, now=NOW)
# Positions that differ between two correct 997s: dates, times and our control numbers.
MASKED = {"ISA": {9, 10, 13}, "GS": {4, 5, 6}, "ST": {2}, "SE": {2}, "GE": {2}, "IEA": {2}}


def _all_segments(interchange: Interchange) -> list[tuple[str, tuple[str, ...]]]:
    segments = [interchange.header]
    for g in interchange.groups:
        segments.append(g.header)
        for s in g.sets:
            segments += s.segments
        assert g.trailer is not None
        segments.append(g.trailer)
    assert interchange.trailer is not None
    segments.append(interchange.trailer)
    masked = []
    for segment in segments:
        hidden = MASKED.get(segment.tag, set())
        values = tuple("#" if i in hidden else v for i, v in enumerate(segment.elements, 1))
        masked.append((segment.tag, values))
    return masked


def _bodies(name: str) -> list[list[str]]:
    result = validate_interchange(reference(name))
    return [[_text(s) for s in body] for body in acknowledge_interchange(result)]


def _text(segment: Segment) -> str:
    return "*".join((segment.tag, *segment.elements)).replace("\x1f", ":")


def test_the_997_for_file_18_is_file_19_apart_from_dates_and_control_numbers() -> None:
    received = reference("18_")
    ack = build_997_interchange(received, validate_interchange(received), ADDRESSING)
    assert ack is not None
    [written] = read_interchanges(render(ack, line_break="\r\n"))
    assert written.findings == []
    assert _all_segments(written) == _all_segments(reference("19_"))
    assert written.control_number == "000000042"
    assert [s.control_number for s in written.groups[0].sets] == ["0044", "0045"]


def test_the_ak_segments_for_file_18_are_those_of_file_19() -> None:
    expected = [
        [s.removesuffix("~") for s in line.split("~") if s]
        for line in (
            "AK1*PO*9001*005010~AK2*850*0001~AK5*A~AK2*850*0002~AK5*A~AK9*A*2*2*2~",
            "AK1*IB*9002*005010~AK2*846*0003~AK3*LIN*3**8~AK4*2*235*7*XX~AK5*E*5~AK9*E*1*1*1~",
        )
    ]
    assert _bodies("18_") == expected


def test_file_13_gets_ak5_code_4_and_ak9_code_5() -> None:
    first, second = _bodies("13_")
    assert first[0] == "AK1*SH*00"
    assert first.count("AK5*R*1*4") == 3
    assert first[-1] == "AK9*R*1*3*0*5"
    assert second[-2:] == ["AK5*R*1*4", "AK9*R*1*1*0"]


def test_file_11_gets_ak5_code_4() -> None:
    [body] = _bodies("11_")
    assert body == ["AK1*IN*810000263", "AK2*810*166061414", "AK5*R*4", "AK9*R*1*1*0"]


@pytest.mark.parametrize("name", ["07_", "19_"])
def test_a_997_is_never_acknowledged(name: str) -> None:
    received = reference(name)
    result = validate_interchange(received)
    assert acknowledge_interchange(result) == []
    assert build_997_interchange(received, result, ADDRESSING) is None


def test_the_997_fragments_of_file_12_are_997s_and_get_no_997() -> None:
    fragment = read_fragment(
        (FIXTURES / "12_997_fragment_AK5R_two_sets__x12-types.edi").read_bytes()
    )
    assert [s.set_id for s in fragment.sets] == ["997", "997"]
    result = validate_group(group("FA", "004010", *fragment.sets))
    assert all(s.errors == [] for s in result.sets)
    assert acknowledge_group(result) is None


def test_an_interchange_holding_only_a_ta1_gets_no_997() -> None:
    text = (
        "ISA*00*          *00*          *ZZ*RETAILER       *ZZ*DISTRIBUTOR    *260115*1030*U*"
        "00401*000000777*0*T*>~TA1*000000555*260115*1030*A*000~IEA*0*000000777~"
    )
    [received] = read_interchanges(text)
    assert build_997_interchange(received, validate_interchange(received), ADDRESSING) is None


def test_a_received_997_tells_which_of_our_sets_it_accepts() -> None:
    [first, second] = read_fragment(
        (FIXTURES / "12_997_fragment_AK5R_two_sets__x12-types.edi").read_bytes()
    ).sets
    ack = read_997(first.segments)
    assert (ack.functional_id, ack.group_control_number, ack.status) == ("PO", "2", "R")
    assert (ack.declared, ack.received, ack.accepted, ack.group_codes) == (2, 2, 0, ("5",))
    assert [(s.control_number, s.status, s.codes) for s in ack.sets] == [
        ("103465910", "A", ()),
        ("103465911", "R", ("4",)),
    ]
    assert ack.status_of("103465911") == "R"
    assert read_997(second.segments).status_of("anything") == "A"


def test_a_received_997_keeps_its_segment_and_element_errors() -> None:
    ack = read_997(reference("19_").groups[0].sets[1].segments)
    [advice] = ack.sets
    [error] = advice.segment_errors
    assert (error.tag, error.position, error.code) == ("LIN", 3, "8")
    assert [(e.position, e.reference, e.code, e.bad_value) for e in error.elements] == [
        ("2", "235", "7", "XX")
    ]
    assert (ack.version, advice.status, advice.codes) == ("005010", "E", ("5",))


def test_a_clean_004010_group_can_be_acknowledged_without_ak2_loops() -> None:
    good = transaction("850", "BEG*00*SA*PO-1**20260115", "PO1*1*1*EA*1**VP*A", "CTT*1")
    bad = transaction("850", "BEG*00*XX*PO-2**20260115", "PO1*1*1*EA*1**VP*A", "CTT*1",
                      control="0002")  # fmt: skip
    errors_only = AckOptions(loops="errors")
    clean = acknowledge_group(validate_group(group("PO", "004010", good)), errors_only)
    assert clean is not None
    assert [_text(s) for s in clean] == ["AK1*PO*1", "AK9*A*1*1*1"]
    mixed = acknowledge_group(validate_group(group("PO", "004010", good, bad)), errors_only)
    assert mixed is not None
    assert [s.tag for s in mixed] == [
        "AK1",
        "AK2",
        "AK3",
        "AK4",
        "AK5",
        "AK9",
    ]
    five = acknowledge_group(validate_group(group("PO", "005010", good)), errors_only)
    assert five is not None
    assert [s.tag for s in five] == ["AK1", "AK2", "AK5", "AK9"]


def test_a_group_level_error_rejects_every_set() -> None:
    received = group(
        "PO", "004010", transaction("850", "BEG*00*SA*PO-1**20260115", "PO1*1*1*EA*1", "CTT*1")
    )
    received.findings.append(Finding("group", "4", "GS06/GE02 mismatch"))
    body = acknowledge_group(validate_group(received))
    assert body is not None
    assert [_text(s) for s in body][-2:] == ["AK5*R", "AK9*R*1*1*0*4"]


def test_a_ta1_answers_with_the_envelope_status() -> None:
    assert _text(build_ta1("000000555", NOW, "A", "000")) == "TA1*000000555*260301*0945*A*000"
    clean = validate_interchange(reference("18_"))
    assert _text(ta1_for(clean, NOW)) == "TA1*000000555*260301*0945*A*000"
    mismatched = validate_interchange(reference("10_"))
    assert _text(ta1_for(mismatched, NOW)) == "TA1*000003438*260301*0945*E*001"
    with pytest.raises(ValueError, match="TA104"):
        build_ta1("1", NOW, "X", "000")


def test_a_5010_group_acknowledged_in_a_4010_997_has_no_ak103() -> None:
    from crossdock.channels.edi.x12.acknowledgement import AckOptions, acknowledge_group
    from crossdock.channels.edi.x12.envelope import read_interchanges
    from crossdock.channels.edi.x12.validator import validate_interchange

    fixture = Path(__file__).parent.parent.parent / "fixtures" / "x12"
    [interchange] = read_interchanges(fixture / "18_mixed_2GS_3ST_00501_caret_rep__synthetic.edi")
    group = validate_interchange(interchange).groups[0]

    ours_4010 = acknowledge_group(group, AckOptions(version="004010"))
    theirs = acknowledge_group(group, AckOptions())

    assert ours_4010 is not None
    assert theirs is not None
    assert ours_4010[0].elements == ("PO", group.control_number)
    assert theirs[0].elements == ("PO", group.control_number, group.version)
