"""810 bodies: BIG, echoed parties and ids, TDS in cents including tax, TXI, CTT."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crossdock.channels.edi.mapping.canonical_order import to_order
from crossdock.channels.edi.mapping.invoice_810 import build_810
from crossdock.channels.edi.mapping.purchase_order import PurchaseOrder, parse_850
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.x12.model import Delimiters, Segment, TransactionSet
from crossdock.core.errors import PermanentError
from crossdock.core.fulfilment import BookedLine, SalesOrderRef, ShippedLine, TaxContext
from crossdock.core.invoice import Invoice, build_invoice
from crossdock.core.party import Address, Customer

Sets = Callable[[str, str], list[tuple[TransactionSet, Delimiters]]]
SetFromText = Callable[[str, str], TransactionSet]


def _text(body: Sequence[Segment], *tags: str) -> list[str]:
    return ["*".join((s.tag, *s.elements)) for s in body if not tags or s.tag in tags]


@pytest.fixture
def po(sample_sets: Sets) -> PurchaseOrder:
    transaction_set, delimiters = sample_sets(
        "18_mixed_2GS_3ST_00501_caret_rep__synthetic.edi", "850"
    )[0]
    return parse_850(transaction_set, delimiters)


def _invoice(
    po: PurchaseOrder, partner: PartnerProfile, customer: Customer, *shipped: tuple[int, int]
) -> Invoice:
    order = to_order(
        po,
        profile=partner,
        customer=customer,
        order_id="O-1",
        received_at=datetime(2026, 1, 15, tzinfo=UTC),
    )
    booked = SalesOrderRef(
        system="erp",
        sales_order_number="SO-1",
        lines=tuple(
            BookedLine(
                line_no=line.line_no,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in order.lines
        ),
        tax=TaxContext(tax_code="IL", rate=Decimal("0.0825")),
    )
    lines = [ShippedLine(line_no=n, sku=order.line(n).sku, quantity=Decimal(q)) for n, q in shipped]
    return build_invoice(order, booked, "SHP-1", lines)


def test_tds_is_the_invoice_total_with_tax_in_cents_and_ctt_counts_it1(
    po: PurchaseOrder, partner: PartnerProfile, customer: Customer, warehouse: Address
) -> None:
    invoice = _invoice(po, partner, customer, (1, 10), (2, 5))

    body = _text(
        build_810(
            po,
            invoice,
            invoice_number="INV-900",
            invoice_date=date(2026, 1, 21),
            shipped_on=date(2026, 1, 20),
            remit_to=warehouse,
        )
    )

    assert invoice.total == Decimal("351.81")
    assert body[0] == "BIG*20260121*INV-900*20260115*PO-1001"
    assert "REF*SI*SHP-1" in body
    assert (
        _text(build_810(po, invoice, invoice_number="I", invoice_date=date(2026, 1, 21)), "CUR")
        == []
    )
    assert [s for s in body if s.startswith("N1")] == [
        "N1*ST*STORE 12*92*0012",
        "N1*RE*CROSSDOCK DC1",
    ]
    assert "DTM*011*20260120" in body
    assert [s for s in body if s.startswith("IT1")] == [
        "IT1*1*10*EA*12.5*PE*VP*WID-100*UP*012345678905",
        "IT1*2*5*CS*40*PE*VP*GAD-300",
    ]
    assert body[-3:] == ["TDS*35181", "TXI*TX*26.81*8.25", "CTT*2*15"]


def test_a_partial_shipment_bills_only_its_lines_and_a_foreign_currency_gets_cur(
    set_from_text: SetFromText, partner: PartnerProfile, customer: Customer
) -> None:
    po = parse_850(
        set_from_text(
            "850",
            "BEG*00*SA*PO-5**20260115~CUR*BY*CAD~ITD*01*3*1**15**16~"
            "N1*ST*STORE*92*7~N3*1 RUE~N4*MONTREAL*QC*H2X1Y4*CA~"
            "PO1*0001*3*EA*2.995**VP*A~PO1*0002*1*EA*1**VP*B~",
        ),
        Delimiters(),
    )
    invoice = _invoice(po, partner, customer, (1, 2))

    body = _text(build_810(po, invoice, invoice_number="INV-1", invoice_date=date(2026, 1, 21)))

    assert "CUR*SE*CAD" in body
    assert "ITD*01*3*1**15**16" in body
    assert [s for s in body if s.startswith("IT1")] == ["IT1*0001*2*EA*2.995*PE*VP*A"]
    assert invoice.total == Decimal("6.48")  # 5.99 + 0.49 tax
    assert body[-3:] == ["TDS*648", "TXI*TX*0.49*8.25", "CTT*1*2"]


def test_an_invoice_line_not_on_the_purchase_order_is_refused(
    po: PurchaseOrder, partner: PartnerProfile, customer: Customer
) -> None:
    invoice = _invoice(po, partner, customer, (1, 1))
    stray = invoice.lines[0].model_copy(update={"line_no": 9})

    with pytest.raises(PermanentError, match="line 9"):
        build_810(
            po,
            invoice.model_copy(update={"lines": (stray,)}),
            invoice_number="I",
            invoice_date=date(2026, 1, 21),
        )
