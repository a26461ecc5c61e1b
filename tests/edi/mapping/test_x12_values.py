"""Numbers, dates and times written as X12 data types (X12-RULES §8)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from crossdock.channels.edi.mapping.x12_values import (
    format_cents,
    format_date,
    format_price,
    format_quantity,
    format_time,
    parse_dt,
    parse_r,
    segment,
)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("5", "5"),
        ("2.50", "2.5"),
        ("5.000", "5"),
        ("1E+2", "100"),
        ("0.00", "0"),
        ("-3.10", "-3.1"),
    ],
)
def test_quantities_are_written_as_r_without_trailing_zeros(value: str, written: str) -> None:
    assert format_quantity(Decimal(value)) == written


def test_prices_keep_at_most_four_decimals() -> None:
    assert format_price(Decimal("12.5000")) == "12.5"
    assert format_price(Decimal("0.123456")) == "0.1235"
    assert format_price(Decimal("40")) == "40"


@pytest.mark.parametrize(
    ("amount", "cents"), [("285.66", "28566"), ("160", "16000"), ("0.005", "1")]
)
def test_amounts_are_written_as_n2_whole_cents(amount: str, cents: str) -> None:
    assert format_cents(Decimal(amount)) == cents


def test_dates_are_ccyymmdd_and_times_hhmm() -> None:
    assert format_date(date(2026, 1, 5)) == "20260105"
    assert format_time(time(7, 4)) == "0704"
    assert format_time(datetime(2026, 1, 5, 14, 30, 59)) == "1430"


def test_reading_refuses_what_x12_does_not_allow() -> None:
    assert parse_r("12.34") == Decimal("12.34")
    assert parse_dt("20260115") == date(2026, 1, 15)
    for bad in ("1E5", "+1", "", "1,5"):
        with pytest.raises(ValueError):
            parse_r(bad)
    for bad in ("260115", "20261340"):
        with pytest.raises(ValueError):
            parse_dt(bad)


def test_a_segment_drops_trailing_empty_elements_but_keeps_inner_ones() -> None:
    assert segment("HL", "1", "", "S", "").elements == ("1", "", "S")
