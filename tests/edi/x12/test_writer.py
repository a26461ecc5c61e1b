"""Writing X12: fixed-width ISA, computed trailers, refused delimiters, identical bytes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from crossdock.channels.edi.x12.builder import (
    GroupSpec,
    InterchangeSpec,
    SetSpec,
    build_interchange,
    composite,
    repeated,
)
from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.model import Delimiters, Interchange, Segment
from crossdock.channels.edi.x12.writer import X12WriteError, render, render_bytes

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x12"
INTERCHANGE_FILES = sorted(
    p.name for p in FIXTURES.iterdir() if p.name[:2].isdigit() and "12_" not in p.name
)
NOW = datetime(2026, 1, 15, 10, 30)
X5010 = Delimiters("*", ":", "~", "^")


def shape(interchange: Interchange) -> list[tuple[str, tuple[str, ...]]]:
    """Segments as tag + elements, ISA padding stripped, trailers left out (they are computed)."""
    out = [("ISA", tuple(e.strip() for e in interchange.header.elements))]
    out += [(s.tag, s.elements) for s in interchange.segments]
    for group in interchange.groups:
        out.append((group.header.tag, group.header.elements))
        for transaction in group.sets:
            out += [(s.tag, s.elements) for s in [transaction.header, *transaction.body]]
    return out


def errors(interchange: Interchange) -> list[str]:
    found = [f.code for f in interchange.findings if f.severity == "error"]
    for group in interchange.groups:
        found += [f.code for f in group.findings]
        found += [f.code for t in group.sets for f in t.findings]
    return found


@pytest.mark.parametrize("name", INTERCHANGE_FILES)
def test_every_reference_interchange_round_trips_and_comes_back_with_correct_trailers(
    name: str,
) -> None:
    [original] = read_interchanges(FIXTURES / name)
    line_break = "" if original.delimiters.segment == "\n" else "\n"
    [again] = read_interchanges(render(original, line_break=line_break))
    assert shape(again) == shape(original)
    assert again.delimiters == original.delimiters
    assert errors(again) == []
    assert not again.findings  # unpadded ISAs come back fixed width


def test_a_fixed_width_file_renders_to_its_own_bytes() -> None:
    path = FIXTURES / "17_846_LIN_QTY_CTT_hash__synthetic.edi"
    [interchange] = read_interchanges(path)
    assert render_bytes(interchange, line_break="\n") == path.read_bytes()


def spec(**changes: object) -> InterchangeSpec:
    values: dict[str, object] = {
        "sender": ("ZZ", "DISTRIBUTOR"),
        "receiver": ("ZZ", "RETAILER"),
        "control_number": 7001,
        "now": NOW,
        "version": "00501",
        "delimiters": X5010,
        "usage": "T",
    } | changes
    return InterchangeSpec(**values)  # type: ignore[arg-type]


def ack_groups(*body: Segment) -> list[GroupSpec]:
    sets = [SetSpec(set_id="997", control_number=1, body=list(body))]
    return [
        GroupSpec(
            functional_id="FA",
            sender="DISTRIBUTOR",
            receiver="RETAILER",
            control_number=7001,
            sets=sets,
        )
    ]


def test_the_builder_writes_the_997_of_reference_file_19_for_its_first_group() -> None:
    body = [
        Segment("AK1", ("PO", "9001", "005010")),
        Segment("AK2", ("850", "0001")),
        Segment("AK5", ("A",)),
        Segment("AK2", ("850", "0002")),
        Segment("AK5", ("A",)),
        Segment("AK9", ("A", "2", "2", "2")),
    ]
    text = render(build_interchange(spec(), ack_groups(*body)), line_break="\n")
    expected = (FIXTURES / "19_997_for_file18_accept_and_E__synthetic.edi").read_text("latin-1")
    lines = text.splitlines()
    assert lines[:10] == expected.splitlines()[:10]
    assert lines[10:] == ["GE*1*7001~", "IEA*1*000007001~"]
    assert len(lines[0]) == 106


def test_isa_fields_are_padded_and_dates_are_yymmdd_while_gs04_is_ccyymmdd() -> None:
    text = render(
        build_interchange(spec(version="00401", delimiters=Delimiters(), control_number=42), [])
    )
    isa = text[: text.index("~") + 1]
    assert isa == (
        "ISA*00*          *00*          *ZZ*DISTRIBUTOR    *ZZ*RETAILER       "
        "*260115*1030*U*00401*000000042*0*T*>~"
    )
    groups = ack_groups(Segment("AK1", ("PO", "1")))
    text = render(build_interchange(spec(version="00401", delimiters=Delimiters()), groups))
    assert "GS*FA*DISTRIBUTOR*RETAILER*20260115*1030*7001*X*004010~" in text


def test_trailing_empty_elements_are_omitted() -> None:
    text = render(build_interchange(spec(), ack_groups(Segment("N3", ("126 Any St", "", "")))))
    assert "~N3*126 Any St~" in text


def test_identical_input_renders_identical_bytes() -> None:
    body = Segment("AK1", ("PO", "9001"))
    first = render_bytes(build_interchange(spec(), ack_groups(body)))
    second = render_bytes(build_interchange(spec(), ack_groups(body)))
    assert first == second


@pytest.mark.parametrize("bad", ["A*B", "A~B", "A:B", "A^B"])
def test_the_builder_refuses_a_delimiter_in_data_naming_segment_and_element(bad: str) -> None:
    with pytest.raises(X12WriteError, match=r"N102 .* contains the delimiter"):
        build_interchange(spec(), ack_groups(Segment("N1", ("ST", bad))))


def test_the_renderer_refuses_an_element_separator_in_a_model_element() -> None:
    [interchange] = read_interchanges(FIXTURES / "17_846_LIN_QTY_CTT_hash__synthetic.edi")
    transaction = interchange.groups[0].sets[0]
    transaction.segments[1] = Segment("BIA", ("00", "SI*X"))
    with pytest.raises(X12WriteError, match="BIA02"):
        render(interchange)


def test_composites_and_repeats_use_the_partners_separators() -> None:
    body = [Segment("AK4", (composite("2", "1"), "235", "7", repeated("XX", "YY")))]
    text = render(build_interchange(spec(), ack_groups(*body)))
    assert "~AK4*2:1*235*7*XX^YY~" in text
    with pytest.raises(X12WriteError, match="repetition"):
        build_interchange(spec(version="00401", delimiters=Delimiters()), ack_groups(*body))


@pytest.mark.parametrize(
    "delimiters",
    [
        Delimiters("*", "*", "~", "^"),
        Delimiters("A", ":", "~", "^"),
        Delimiters("*", ":", "~", None),
    ],
)
def test_bad_delimiters_are_refused(delimiters: Delimiters) -> None:
    with pytest.raises(X12WriteError):
        build_interchange(spec(delimiters=delimiters), [])


def test_control_numbers_out_of_range_are_refused() -> None:
    with pytest.raises(X12WriteError, match="ISA13"):
        build_interchange(spec(control_number=1_000_000_000), [])
