"""The 846 inventory inquiry/advice, both ways: a partner's report read into positions, ours built.

Reading (a supplier or 3PL reporting stock to us):

* Each LIN loop names an item by id pairs, resolved to our SKU like an 850 line (``VP`` is our
  SKU, other qualifiers through the partner's cross-reference).
* **What becomes ``on_hand``:** the LIN loop's QTY*33 (available for sale) when present, else its
  QTY*17 (on hand). QTY*02 (cumulative) and other qualifiers are never stock. A loop with neither
  is refused. The position's ``reserved`` and ``safety_stock`` stay 0: the partner has already
  taken its own commitments out of what it calls available.
* **Location:** SDQ segments following the chosen QTY split it per location (SDQ02/03 … pairs);
  otherwise the N104 of an N1 inside the LIN loop, else of the first header N1 (``N1*WH``).
* Any problem (unknown item, no quantity, no location) refuses the whole report with
  :class:`InvalidDocument`, each problem named ``LIN[n]`` (the n-th LIN, from 1).

Building (our availability for a partner): one LIN per SKU, ``VP`` = our SKU followed by the
partner's ids from its cross-reference, QTY*33 = Σ ``available`` over the SKU's positions. One
location is written as a header ``N1*WH``; several as an SDQ per LIN. Quantities are in ``EA``.
CTT01 = number of LIN, CTT02 = ΣQTY02.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal

from crossdock.channels.edi.mapping.item_ids import (
    describe,
    pair_elements,
    partner_ids,
    read_item_ids,
    resolve_sku,
)
from crossdock.channels.edi.mapping.x12_values import (
    format_date,
    format_quantity,
    format_time,
    parse_r,
    segment,
)
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.x12.model import Delimiters, Segment, TransactionSet
from crossdock.core.inventory import InventoryPosition
from crossdock.orchestration.intake import FieldProblem, InvalidDocument

AVAILABLE = "33"
ON_HAND = "17"
STOCK_QUALIFIERS = (AVAILABLE, ON_HAND)
"""QTY01 codes that become ``on_hand``, in order of preference."""
LOCATION_QUALIFIER = "92"
"""N103/SDQ02 on what we write: location assigned by the buyer's agreement."""
UNIT = "EA"
SDQ_PAIRS = 10
"""Location/quantity pairs one SDQ holds."""


def parse_846(
    transaction_set: TransactionSet, delimiters: Delimiters, profile: PartnerProfile
) -> list[InventoryPosition]:
    """The positions an 846 reports; raises :class:`InvalidDocument` naming every problem."""
    del delimiters  # no composite element is read
    header: list[Segment] = []
    loops: list[list[Segment]] = []
    for found in transaction_set.body:
        if found.tag == "LIN":
            loops.append([found])
        elif found.tag == "CTT":
            break
        elif loops:
            loops[-1].append(found)
        else:
            header.append(found)
    header_location = next((s.element(4) for s in header if s.tag == "N1" and s.element(4)), "")
    problems: list[FieldProblem] = []
    positions: list[InventoryPosition] = []
    for n, loop in enumerate(loops, start=1):
        positions.extend(_read_loop(n, loop, header_location, profile, problems))
    if problems:
        raise InvalidDocument(problems)
    return positions


def _read_loop(
    n: int,
    loop: Sequence[Segment],
    header_location: str,
    profile: PartnerProfile,
    problems: list[FieldProblem],
) -> list[InventoryPosition]:
    where = f"LIN[{n}]"
    before = len(problems)
    ids = read_item_ids(loop[0], 2, where, problems)
    sku = resolve_sku(ids, profile)
    if sku is None:
        problems.append(FieldProblem(where, describe(ids, profile)))
    location = next((s.element(4) for s in loop if s.tag == "N1" and s.element(4)), "")
    quantities: dict[str, tuple[Decimal, dict[str, Decimal]]] = {}
    split: dict[str, Decimal] | None = None
    for found in loop[1:]:
        if found.tag == "QTY":
            qualifier = found.element(1)
            amount = _quantity(found.element(2), f"{where}.QTY*{qualifier}.QTY02", problems)
            split = {}
            quantities.setdefault(qualifier, (amount, split))
        elif found.tag == "SDQ" and split is not None:
            _read_sdq(found, split, f"{where}.SDQ", problems)
    chosen = next((quantities[q] for q in STOCK_QUALIFIERS if q in quantities), None)
    if chosen is None:
        problems.append(FieldProblem(f"{where}.QTY", "no QTY*33 (available) or QTY*17 (on hand)"))
    elif not chosen[1] and not (location or header_location):
        message = "no location: an N1 with N104 (in the loop or the header) or an SDQ is required"
        problems.append(FieldProblem(where, message))
    if len(problems) > before or chosen is None or sku is None:
        return []
    amount, per_location = chosen
    if not per_location:
        per_location = {location or header_location: amount}
    return [
        InventoryPosition(sku=sku, location=place, on_hand=quantity)
        for place, quantity in per_location.items()
    ]


def _read_sdq(
    found: Segment, split: dict[str, Decimal], where: str, problems: list[FieldProblem]
) -> None:
    for position in range(3, len(found.elements) + 1, 2):
        place = found.element(position)
        if not place:
            continue
        amount = _quantity(found.element(position + 1), f"{where}.SDQ{position + 1:02d}", problems)
        split[place] = split.get(place, Decimal(0)) + amount


def _quantity(text: str, where: str, problems: list[FieldProblem]) -> Decimal:
    try:
        return parse_r(text)
    except ValueError as exc:
        problems.append(FieldProblem(where, str(exc)))
        return Decimal(0)


def build_846(
    positions: Sequence[InventoryPosition],
    profile: PartnerProfile,
    *,
    report_id: str,
    reported_at: datetime,
    report_type: Literal["SI", "DD"] = "SI",
) -> list[Segment]:
    """The 846 body (ST and SE excluded) advising ``positions``' availability to a partner.

    ``report_type`` is BIA02: ``SI`` seller inventory, ``DD`` distributor inventory.
    """
    body = [
        segment(
            "BIA", "00", report_type, report_id, format_date(reported_at), format_time(reported_at)
        )
    ]
    locations = sorted({position.location for position in positions})
    if len(locations) == 1:
        body.append(segment("N1", "WH", "", LOCATION_QUALIFIER, locations[0]))
    per_sku: dict[str, dict[str, Decimal]] = {}
    for position in positions:
        places = per_sku.setdefault(position.sku, {})
        places[position.location] = places.get(position.location, Decimal(0)) + position.available
    total = Decimal(0)
    for n, (sku, places) in enumerate(per_sku.items(), start=1):
        available = sum(places.values(), Decimal(0))
        total += available
        body.append(segment("LIN", str(n), *pair_elements(partner_ids(sku, profile))))
        body.append(segment("QTY", AVAILABLE, format_quantity(available), UNIT))
        if len(locations) > 1:
            body.extend(_sdq(places))
    body.append(segment("CTT", str(len(per_sku)), format_quantity(total)))
    return body


def _sdq(places: dict[str, Decimal]) -> list[Segment]:
    pairs = sorted(places.items())
    return [
        segment(
            "SDQ",
            UNIT,
            LOCATION_QUALIFIER,
            *(value for place, amount in chunk for value in (place, format_quantity(amount))),
        )
        for chunk in (pairs[i : i + SDQ_PAIRS] for i in range(0, len(pairs), SDQ_PAIRS))
    ]
