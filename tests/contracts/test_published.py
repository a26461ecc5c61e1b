"""The committed contract files match the registry (the CI check), and ``crossdock contracts``
finds, reports and refuses what it should."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.integration.contracts import ORDER_EVENTS, PublishedContracts

COMMITTED = Path(__file__).parents[2] / "docs" / "api"


def contracts(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["contracts", *args], env={"COLUMNS": "240"})
    return result.exit_code, result.stdout


def test_the_committed_snapshot_and_asyncapi_document_match_the_registry() -> None:
    review = PublishedContracts(COMMITTED).review(ORDER_EVENTS)

    assert review.current, (
        "docs/api is out of date: run `crossdock contracts check` to see why, then "
        "`crossdock contracts snapshot` if no change breaks a published version\n"
        + "\n".join([*map(str, review.changes), *review.stale])
    )


def test_check_passes_on_the_committed_files() -> None:
    code, out = contracts("check", "--dir", str(COMMITTED))

    assert code == 0, out
    assert f"{len(ORDER_EVENTS)} event types" in out


def published(directory: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((directory / "events.json").read_text())
    return loaded


def republish(directory: Path, edit: dict[str, Any]) -> None:
    """Pretend an earlier release published ``crossdock.order.routed.v1`` with ``edit`` applied
    to its data schema's properties."""
    document = published(directory)
    schema = document["events"]["crossdock.order.routed.v1"]["schema"]
    schema["properties"].update(edit)
    (directory / "events.json").write_text(json.dumps(document))


def test_snapshot_writes_both_files_and_then_check_passes(tmp_path: Path) -> None:
    code, out = contracts("snapshot", "--dir", str(tmp_path))

    assert code == 0, out
    assert {p.name for p in tmp_path.iterdir()} == {"events.json", "asyncapi.json"}
    assert contracts("check", "--dir", str(tmp_path))[0] == 0
    assert contracts("snapshot", "--dir", str(tmp_path)) == (0, f"already current: {tmp_path}\n")


def test_check_fails_when_nothing_was_published_yet(tmp_path: Path) -> None:
    code, out = contracts("check", "--dir", str(tmp_path))

    assert code == 1
    assert "events.json: missing" in out
    assert "asyncapi.json: missing" in out


def test_check_fails_on_a_compatible_change_until_the_snapshot_is_refreshed(
    tmp_path: Path,
) -> None:
    contracts("snapshot", "--dir", str(tmp_path))
    document = published(tmp_path)
    del document["events"]["crossdock.order.closed.v1"]  # as if `closed` were new since
    (tmp_path / "events.json").write_text(json.dumps(document))

    code, out = contracts("check", "--dir", str(tmp_path))

    assert code == 1
    assert "compatible crossdock.order.closed.v1: new event type" in out
    assert "events.json: does not match the registry" in out
    assert "run `crossdock contracts snapshot`" in out
    assert contracts("snapshot", "--dir", str(tmp_path))[0] == 0
    assert contracts("check", "--dir", str(tmp_path))[0] == 0


def test_check_fails_on_a_breaking_change_and_names_it(tmp_path: Path) -> None:
    contracts("snapshot", "--dir", str(tmp_path))
    republish(tmp_path, {"erp_company": {"type": "string"}})

    code, out = contracts("check", "--dir", str(tmp_path))

    assert code == 1
    assert "BREAKING   crossdock.order.routed.v1 data.erp_company: field removed" in out
    assert "new version (.v2)" in out


def test_check_fails_when_the_asyncapi_document_is_stale(tmp_path: Path) -> None:
    contracts("snapshot", "--dir", str(tmp_path))
    (tmp_path / "asyncapi.json").write_text('{"asyncapi": "3.0.0"}')

    code, out = contracts("check", "--dir", str(tmp_path))

    assert code == 1
    assert "asyncapi.json: does not match the registry" in out


def test_snapshot_refuses_a_breaking_change_and_leaves_the_files_alone(tmp_path: Path) -> None:
    contracts("snapshot", "--dir", str(tmp_path))
    republish(tmp_path, {"erp_company": {"type": "string"}})
    before = (tmp_path / "events.json").read_text()

    code, out = contracts("snapshot", "--dir", str(tmp_path))

    assert code == 1
    assert "data.erp_company: field removed" in out
    assert "refused" in out
    assert (tmp_path / "events.json").read_text() == before


def test_snapshot_writes_a_breaking_change_when_allowed(tmp_path: Path) -> None:
    contracts("snapshot", "--dir", str(tmp_path))
    republish(tmp_path, {"erp_company": {"type": "string"}})

    code, out = contracts("snapshot", "--dir", str(tmp_path), "--allow-breaking")

    assert code == 0, out
    assert "written anyway" in out
    assert "erp_company" not in (tmp_path / "events.json").read_text()
    assert contracts("check", "--dir", str(tmp_path))[0] == 0


def test_check_json_lists_each_change_for_tools(tmp_path: Path) -> None:
    contracts("snapshot", "--dir", str(tmp_path))
    republish(tmp_path, {"erp_company": {"type": "string"}})

    code, out = contracts("check", "--dir", str(tmp_path), "--json")

    assert code == 1
    report = json.loads(out)
    assert (report["current"], report["breaking"]) == (False, True)
    assert report["changes"] == [
        {
            "event_type": "crossdock.order.routed.v1",
            "path": "data.erp_company",
            "message": "field removed",
            "breaking": True,
        }
    ]


def test_list_shows_every_event_type_with_its_subject_and_required_fields() -> None:
    code, out = contracts("list")

    assert code == 0
    lines = out.splitlines()
    assert len([line for line in lines if line.startswith("crossdock.order.")]) == len(ORDER_EVENTS)
    [routed] = [line for line in lines if line.startswith("crossdock.order.routed.v1")]
    assert "crossdock.{tenant}.order.routed" in routed
    assert "system*, rule*" in routed
