"""Mappings carry money and quantities exactly: decimals as JSON strings, never floats."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crossdock.connectors.cloud_erp import mapping as cloud
from crossdock.connectors.cloud_erp.client import SalesOrder as CloudSalesOrder
from crossdock.connectors.legacy_erp import mapping as legacy
from crossdock.connectors.legacy_erp.client import NewInvoice
from crossdock.connectors.legacy_erp.client import SalesOrder as LegacySalesOrder

from . import samples

prices = st.decimals(min_value=0, max_value=Decimal("99999.9999"), places=4, allow_nan=False)


def no_floats(value: object) -> bool:
    """True when no number in the JSON document was written as a float."""
    return not any(isinstance(v, float) for v in _walk(value))


def _walk(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _walk(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _walk(v)]
    return [value]


@given(price=prices, other=prices)
def test_legacy_erp_sales_order_money_round_trips_exactly(price: Decimal, other: Decimal) -> None:
    order = samples.order("ORD-1", prices=(str(price), str(other)))

    wire = legacy.new_sales_order(order).model_dump_json()
    echoed = json.loads(wire, parse_float=Decimal)
    booked = legacy.sales_order_ref(
        "legacy_erp", LegacySalesOrder.model_validate({"number": "SO-1", **echoed})
    )

    assert no_floats(json.loads(wire))
    assert [line.unit_price for line in booked.lines] == [price, other]
    assert [str(line.unit_price) for line in booked.lines] == [str(price), str(other)]
    assert [line.quantity for line in booked.lines] == [line.quantity for line in order.lines]


@given(price=prices, other=prices)
def test_cloud_erp_sales_order_money_round_trips_exactly(price: Decimal, other: Decimal) -> None:
    order = samples.order("ORD-1", prices=(str(price), str(other)))

    wire = cloud.new_sales_order(order).model_dump_json(by_alias=True)
    echoed = json.loads(wire, parse_float=Decimal)
    booked = cloud.sales_order_ref(
        "cloud_erp",
        CloudSalesOrder.model_validate({"id": "x", "documentNumber": "CSO-1", **echoed}),
    )

    assert no_floats(json.loads(wire))
    assert [str(line.unit_price) for line in booked.lines] == [str(price), str(other)]


@given(price=prices)
def test_invoice_amounts_travel_as_the_strings_the_gate_computed(price: Decimal) -> None:
    command = samples.post_invoice("legacy_erp", "ORD-1", "SO-1")
    invoice = command.invoice.model_copy(
        update={"lines": (command.invoice.lines[0].model_copy(update={"unit_price": price}),)}
    )

    wire = json.loads(legacy.new_invoice(invoice, "SO-1").model_dump_json())

    assert no_floats(wire)
    assert wire["lines"][0]["unit_price"] == str(price)
    assert NewInvoice.model_validate(wire).lines[0].unit_price == price
    assert wire["total"] == str(invoice.total)


def test_a_system_that_sends_money_as_json_numbers_loses_no_digits() -> None:
    raw = b'{"number": "SO-1", "lines": [{"line_no": 1, "sku": "A", "quantity": 3, '
    raw += b'"unit_price": 0.1000000000000000055511151231257827}]}'
    parsed = LegacySalesOrder.model_validate(json.loads(raw, parse_float=Decimal))
    assert parsed.lines[0].unit_price == Decimal("0.1000000000000000055511151231257827")
