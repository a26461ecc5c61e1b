"""ShipmentPlan: how the WMS turns an accepted fulfilment into one or two shipments."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from decimal import Decimal

GS1_COMPANY_PREFIX = "0614141"  # GS1's own example company prefix
UPS_SHIPPER = "CD9E07"


@dataclass(frozen=True, kw_only=True)
class PlanLine:
    line_no: int
    sku: str
    quantity: Decimal


@dataclass(frozen=True, kw_only=True)
class ShipmentPlan:
    """The shipments an order will leave in, in order; the last one is final."""

    shipments: tuple[tuple[PlanLine, ...], ...]
    short_shipped: bool
    split: bool


def plan_shipments(
    lines: list[PlanLine], rng: random.Random, *, split_rate: float, short_ship_rate: float
) -> ShipmentPlan:
    """Decide short shipping (one line ships less) and splitting (two shipments).

    A split puts half the lines in each shipment, or, for a single line, half its quantity.
    Draws the same random numbers whatever the rates, so a seed gives the same plan.
    """
    short_draw, split_draw = rng.random(), rng.random()
    shipped = list(lines)
    short = False
    if short_draw < short_ship_rate:
        reducible = [i for i, ln in enumerate(shipped) if ln.quantity >= 2]
        if reducible:
            i = reducible[rng.randrange(len(reducible))]
            shipped[i] = replace(shipped[i], quantity=shipped[i].quantity - 1)
            short = True
        elif len(shipped) > 1:
            del shipped[rng.randrange(len(shipped))]
            short = True
    if split_draw < split_rate:
        if len(shipped) >= 2:
            half = len(shipped) // 2
            return ShipmentPlan(
                shipments=(tuple(shipped[:half]), tuple(shipped[half:])),
                short_shipped=short,
                split=True,
            )
        only = shipped[0]
        if only.quantity >= 2 and only.quantity == only.quantity.to_integral_value():
            first = only.quantity // 2
            return ShipmentPlan(
                shipments=(
                    (replace(only, quantity=first),),
                    (replace(only, quantity=only.quantity - first),),
                ),
                short_shipped=short,
                split=True,
            )
    return ShipmentPlan(shipments=(tuple(shipped),), short_shipped=short, split=False)


def gs1_check_digit(digits: str) -> str:
    """GS1 mod-10 check digit: weights 3 and 1 alternating from the rightmost digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def sscc(serial: int, extension: int = 0) -> str:
    """An SSCC-18: extension digit, company prefix, serial reference, check digit."""
    body = f"{extension}{GS1_COMPANY_PREFIX}{serial:09d}"
    if len(body) != 17:
        raise ValueError(f"serial {serial} does not fit an SSCC")
    return body + gs1_check_digit(body)


def ups_tracking_number(serial: int, service: str = "03") -> str:
    """A UPS-shaped `1Z` tracking number with its check digit."""
    core = f"{UPS_SHIPPER}{service}{serial % 10_000_000:07d}"
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in core]
    total = sum(values[0::2]) + 2 * sum(values[1::2])
    return f"1Z{core}{(10 - total % 10) % 10}"
