"""Charts the console draws on the server, as inline SVG: no script, no chart library.

:func:`bar_chart` is a pure function of its bars. The SVG is an image with a name
(``role="img"``, ``<title>`` and ``<desc>``), each bar carries its own ``<title>`` (a tooltip, and
what a screen reader announces) and a visible label and value, so the chart reads without colour
or hover. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

WIDTH = 480
"""The drawing's width in SVG units (it scales to its container)."""
HEIGHT = 200
"""The drawing's height in SVG units, labels included."""
_PLOT_TOP = 20
_PLOT_BOTTOM = HEIGHT - 24
_GAP = 0.25
"""The share of each bar's slot left empty between bars."""

_ids = count(1)  # distinct ids when a page holds several charts


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """One bar."""

    label: str
    """What the bar stands for, written under it."""
    value: float
    """Its height, in any unit shared by every bar of the chart (negative counts as 0)."""
    text: str = ""
    """The value as people read it (``"1h 30m"``); the number itself when empty."""


def bar_chart(bars: Sequence[Bar], *, title: str, empty: str = "No data yet.") -> Markup:
    """A vertical bar chart of ``bars``, heights proportional to their values (the tallest
    fills the plot). With no bar above zero it is an empty state that says ``empty``."""
    chart_id = f"chart-{next(_ids)}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
    )
    tallest = max((bar.value for bar in bars), default=0.0)
    if tallest <= 0:
        return Markup(
            f'{head}<desc id="{chart_id}-desc">{escape(empty)}</desc>'
            f'<text class="chart-empty" x="{WIDTH / 2:g}" y="{HEIGHT / 2:g}" '
            f'text-anchor="middle">{escape(empty)}</text></svg>'
        )
    readings = [(bar, bar.text or f"{bar.value:g}") for bar in bars]
    desc = "; ".join(f"{bar.label}: {text}" for bar, text in readings)
    slot = WIDTH / len(bars)
    plot = _PLOT_BOTTOM - _PLOT_TOP
    parts = [head, f'<desc id="{chart_id}-desc">{escape(desc)}</desc>']
    for index, (bar, text) in enumerate(readings):
        height = max(bar.value, 0.0) / tallest * plot
        x = index * slot + slot * _GAP / 2
        middle = index * slot + slot / 2
        top = _PLOT_BOTTOM - height
        parts.append(
            f'<g class="bar"><title>{escape(bar.label)}: {escape(text)}</title>'
            f'<rect x="{x:.2f}" y="{top:.2f}" width="{slot * (1 - _GAP):.2f}" '
            f'height="{height:.2f}" data-value="{bar.value:g}"/>'
            f'<text x="{middle:.2f}" y="{top - 4:.2f}" text-anchor="middle">{escape(text)}</text>'
            f'<text x="{middle:.2f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(bar.label)}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
