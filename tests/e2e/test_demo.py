"""``crossdock demo``, the README's first command, on a small scale: storefront and EDI orders."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crossdock.cli import app


def test_the_demo_closes_every_storefront_and_edi_order_and_the_retailer_finds_nothing(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "demo", "--orders", "6", "--edi-orders", "3", "--faults", "none", "--until-done",
            "--json", "--data-dir", str(tmp_path),
        ],
        env={"CROSSDOCK_ESTATE_FILE": None},
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["statuses"] == {"closed": 9}
    assert summary["timelines_complete"] == 9
    edi = summary["edi"]
    assert (edi["sent"], edi["acknowledged_855"], edi["shipped"], edi["invoiced"]) == (3, 3, 3, 3)
    assert edi["findings"] == []
