"""Validation: reference sets pass, each 720/723 code and each semantic rule is caught."""

from __future__ import annotations

import pytest

from crossdock.channels.edi.x12.model import Severity
from crossdock.channels.edi.x12.validator import validate_group, validate_interchange

from .x12_sets import check, errors, group, reference, transaction

VALID = ["01_", "02_", "03_", "04_", "05_", "06_", "07_", "09_", "17_", "19_"]
HEADER_850 = ("BEG*00*SA*PO-1**20260115",)
LINE_850 = ("PO1*1*10*EA*12.5**VP*WID-100", "CTT*1*10")


@pytest.mark.parametrize("name", VALID)
def test_every_valid_reference_set_validates_without_errors(name: str) -> None:
    result = validate_interchange(reference(name))
    assert result.groups
    for group_result in result.groups:
        assert group_result.status == "A"
        for set_result in group_result.sets:
            assert set_result.errors == [], set_result.errors
            # Only the documented lenient rules warn: PO4 C0605 (01/02), IT1 P020304 (05).
            notes = {w.message.rsplit("rule ", 1)[-1] for w in set_result.warnings}
            assert notes <= {"C0605", "P020304"}


def test_file_18_accepts_the_850s_and_flags_the_846_lin_qualifier() -> None:
    [orders, inventory] = validate_interchange(reference("18_")).groups
    assert (orders.status, [s.status for s in orders.sets]) == ("A", ["A", "A"])
    [advice] = inventory.sets
    assert errors(advice) == [
        ("segment", "8", "LIN", 3, "", "", ""),
        ("element", "7", "LIN", 3, "2", "235", "XX"),
    ]
    assert (advice.status, advice.set_codes) == ("E", ["5"])
    assert (inventory.status, inventory.received, inventory.accepted) == ("E", 1, 1)


def test_file_13_rejects_sets_with_a_wrong_se01_and_the_group_with_a_wrong_ge01() -> None:
    first, second = validate_interchange(reference("13_")).groups
    assert first.group_codes == ["5"]
    assert (first.status, first.declared_count, first.received, first.accepted) == ("R", 1, 3, 0)
    assert all(s.status == "R" and "4" in s.set_codes for s in first.sets)
    assert second.status == "R"


def test_file_11_is_rejected_for_its_se01_count() -> None:
    [invoices] = validate_interchange(reference("11_")).groups
    [invoice] = invoices.sets
    assert (invoice.status, invoice.set_codes) == ("R", ["4"])


def test_an_unsupported_version_rejects_the_group() -> None:
    [shipments] = validate_interchange(reference("08_")).groups
    assert (shipments.status, shipments.group_codes) == ("R", ["2"])
    assert all(s.status == "R" for s in shipments.sets)


@pytest.mark.parametrize(
    ("body", "expected"),
    [(("ZZZZ*1", *HEADER_850, *LINE_850), ("1", "ZZZZ", 2)),
     ((*HEADER_850, "N3*1 MAIN ST", *LINE_850), ("2", "N3", 3)),
     (LINE_850, ("3", "BEG", 2)),
     ((*HEADER_850, *["SAC*C*D240***500"] * 26, *LINE_850), ("4", "SAC", 28)),
     ((*HEADER_850, *["PER*BD*PAT"] * 4, *LINE_850), ("5", "PER", 6)),
     ((*HEADER_850, "BSN*00*SHIP-1*20260115*1030", *LINE_850), ("6", "BSN", 3)),
     ((*HEADER_850, "DTM*002*20260120", "REF*DP*038", *LINE_850), ("7", "REF", 4))],
)  # fmt: skip
def test_each_segment_error_gets_its_720_code(
    body: tuple[str, ...], expected: tuple[str, str, int]
) -> None:
    result = check("850", *body)
    code, tag, position = expected
    assert [e[:4] for e in errors(result)] == [("segment", code, tag, position)]
    assert (result.status, result.set_codes) == ("E", ["5"])


@pytest.mark.parametrize(
    ("beg_or_line", "expected"),
    [("BEG*00*SA***20260115", ("1", "3", "324", "")),
     ("N1*ST*STORE 12*92", ("2", "4", "67", "")),
     ("N2*A*B*C", ("3", "3", "", "C")),
     ("BEG*0*SA*PO-1**20260115", ("4", "1", "353", "0")),
     ("BEG*00*SA*PO-12345678901234567890**20260115", ("5", "3", "324", "PO-12345678901234567890")),
     ("PO1*1*1O*EA*12.5**VP*WID-100", ("6", "2", "330", "1O")),
     ("BEG*00*XX*PO-1**20260115", ("7", "2", "92", "XX")),
     ("BEG*00*SA*PO-1**20260231", ("8", "5", "373", "20260231")),
     ("DTM*002*20260115*2561", ("9", "3", "337", "2561"))],
)  # fmt: skip
def test_each_element_error_gets_its_723_code(
    beg_or_line: str, expected: tuple[str, str, str, str]
) -> None:
    if beg_or_line.startswith("BEG"):
        body: tuple[str, ...] = (beg_or_line, *LINE_850)
    elif beg_or_line.startswith("PO1"):
        body = (*HEADER_850, beg_or_line, "CTT*1")
    elif beg_or_line.startswith("N2"):
        body = (*HEADER_850, "N1*ST*STORE 12", beg_or_line, *LINE_850)
    else:
        body = (*HEADER_850, beg_or_line, *LINE_850)
    [segment_error, element_error] = errors(check("850", *body))
    code, position, reference, bad = expected
    tag = beg_or_line[:3].rstrip("*")
    assert segment_error[:3] == ("segment", "8", tag)
    assert element_error == ("element", code, tag, segment_error[3], position, reference, bad)


def test_an_exclusion_is_723_code_10() -> None:
    result = check("846", "BIA*00*SI*INV-1*20260115", "LIN**VN*A", "QTY*33*5**ON HAND", "CTT*1*5")
    assert errors(result)[1][:6] == ("element", "10", "QTY", 4, "4", "61")


def test_a_composite_component_is_named_by_its_position_within() -> None:
    result = check("856", "BSN*00*SHIP-1*20260115*1030*0004", "HL*1**S", "MEA*PD*G*12*ZZ", "CTT*1")
    assert errors(result)[1] == ("element", "7", "MEA", 4, "4:1", "355", "ZZ")


SHIPMENT = ("BSN*00*SHIP-1*20260115*1030*0004", "HL*1**S*1", "TD5**2*UPSN")


@pytest.mark.parametrize(
    ("levels", "expected"),
    [(("HL*2*1*O*1", "HL*4*2*I*0"), [("element", "7", "HL", 6, "1", "628", "4")]),
     (("HL*2*1*O*1", "HL*3*7*I*0"), [("element", "7", "HL", 6, "2", "734", "7")]),
     (("HL*2*1*O*1", "HL*3**I*0"), [("element", "2", "HL", 6, "2", "734", "")])],
)  # fmt: skip
def test_a_broken_hl_tree_is_an_error(
    levels: tuple[str, ...], expected: list[tuple[str, str, str, int, str, str, str]]
) -> None:
    result = check("856", *SHIPMENT, *levels, "CTT*3")
    assert errors(result)[1:] == expected
    assert result.status == "E"


def test_hl_level_order_and_child_flags_are_only_warnings() -> None:
    result = check(
        "856", "BSN*00*SHIP-1*20260115*1030*0001", "HL*1**S*1", "HL*2*1*O*0",
        "HL*3*2*I*1", "HL*4*3*P*1", "CTT*4",
    )  # fmt: skip
    assert errors(result) == []
    messages = [w.message for w in result.warnings]
    assert any("level P under I breaks BSN05 0001" in m for m in messages)
    assert any("HL04 is 0 but HL 2 has 1 children" in m for m in messages)
    assert any("HL04 is 1 but HL 4 has 0 children" in m for m in messages)


def test_a_wrong_ctt_line_count_is_an_error_and_a_wrong_hash_a_warning() -> None:
    counted = check("850", *HEADER_850, "PO1*1*10*EA*12.5**VP*A", "CTT*2*10")
    assert errors(counted) == [
        ("segment", "8", "CTT", 4, "", "", ""),
        ("element", "7", "CTT", 4, "1", "354", "2"),
    ]
    hashed = check("850", *HEADER_850, "PO1*1*10*EA*12.5**VP*A", "CTT*1*11")
    assert (errors(hashed), hashed.status) == ([], "A")
    assert "CTT02 hash is 11, the quantities sum to 10" in hashed.warnings[0].message


def test_the_856_hash_sums_item_level_sn1_only() -> None:
    result = check(
        "856", "BSN*00*SHIP-1*20260115*1030*0002", "HL*1**S", "HL*2*1*O", "HL*3*2*I", "SN1**10*EA",
        "HL*4*3*P", "SN1**4*EA", "HL*5*3*P", "SN1**6*EA", "CTT*5*10",
    )  # fmt: skip
    assert result.findings == []


INVOICE = ("BIG*20260115*INV-1", "IT1*1*4*EA*70**VP*A", "IT1*2*1*EA*5.66**VP*B")


def test_tds_counts_lines_charges_allowances_and_tax() -> None:
    result = check(
        "810", *INVOICE, "TDS*28816", "TXI*ST*2.50", "SAC*C*D240***1000", "SAC*A*C310***1000",
        "CTT*2*5",
    )  # fmt: skip
    assert result.findings == []


def test_a_wrong_tds_is_a_warning() -> None:
    result = check("810", *INVOICE, "TDS*28500", "CTT*2*5")
    assert (errors(result), result.status) == ([], "A")
    assert "TDS01 is 285.00" in result.warnings[0].message
    assert "285.66" in result.warnings[0].message


def test_a_group_with_one_rejected_set_is_partially_accepted() -> None:
    good = transaction("850", *HEADER_850, *LINE_850, control="0001")
    bad = transaction("940", "W05*N*1", control="0002")
    result = validate_group(group("PO", "004010", good, bad))
    assert (result.status, result.received, result.accepted) == ("P", 2, 1)
    assert [s.set_codes for s in result.sets] == [[], ["1"]]


def test_a_repeated_st02_is_718_code_23_in_005010_and_a_warning_in_004010() -> None:
    sets = [transaction("850", *HEADER_850, *LINE_850) for _ in range(2)]
    new = validate_group(group("PO", "005010", *sets))
    assert [s.set_codes for s in new.sets] == [[], ["23"]]
    old = validate_group(group("PO", "004010", *sets))
    assert [s.status for s in old.sets] == ["A", "A"]
    assert old.sets[1].warnings[0].code == "23"


def test_a_set_under_the_wrong_gs01_is_read_with_a_warning() -> None:
    result = validate_group(group("IN", "004010", transaction("850", *HEADER_850, *LINE_850)))
    assert result.status == "A"
    assert result.sets[0].warnings[0].severity is Severity.WARNING
