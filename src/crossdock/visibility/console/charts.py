"""Charts the console draws on the server, as inline SVG: no script, no chart library.

:func:`bar_chart` (vertical bars), :func:`line_chart` (lines over shared points, such as hours)
and :func:`stacked_bars` (horizontal bars split into bands) are pure functions of their data.
Each SVG is an image with a name (``role="img"``, ``<title>`` and a ``<desc>`` that says what it
shows in words), each bar, point or band carries its own ``<title>`` (a tooltip), and lines differ
by dash as well as colour, so a chart reads without colour or hover. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

WIDTH = 480
"""The drawing's width in SVG units (it scales to its container)."""
HEIGHT = 200
"""The height of bar and line charts in SVG units, labels included."""
_PLOT_TOP = 20
_PLOT_BOTTOM = HEIGHT - 24
_GAP = 0.25
"""The share of each bar's slot left empty between bars."""
_LINE_LEFT = 32
"""Room left of a line chart's plot for the value axis."""
_LINE_TOP = 28
"""Room above a line chart's plot for the legend."""
_ROW = 24
"""The height of one stacked bar's row."""
_STACK_LABELS = 120
"""Room left of the stacked bars for their labels."""
_STACK_TOTALS = 40
"""Room right of the longest stacked bar for its total."""
_EMPTY_HEIGHT = 64
"""The height of an empty stacked-bar chart."""
_CHAR = 6.5
"""About the width of one character of an 11px label, in SVG units (to space the legend)."""

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    """One line of a line chart."""

    name: str
    """What it counts (``"received"``): in the legend and in each point's title."""
    values: Sequence[float]
    """One value per point of the chart, in order (negative counts as 0)."""
    colour: str
    """Its stroke, any CSS colour."""
    dashed: bool = False
    """Drawn dashed, so that lines differ without colour."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Band:
    """One part of every stacked bar (``"under an hour"``)."""

    name: str
    """What the part counts, in the legend and the titles."""
    colour: str
    """Its fill, any CSS colour."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stack:
    """One stacked bar."""

    label: str
    """What the bar stands for, written left of it."""
    values: Sequence[float]
    """One value per band of the chart, in the bands' order (negative counts as 0)."""


def bar_chart(bars: Sequence[Bar], *, title: str, empty: str = "No data yet.") -> Markup:
    """A vertical bar chart of ``bars``, heights proportional to their values (the tallest
    fills the plot). With no bar above zero it is an empty state that says ``empty``."""
    chart_id = _new_id()
    tallest = max((bar.value for bar in bars), default=0.0)
    if tallest <= 0:
        return _empty(chart_id, HEIGHT, title, empty)
    readings = [(bar, bar.text or f"{bar.value:g}") for bar in bars]
    desc = "; ".join(f"{bar.label}: {text}" for bar, text in readings)
    slot = WIDTH / len(bars)
    plot = _PLOT_BOTTOM - _PLOT_TOP
    parts = [_head(chart_id, HEIGHT, title, desc)]
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


def line_chart(
    series: Sequence[Series],
    *,
    points: Sequence[str],
    title: str,
    empty: str = "No data yet.",
    tick_every: int = 1,
) -> Markup:
    """Lines over the same ``points`` (their labels, ``"09:00"``), heights proportional to the
    values (the largest of any line at the top of the plot, zero on the axis). The label of
    every ``tick_every``-th point, from the first, is written under the axis. With no value
    above zero it is an empty state that says ``empty``."""
    for line in series:
        if len(line.values) != len(points):
            raise ValueError(
                f"{line.name!r} has {len(line.values)} values for {len(points)} points"
            )
    chart_id = _new_id()
    top = max((value for line in series for value in line.values), default=0.0)
    if top <= 0 or not points:
        return _empty(chart_id, HEIGHT, title, empty)
    slot = (WIDTH - _LINE_LEFT - 8) / len(points)
    plot = _PLOT_BOTTOM - _LINE_TOP

    def x(index: int) -> float:
        return _LINE_LEFT + (index + 0.5) * slot

    def y(value: float) -> float:
        return _PLOT_BOTTOM - max(value, 0.0) / top * plot

    parts = [
        _head(chart_id, HEIGHT, title, "; ".join(_summary(line, points) for line in series)),
        f'<line x1="{_LINE_LEFT}" y1="{_PLOT_BOTTOM}" x2="{WIDTH - 8}" y2="{_PLOT_BOTTOM}" '
        'stroke="#9aa5b1"/>'
        f'<line x1="{_LINE_LEFT}" y1="{_LINE_TOP}" x2="{WIDTH - 8}" y2="{_LINE_TOP}" '
        'stroke="#d9dee4" stroke-dasharray="2 3"/>'
        f'<text x="{_LINE_LEFT - 4}" y="{_LINE_TOP + 4}" text-anchor="end">{top:g}</text>'
        f'<text x="{_LINE_LEFT - 4}" y="{_PLOT_BOTTOM + 4}" text-anchor="end">0</text>',
    ]
    parts += [
        f'<text x="{x(index):.2f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(label)}</text>'
        for index, label in enumerate(points)
        if index % max(tick_every, 1) == 0
    ]
    lefts = _legend(_LINE_LEFT, 25, [line.name for line in series])
    for left, line in zip(lefts, series, strict=True):
        dash = ' stroke-dasharray="6 3"' if line.dashed else ""
        colour = escape(line.colour)
        parts.append(
            f'<g class="legend"><line x1="{left}" y1="12" x2="{left + 20}" y2="12" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{left + 25}" y="16">{escape(line.name)}</text></g>'
        )
        coordinates = " ".join(f"{x(i):.2f},{y(v):.2f}" for i, v in enumerate(line.values))
        parts.append(
            f'<g class="series" data-series="{escape(line.name)}">'
            f'<polyline points="{coordinates}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
        )
        parts += [
            f'<circle cx="{x(index):.2f}" cy="{y(value):.2f}" r="2.5" fill="{colour}" '
            f'data-value="{value:g}"><title>{escape(label)}: {value:g} '
            f"{escape(line.name)}</title></circle>"
            for index, (label, value) in enumerate(zip(points, line.values, strict=True))
        ]
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bars(
    stacks: Sequence[Stack], *, bands: Sequence[Band], title: str, empty: str = "No data yet."
) -> Markup:
    """Horizontal bars, one row per stack, each split into ``bands``; lengths proportional to
    the totals (the longest fills the plot), each total written after its bar. With no total
    above zero it is an empty state that says ``empty``."""
    for stack in stacks:
        if len(stack.values) != len(bands):
            raise ValueError(
                f"{stack.label!r} has {len(stack.values)} values for {len(bands)} bands"
            )
    chart_id = _new_id()
    totals = [sum(max(value, 0.0) for value in stack.values) for stack in stacks]
    longest = max(totals, default=0.0)
    if longest <= 0:
        return _empty(chart_id, _EMPTY_HEIGHT, title, empty)
    height = _LINE_TOP + len(stacks) * _ROW + 4
    plot = WIDTH - _STACK_LABELS - _STACK_TOTALS
    readings = [_reading(stack, bands, total) for stack, total in zip(stacks, totals, strict=True)]
    parts = [_head(chart_id, height, title, "; ".join(readings))]
    for left, band in zip(_legend(_STACK_LABELS, 16, [b.name for b in bands]), bands, strict=True):
        parts.append(
            f'<g class="legend"><rect x="{left}" y="6" width="12" height="12" '
            f'style="fill:{escape(band.colour)}"/>'
            f'<text x="{left + 16}" y="16">{escape(band.name)}</text></g>'
        )
    for row, (stack, total, reading) in enumerate(zip(stacks, totals, readings, strict=True)):
        top = _LINE_TOP + row * _ROW
        middle = top + _ROW / 2 + 4
        parts.append(
            f'<g class="stack" data-label="{escape(stack.label)}"><title>{escape(reading)}</title>'
            f'<text x="{_STACK_LABELS - 6}" y="{middle:.2f}" text-anchor="end">'
            f"{escape(_clipped(stack.label))}</text>"
        )
        x = float(_STACK_LABELS)
        for band, value in zip(bands, stack.values, strict=True):
            if value <= 0:
                continue
            width = value / longest * plot
            parts.append(
                f'<rect x="{x:.2f}" y="{top + 5}" width="{width:.2f}" height="{_ROW - 10}" '
                f'style="fill:{escape(band.colour)}" data-band="{escape(band.name)}" '
                f'data-value="{value:g}"><title>{escape(stack.label)}, {escape(band.name)}: '
                f"{value:g}</title></rect>"
            )
            x += width
        parts.append(f'<text x="{x + 4:.2f}" y="{middle:.2f}">{total:g}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _new_id() -> str:
    return f"chart-{next(_ids)}"


def _head(chart_id: str, height: int, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _empty(chart_id: str, height: int, title: str, empty: str) -> Markup:
    return Markup(
        f"{_head(chart_id, height, title, empty)}"
        f'<text class="chart-empty" x="{WIDTH / 2:g}" y="{height / 2 + 4:g}" '
        f'text-anchor="middle">{escape(empty)}</text></svg>'
    )


def _legend(start: float, swatch: float, names: Sequence[str]) -> list[float]:
    """Where each legend entry starts: after the one before, its swatch and its name."""
    lefts = [start]
    for name in names[:-1]:
        lefts.append(lefts[-1] + swatch + len(name) * _CHAR + 16)
    return lefts


def _summary(line: Series, points: Sequence[str]) -> str:
    """A line in words: its total and its peak."""
    peak = max(range(len(points)), key=lambda index: line.values[index])
    return (
        f"{line.name}: {sum(line.values):g} in all, at most {line.values[peak]:g} ({points[peak]})"
    )


def _reading(stack: Stack, bands: Sequence[Band], total: float) -> str:
    """A stacked bar in words: its total and its non-empty bands."""
    parts = [
        f"{value:g} {band.name}"
        for band, value in zip(bands, stack.values, strict=True)
        if value > 0
    ]
    return f"{stack.label}: {total:g} ({', '.join(parts)})"


def _clipped(label: str, most: int = 18) -> str:
    """A label short enough for the label column (the bar's title keeps it whole)."""
    return label if len(label) <= most else f"{label[: most - 1]}…"
