"""``crossdock edi validate`` and ``crossdock edi send`` as an integration engineer runs them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from crossdock.cli import app
from crossdock.core.catalog import Price, Product
from crossdock.core.party import Customer
from crossdock.integration.store.migrate import upgrade
from crossdock.integration.store.sql import SqlStore

FIXTURES = Path(__file__).parent.parent / "fixtures" / "x12"


def crossdock(*args: str, database: str = "sqlite://") -> Result:
    env = {"CROSSDOCK_STORE__URL": database, "CROSSDOCK_ESTATE_FILE": None, "COLUMNS": "240"}
    return CliRunner().invoke(app, list(args), env=env)


def test_validate_names_each_error_with_its_position_and_code_and_exits_1() -> None:
    result = crossdock(
        "edi", "validate", str(FIXTURES / "18_mixed_2GS_3ST_00501_caret_rep__synthetic.edi")
    )

    assert result.exit_code == 1
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith("error")]
    # The 846's LIN02 qualifier XX: AK3 LIN at position 3 code 8, AK4 LIN02 code 7.
    assert lines[0][:7] == ["error", "846", "0003", "#3", "LIN", "720", "8"]
    assert lines[1][:7] == ["error", "846", "0003", "#3", "LIN02", "723", "7"]


def test_validate_exits_0_on_a_clean_file() -> None:
    result = crossdock("edi", "validate", str(FIXTURES / "17_846_LIN_QTY_CTT_hash__synthetic.edi"))

    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.stdout


def test_validate_as_a_partner_reports_another_sender_and_unknown_items() -> None:
    result = crossdock(
        "edi", "validate", str(FIXTURES / "01_850_vics_tilde_nl__node-x12.edi"),
        "--partner", "edi_customer",
    )  # fmt: skip

    assert result.exit_code == 1
    assert "is not edi_customer" in result.stdout
    assert "PO1[1]" in result.stdout
    assert "no item id resolves" in result.stdout


def test_an_unknown_partner_is_a_usage_error() -> None:
    result = crossdock("edi", "validate", str(FIXTURES / "01_850_vics_tilde_nl__node-x12.edi"),
                       "--partner", "nobody")  # fmt: skip

    assert result.exit_code == 2
    assert "no EDI partner is named 'nobody'" in result.stderr


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/hub.db"
    upgrade(url)
    store = SqlStore(url)
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_customers(
            [Customer(customer_id="C0003", name="Retail Co", legal_entity="A", region="EAST")]
        )
        uow.masterdata.upsert_products([Product(sku="SKU-0001", description="Widget")])
        uow.masterdata.upsert_prices(
            [Price(sku="SKU-0001", currency="USD", unit_price=Decimal("10.00"))]
        )
    store.close()
    return url


def po_from_the_retailer(tmp_path: Path, control: int) -> Path:
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{'RETAILCO':15}*ZZ*{'CROSSDOCK':15}*261127*1200*U*00401*"
        f"{control:09d}*0*P*>~"
    )
    body = [
        "BEG*00*SA*RC-77**20261127",
        "N1*ST*Retail Co*92*C0003",
        "N3*1 Main St",
        "N4*Newark*NJ*07101*US",
        "PO1*1*2*EA*10.00*PE*VP*SKU-0001",
        "CTT*1*2",
    ]
    text = "\n".join(
        [
            isa,
            f"GS*PO*RETAILCO*CROSSDOCK*20261127*1200*{control}*X*004010~",
            "ST*850*0001~",
            *(f"{segment}~" for segment in body),
            f"SE*{len(body) + 2}*0001~",
            f"GE*1*{control}~",
            f"IEA*1*{control:09d}~",
        ]
    )
    path = tmp_path / f"po-{control}.edi"
    path.write_text(text)
    return path


def test_send_takes_a_file_in_once_and_refuses_the_repeat(tmp_path: Path, database: str) -> None:
    path = po_from_the_retailer(tmp_path, 501)

    first = crossdock("edi", "send", str(path), "--partner", "edi_customer", database=database)
    again = crossdock("edi", "send", str(path), "--partner", "edi_customer", database=database)

    assert first.exit_code == 0, first.output
    assert "accepted" in first.stdout
    assert "PO RC-77 → order ord_" in first.stdout
    assert again.exit_code == 1
    assert "duplicate" in again.stdout
    store = SqlStore(database)
    with store.unit_of_work(write=False) as uow:
        files = uow.partner_documents.files(partner="edi_customer")
    store.close()
    assert sorted((f.direction, f.status) for f in files) == [
        ("in", "accepted"),
        ("in", "duplicate"),
        ("out", "queued"),
        ("out", "queued"),
    ]
