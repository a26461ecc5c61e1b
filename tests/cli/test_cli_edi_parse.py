"""``crossdock edi parse FILE``: the tree and the findings, in text or JSON; exit 1 on errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crossdock.cli import app

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x12"


def parse(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["edi", "parse", *args], env={"COLUMNS": "240"})
    return result.exit_code, result.stdout


def test_a_clean_file_prints_its_tree_and_exits_0() -> None:
    code, out = parse(str(FIXTURES / "18_mixed_2GS_3ST_00501_caret_rep__synthetic.edi"))
    assert code == 0, out
    assert "interchange 000000555 @0" in out
    assert "group PO 9001" in out
    assert "group IB 9002" in out
    assert "set 850 0001" in out
    assert "11 segments" in out
    assert "error" not in out


def test_error_findings_are_listed_with_code_level_and_position_and_exit_1() -> None:
    code, out = parse(str(FIXTURES / "10_940_backslash_compsep_bad_controls__x12-types.edi"))
    assert code == 1
    assert "interchange 001" in out
    assert "IEA@887" in out
    assert "group         4" in out
    assert "GE02 '575103' does not match GS06 '3317'" in out


def test_json_output_is_machine_readable() -> None:
    code, out = parse(str(FIXTURES / "13_multi_GS_multi_ST_envelope__gozer.txt"), "--json")
    assert code == 1
    [interchange] = json.loads(out)
    assert interchange["delimiters"]["segment"] == "\n"
    assert [len(g["sets"]) for g in interchange["groups"]] == [3, 1]
    found = {(f["level"], f["code"]) for f in interchange["findings"]}
    assert found == {("group", "5"), ("set", "4")}


def test_warnings_alone_exit_0() -> None:
    code, out = parse(str(FIXTURES / "07_997_backtick_compsep_short_isa__stupidedi.edi"), "--json")
    assert code == 0
    [interchange] = json.loads(out)
    assert [f["severity"] for f in interchange["findings"]] == ["warning"]


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    code, _ = parse(str(tmp_path / "nothing.edi"))
    assert code == 2
