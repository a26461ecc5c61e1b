"""Reading X12: every reference file parses into the right tree, bad files into the right codes."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.fragment import read_fragment
from crossdock.channels.edi.x12.model import Delimiters, Finding, Interchange, Severity
from crossdock.channels.edi.x12.tokenizer import tokenize

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x12"

# file → (delimiters (element, component, segment, repetition), sets per group)
EXPECTED = {
    "01_850_vics_tilde_nl__node-x12.edi": ("*>~", None, [["850"]]),
    "02_850_newline_terminator__node-x12.edi": ("*>\n", None, [["850"]]),
    "03_855_ack_per_line__node-x12.edi": ("*>~", None, [["855"]]),
    "04_856_SOI_isa11_dash__node-x12.edi": ("*>~", "-", [["856"]]),
    "05_810_pipe_elemsep_TDS__stupidedi.edi": ("|>~", None, [["810"]]),
    "06_855_brace_compsep_nl__stupidedi.edi": ("*{~", None, [["855"]]),
    "07_997_backtick_compsep_short_isa__stupidedi.edi": ("*`\n", None, [["997"]]),
    "08_856_bang_terminator_tare__stupidedi.edi": ("*@!", None, [["856", "856"]]),
    "09_850_CTT__x12-types.edi": ("*>~", None, [["850"]]),
    "10_940_backslash_compsep_bad_controls__x12-types.edi": ("*\\~", None, [["940"]]),
    "11_810_TDS_unpadded_isa__x12-types.edi": ("*>~", None, [["810"]]),
    "13_multi_GS_multi_ST_envelope__gozer.txt": ("*>\n", None, [["AAA", "BBB", "YYZ"], ["AAA"]]),
    "17_846_LIN_QTY_CTT_hash__synthetic.edi": ("*>~", None, [["846"]]),
    "18_mixed_2GS_3ST_00501_caret_rep__synthetic.edi": ("*:~", "^", [["850", "850"], ["846"]]),
    "19_997_for_file18_accept_and_E__synthetic.edi": ("*:~", "^", [["997", "997"]]),
}
CLEAN = sorted(
    set(EXPECTED)
    - {
        "10_940_backslash_compsep_bad_controls__x12-types.edi",
        "11_810_TDS_unpadded_isa__x12-types.edi",
        "13_multi_GS_multi_ST_envelope__gozer.txt",
    }
)
UNPADDED = [
    "07_997_backtick_compsep_short_isa__stupidedi.edi",
    "08_856_bang_terminator_tare__stupidedi.edi",
    "11_810_TDS_unpadded_isa__x12-types.edi",
]


def read(data: str | bytes | Path) -> list[Interchange]:
    return list(read_interchanges(data))


def all_findings(interchange: Interchange) -> list[Finding]:
    found = list(interchange.findings)
    for group in interchange.groups:
        found += group.findings
        for transaction in group.sets:
            found += transaction.findings
    return found


def codes(interchange: Interchange, severity: Severity = Severity.ERROR) -> set[tuple[str, str]]:
    return {(f.level, f.code) for f in all_findings(interchange) if f.severity == severity}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_reference_file_reads_into_its_groups_sets_and_delimiters(name: str) -> None:
    separators, repetition, groups = EXPECTED[name]
    element, component, segment = separators[0], separators[1], separators[2]
    [interchange] = read(FIXTURES / name)
    assert interchange.delimiters == Delimiters(element, component, segment, repetition)
    assert [[t.set_id for t in g.sets] for g in interchange.groups] == groups
    assert interchange.trailer is not None


@pytest.mark.parametrize("name", CLEAN)
def test_clean_reference_files_have_no_errors(name: str) -> None:
    [interchange] = read(FIXTURES / name)
    assert codes(interchange) == set()


def test_sets_count_segments_from_st_and_keep_file_offsets() -> None:
    path = FIXTURES / "01_850_vics_tilde_nl__node-x12.edi"
    text = path.read_bytes().decode("latin-1")
    [interchange] = read(path)
    [transaction] = interchange.groups[0].sets
    assert [s.index for s in transaction.segments] == list(range(1, 34))
    for segment in transaction.segments:
        assert text[segment.offset :].startswith(segment.tag + "*")
    assert interchange.groups[0].header.index == 0


def test_file_10_mismatched_controls_give_716_code_4_and_ta1_001() -> None:
    [interchange] = read(FIXTURES / "10_940_backslash_compsep_bad_controls__x12-types.edi")
    assert codes(interchange) == {("group", "4"), ("interchange", "001")}


def test_file_11_se01_44_for_45_segments_gives_718_code_4_and_still_reads() -> None:
    [interchange] = read(FIXTURES / "11_810_TDS_unpadded_isa__x12-types.edi")
    [transaction] = interchange.groups[0].sets
    assert len(transaction.segments) == 45
    assert codes(interchange) == {("set", "4")}
    [finding] = transaction.findings
    assert (finding.segment_tag, finding.segment_index) == ("SE", 45)


def test_file_13_wrong_se01_and_ge01_give_718_code_4_and_716_code_5() -> None:
    [interchange] = read(FIXTURES / "13_multi_GS_multi_ST_envelope__gozer.txt")
    first, second = interchange.groups
    assert [f.code for f in first.findings] == ["5"]
    assert second.findings == []
    assert all([f.code for f in t.findings] == ["4"] for g in (first, second) for t in g.sets)


@pytest.mark.parametrize("name", UNPADDED)
def test_unpadded_isa_is_read_with_a_warning(name: str) -> None:
    [interchange] = read(FIXTURES / name)
    warnings = [f for f in interchange.findings if f.severity == Severity.WARNING]
    assert [(f.level, f.segment_tag) for f in warnings] == [("interchange", "ISA")]
    assert "not fixed width" in warnings[0].message
    assert interchange.control_number.isdigit()


def test_fragment_12_reads_two_997_bodies_without_an_envelope() -> None:
    fragment = read_fragment(
        (FIXTURES / "12_997_fragment_AK5R_two_sets__x12-types.edi").read_bytes()
    )
    assert fragment.delimiters.element == "*"
    assert fragment.delimiters.segment == "~"
    assert [(t.set_id, t.control_number, len(t.segments)) for t in fragment.sets] == [
        ("997", "0001", 8),
        ("997", "0002", 4),
    ]
    assert fragment.findings == []
    assert all(t.findings == [] for t in fragment.sets)


def test_the_fragment_as_an_interchange_file_is_an_error_not_a_crash() -> None:
    [empty] = read(FIXTURES / "12_997_fragment_AK5R_two_sets__x12-types.edi")
    assert ("interchange", "024") in codes(empty)
    assert empty.groups == []


ISA_17 = (FIXTURES / "17_846_LIN_QTY_CTT_hash__synthetic.edi").read_text("latin-1")


def test_bom_and_crlf_are_tolerated() -> None:
    data = b"\xef\xbb\xbf" + ISA_17.replace("\n", "\r\n").encode("latin-1")
    [interchange] = read(data)
    assert codes(interchange) == set()
    assert interchange.header.offset == 3


def test_a_missing_final_terminator_is_tolerated() -> None:
    [interchange] = read(ISA_17.rstrip().removesuffix("~"))
    assert codes(interchange) == set()
    assert interchange.trailer is not None
    assert interchange.trailer.elements == ("1", "000000101")


def test_a_mailbag_holds_interchanges_with_different_delimiters() -> None:
    other = ISA_17.replace("*", "|").replace("~", "!").replace("000000101", "000000102")
    interchanges = read(ISA_17 + "\n" + other + ISA_17)
    assert [i.delimiters.element + i.delimiters.segment for i in interchanges] == ["*~", "|!", "*~"]
    assert [i.control_number for i in interchanges] == ["000000101", "000000102", "000000101"]
    assert all(codes(i) == set() for i in interchanges)


def test_a_truncated_file_reports_missing_trailers() -> None:
    cut = ISA_17[: ISA_17.index("QTY*02")]
    [interchange] = read(cut)
    assert codes(interchange) == {("set", "2"), ("group", "3"), ("interchange", "023")}


def test_a_second_isa_before_iea_closes_the_first_interchange() -> None:
    first = ISA_17[: ISA_17.index("IEA")]
    interchanges = read(first + ISA_17)
    assert ("interchange", "023") in codes(interchanges[0])
    assert codes(interchanges[1]) == set()


def test_wrong_isa_fields_and_group_count_get_their_ta1_codes() -> None:
    bad = ISA_17.replace(
        "*260115*1030*U*00401*000000101*0*T*", "*261315*2599*U*00401*00000010A*7*X*"
    )
    bad = bad.replace("IEA*1*", "IEA*3*")
    [interchange] = read(bad)
    assert {c for _, c in codes(interchange)} >= {"014", "015", "018", "019", "020", "021"}


def test_text_outside_interchanges_is_invalid_content() -> None:
    interchanges = read("garbage\n" + ISA_17 + "trailing junk")
    assert all(("interchange", "024") in codes(i) for i in interchanges)


@pytest.mark.parametrize("data", [b"", b"   \n", b"\x00\xff\xfe", "ISA*", "ISA*00*"])
def test_nothing_readable_is_one_error_not_an_exception(data: str | bytes) -> None:
    [interchange] = read(data)
    assert codes(interchange)
    assert interchange.groups == []


def test_tokens_come_from_chunks_split_anywhere() -> None:
    data = ISA_17.encode("latin-1")
    whole = [t for t in tokenize(data) if not isinstance(t, Finding)]
    one_byte = list(tokenize(data[i : i + 1] for i in range(len(data))))
    assert one_byte == whole


def test_reading_is_streamed_with_memory_bounded_by_one_interchange() -> None:
    one = ISA_17.encode("latin-1")
    copies = 4_000  # 2.4 MB of input

    def chunks() -> Iterator[bytes]:
        for _ in range(copies):
            yield one

    tracemalloc.start()
    try:
        count = sum(1 for _ in read_interchanges(chunks()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == copies
    assert peak < len(one) * copies / 20
