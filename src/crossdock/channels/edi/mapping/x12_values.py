"""X12 element values: Python values written as X12 data types and read back.

Output follows X12-RULES §8: quantities and prices are type R (explicit decimal point, no ``+``,
no trailing zeros), amounts are N2 (implied two decimals: 285.66 → ``28566``), dates are
CCYYMMDD and times HHMM. Trailing empty elements are dropped when a segment is built.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from crossdock.channels.edi.x12.model import Segment

PRICE_PLACES = Decimal("0.0001")
"""Prices are written with at most four decimals."""

_R = re.compile(r"^-?(\d+\.?\d*|\.\d+)$")
_DT = re.compile(r"^\d{8}$")


def format_quantity(value: Decimal) -> str:
    """A quantity as R: ``Decimal("5")`` → ``5``, ``Decimal("2.50")`` → ``2.5``."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def format_price(value: Decimal) -> str:
    """A price as R with at most four decimals (rounded half up): ``12.5000`` → ``12.5``."""
    return format_quantity(value.quantize(PRICE_PLACES, ROUND_HALF_UP))


def format_cents(value: Decimal) -> str:
    """An amount as N2, in whole cents (rounded half up): ``285.66`` → ``28566``."""
    return str(int((value * 100).quantize(Decimal(1), ROUND_HALF_UP)))


def format_date(value: date) -> str:
    """A date as DT, CCYYMMDD."""
    return value.strftime("%Y%m%d")


def format_time(value: time | datetime) -> str:
    """A time as TM, HHMM."""
    return value.strftime("%H%M")


def parse_r(text: str) -> Decimal:
    """Read an R (or N0) element; raises ValueError for anything else (``1E5``, ``+1``, ``""``)."""
    if not _R.match(text):
        raise ValueError(f"{text!r} is not a decimal number")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already refused it
        raise ValueError(f"{text!r} is not a decimal number") from exc


def parse_dt(text: str) -> date:
    """Read a DT element (CCYYMMDD); raises ValueError for anything else."""
    if not _DT.match(text):
        raise ValueError(f"{text!r} is not a CCYYMMDD date")
    return datetime.strptime(text, "%Y%m%d").date()


def segment(tag: str, *elements: str) -> Segment:
    """A segment built in code, trailing empty elements dropped (X12-RULES §8)."""
    values = list(elements)
    while values and values[-1] == "":
        values.pop()
    return Segment(tag=tag, elements=tuple(values))


def element_name(tag: str, position: int) -> str:
    """The X12 name of an element: ``element_name("PO1", 4)`` → ``PO104``."""
    return f"{tag}{position:02d}"
