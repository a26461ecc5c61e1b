"""The set definitions: which schema a group gets, and what the schemas say."""

from __future__ import annotations

import pytest

from crossdock.channels.edi.x12.definitions import (
    SET_IDS,
    VERSIONS,
    LoopDef,
    RuleKind,
    SegmentUse,
    SyntaxRule,
    definition_for,
    schema_version,
)
from crossdock.channels.edi.x12.definitions.schema import ElementDef, SetDef


@pytest.mark.parametrize(
    ("gs08", "version"),
    [("004010", "004010"), ("004010VICS", "004010"), ("004010UCS", "004010"),
     ("004060", "004010"), ("005010", "005010"), ("005010X230", "005010"),
     ("002001", None), ("", None)],
)  # fmt: skip
def test_the_schema_version_comes_from_the_gs08_prefix(gs08: str, version: str | None) -> None:
    assert schema_version(gs08) == version


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("set_id", SET_IDS)
def test_every_supported_set_is_defined_in_both_versions(version: str, set_id: str) -> None:
    definition = definition_for(version, set_id)
    assert definition is not None
    assert (definition.id, definition.version) == (set_id, version)


def test_an_unknown_set_or_version_has_no_definition() -> None:
    assert definition_for("004010", "940") is None
    assert definition_for("002001", "850") is None


def _segment(definition: SetDef, tag: str) -> list[ElementDef]:
    def find(body: tuple[SegmentUse | LoopDef, ...]) -> list[ElementDef] | None:
        for node in body:
            if isinstance(node, SegmentUse) and node.tag == tag:
                return list(node.segment.elements)
            if isinstance(node, LoopDef) and (found := find(node.body)) is not None:
                return found
        return None

    found = find(definition.body)
    assert found is not None, tag
    return found


def test_997_ak103_and_ak203_exist_only_in_005010() -> None:
    old, new = definition_for("004010", "997"), definition_for("005010", "997")
    assert old is not None
    assert new is not None
    assert [e.ref for e in _segment(old, "AK1")] == ["479", "28"]
    assert [e.ref for e in _segment(new, "AK1")] == ["479", "28", "480"]
    assert [e.ref for e in _segment(new, "AK2")] == ["143", "329", "1705"]
    old_codes, new_codes = _segment(old, "AK5")[1].codes, _segment(new, "AK5")[1].codes
    assert old_codes is not None
    assert new_codes is not None
    assert "23" in new_codes
    assert "23" not in old_codes


@pytest.mark.parametrize(
    ("set_id", "tag", "position", "codes"),
    [("850", "BEG", 1, {"00", "01", "05"}),
     ("850", "BEG", 2, {"SA", "NE", "DS", "RL"}),
     ("855", "BAK", 2, {"AC", "AD", "AK", "AT", "RD", "RJ"}),
     ("855", "ACK", 1, {"IA", "IB", "IC", "ID", "IP", "IQ", "IR", "IS"}),
     ("850", "PO1", 6, {"VP", "BP", "UP", "EN", "IN", "VN", "UK"}),
     ("850", "PO1", 3, {"EA", "CA", "BX", "PK", "LB", "CS"}),
     ("856", "HL", 3, {"S", "O", "T", "P", "I"}),
     ("856", "BSN", 5, {"0001", "0002", "0004"}),
     ("846", "BIA", 2, {"SI", "DD"})],
)  # fmt: skip
def test_code_lists_hold_what_retail_partners_send(
    set_id: str, tag: str, position: int, codes: set[str]
) -> None:
    definition = definition_for("004010", set_id)
    assert definition is not None
    allowed = _segment(definition, tag)[position - 1].codes
    assert allowed is not None
    assert codes <= allowed
    assert "XX" not in allowed


def test_syntax_notes_are_written_as_in_the_standard() -> None:
    rule = SyntaxRule.parse("R020304")
    assert (rule.kind, rule.positions, rule.strict) == (RuleKind.REQUIRED, (2, 3, 4), True)
    with pytest.raises(ValueError, match="bad syntax note"):
        SyntaxRule.parse("P034")


def test_a_loop_must_start_with_a_segment() -> None:
    definition = definition_for("004010", "850")
    assert definition is not None
    loop = next(n for n in definition.body if isinstance(n, LoopDef))
    with pytest.raises(ValueError, match="must start with a segment"):
        LoopDef("X", (loop,))
