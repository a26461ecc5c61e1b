"""Percentiles of a set of durations, by the nearest-rank method.

Nearest rank: sort the ``n`` values; the p-th percentile is the value at rank ``ceil(p/100 · n)``
(1-based), never interpolated. Every percentile reported is therefore a duration that really
happened, and a hand computation over a handful of orders gives the same answer as the code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from crossdock.core.value import Value


def nearest_rank(values: Iterable[float], percentile: float) -> float | None:
    """The ``percentile`` (0 < p ≤ 100) of ``values`` by nearest rank; None when there are none."""
    if not 0 < percentile <= 100:
        raise ValueError(f"a percentile is above 0 and at most 100, not {percentile}")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = math.ceil(percentile / 100 * len(ordered))
    return ordered[rank - 1]


class Distribution(Value):
    """How long something took, over every case in a window, in seconds."""

    count: int
    """How many cases were measured."""
    p50_s: float | None
    """The median by nearest rank; None when nothing was measured."""
    p95_s: float | None
    """The 95th percentile by nearest rank; None when nothing was measured."""
    max_s: float | None
    """The longest case; None when nothing was measured."""

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Distribution:
        """The distribution of ``seconds``."""
        values = list(seconds)
        return cls(
            count=len(values),
            p50_s=nearest_rank(values, 50),
            p95_s=nearest_rank(values, 95),
            max_s=max(values, default=None),
        )
