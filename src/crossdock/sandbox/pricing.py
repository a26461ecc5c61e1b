"""InvoiceArithmetic: the sums both ERPs check before posting an invoice."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crossdock.sandbox.service import InvalidRequest

CENT = Decimal("0.01")


@dataclass(frozen=True, kw_only=True)
class InvoiceArithmetic:
    """An invoice's figures: per line (quantity, unit price, amount), then the totals."""

    lines: list[tuple[Decimal, Decimal, Decimal]]
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal


def check_invoice_arithmetic(
    invoice: InvoiceArithmetic, *, field_names: tuple[str, str, str, str]
) -> None:
    """Refuse an invoice whose amounts do not add up (to the cent).

    `field_names` says how this ERP spells (lines, amount, subtotal, total) in its errors.
    """
    lines_name, amount_name, subtotal_name, total_name = field_names
    for i, (qty, unit_price, amount) in enumerate(invoice.lines):
        if qty <= 0:
            raise InvalidRequest("quantity must be positive", f"{lines_name}.{i}.quantity")
        if (qty * unit_price).quantize(CENT) != amount.quantize(CENT):
            raise InvalidRequest(
                "amount is not quantity × unit price", f"{lines_name}.{i}.{amount_name}"
            )
    if sum((amount for _, _, amount in invoice.lines), Decimal(0)).quantize(CENT) != (
        invoice.subtotal.quantize(CENT)
    ):
        raise InvalidRequest("subtotal is not the sum of the line amounts", subtotal_name)
    if (invoice.subtotal + invoice.tax_amount).quantize(CENT) != invoice.total.quantize(CENT):
        raise InvalidRequest("total is not subtotal + tax", total_name)
