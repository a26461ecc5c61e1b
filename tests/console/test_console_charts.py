"""The console's server-rendered SVG charts: bars, lines and stacked bars in proportion, named
for screen readers, an empty state, escaped text; and the overview's charts of a real hub."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import httpx
import pytest

from credentials import admin_key
from crossdock.core.errors import PermanentError
from crossdock.visibility.console.charts import (
    Band,
    Bar,
    Series,
    Stack,
    bar_chart,
    line_chart,
    stacked_bars,
)

from .console_hub import BOOK, LEGACY, POSTAL_REFUSAL, REFUSED, SHIPPED, ConsoleHub

SVG = "{http://www.w3.org/2000/svg}"


def rects(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(f"{SVG}rect"))


def test_bar_heights_are_proportional_to_values_and_the_tallest_fills_the_plot() -> None:
    svg = bar_chart(
        [Bar(label="a", value=10), Bar(label="b", value=40), Bar(label="c", value=20)],
        title="Orders",
    )

    heights = [float(rect.attrib["height"]) for rect in rects(svg)]
    assert heights[0] / heights[1] == 0.25
    assert heights[2] / heights[1] == 0.5
    tops = [float(rect.attrib["y"]) + float(rect.attrib["height"]) for rect in rects(svg)]
    assert len(set(tops)) == 1, "every bar stands on the same baseline"


def test_the_chart_is_a_named_image_and_each_bar_says_its_label_and_value() -> None:
    svg = bar_chart([Bar(label="shipped p50", value=5400, text="1h 30m")], title="Cycle time")

    root = ET.fromstring(svg)
    assert root.attrib["role"] == "img"
    title_id, desc_id = root.attrib["aria-labelledby"].split()
    assert root.find(f"{SVG}title").attrib["id"] == title_id  # type: ignore[union-attr]
    assert root.find(f"{SVG}title").text == "Cycle time"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "shipped p50: 1h 30m"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").attrib["id"] == desc_id  # type: ignore[union-attr]
    [bar] = root.iter(f"{SVG}g")
    assert bar.find(f"{SVG}title").text == "shipped p50: 1h 30m"  # type: ignore[union-attr]
    assert [text.text for text in bar.iter(f"{SVG}text")] == ["1h 30m", "shipped p50"]


def test_no_data_or_only_zeros_draws_the_empty_state_and_no_bar() -> None:
    for bars in ([], [Bar(label="a", value=0), Bar(label="b", value=0)]):
        svg = bar_chart(bars, title="Orders", empty="Nothing shipped yet.")

        assert rects(svg) == []
        assert "Nothing shipped yet." in svg
        ET.fromstring(svg)  # still a well-formed image


def test_labels_are_escaped() -> None:
    svg = bar_chart([Bar(label="<script>x</script>", value=1)], title="a & b")

    assert "<script>" not in svg
    assert ET.fromstring(svg).find(f"{SVG}title").text == "a & b"  # type: ignore[union-attr]


# ---------------------------------------------------------------- lines


def circles(svg: str, series: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    [group] = [g for g in root.iter(f"{SVG}g") if g.attrib.get("data-series") == series]
    return list(group.iter(f"{SVG}circle"))


def test_points_stand_in_proportion_and_a_zero_sits_on_the_axis() -> None:
    svg = line_chart(
        [
            Series(name="received", values=[0, 2, 4, 1], colour="blue"),
            Series(name="shipped", values=[0, 0, 1, 3], colour="green", dashed=True),
        ],
        points=["09:00", "10:00", "11:00", "12:00"],
        title="Orders per hour",
    )

    received = [float(c.attrib["cy"]) for c in circles(svg, "received")]
    shipped = [float(c.attrib["cy"]) for c in circles(svg, "shipped")]
    axis = received[0]
    assert shipped[:2] == [axis, axis], "every zero sits on the same baseline"
    # Heights above the axis: 4 is the top, 2 half of it, 1 a quarter, 3 three quarters.
    top = axis - received[2]
    assert (axis - received[1]) / top == 0.5
    assert (axis - received[3]) / top == 0.25
    assert (axis - shipped[3]) / top == 0.75
    xs = [float(c.attrib["cx"]) for c in circles(svg, "received")]
    assert xs == sorted(xs)
    assert xs == [float(c.attrib["cx"]) for c in circles(svg, "shipped")]
    lines = list(ET.fromstring(svg).iter(f"{SVG}polyline"))
    assert [line.attrib.get("stroke-dasharray") for line in lines] == [None, "6 3"]


def test_the_line_chart_is_a_named_image_summarised_in_words_with_a_title_per_point() -> None:
    svg = line_chart(
        [Series(name="received", values=[1, 5, 2], colour="blue")],
        points=["09:00", "10:00", "11:00"],
        title="Orders per hour",
    )

    root = ET.fromstring(svg)
    assert root.attrib["role"] == "img"
    title_id, desc_id = root.attrib["aria-labelledby"].split()
    assert root.find(f"{SVG}title").attrib["id"] == title_id  # type: ignore[union-attr]
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert desc.attrib["id"] == desc_id
    assert desc.text == "received: 8 in all, at most 5 (10:00)"
    point_titles = [c.find(f"{SVG}title").text for c in circles(svg, "received")]  # type: ignore[union-attr]
    assert point_titles == ["09:00: 1 received", "10:00: 5 received", "11:00: 2 received"]


def test_only_every_nth_point_is_labelled_under_the_axis() -> None:
    hours = [f"{hour:02}:00" for hour in range(24)]
    svg = line_chart(
        [Series(name="received", values=[1] * 24, colour="blue")],
        points=hours,
        title="Orders per hour",
        tick_every=6,
    )

    texts = [text.text for text in ET.fromstring(svg).iter(f"{SVG}text")]
    assert [t for t in texts if t in hours] == ["00:00", "06:00", "12:00", "18:00"]
    assert len(circles(svg, "received")) == 24, "every hour has its point, labelled or not"


def test_a_line_chart_of_only_zeros_is_the_empty_state() -> None:
    svg = line_chart(
        [Series(name="received", values=[0, 0], colour="blue")],
        points=["09:00", "10:00"],
        title="Orders per hour",
        empty="No order in the last 24 hours.",
    )

    root = ET.fromstring(svg)
    assert list(root.iter(f"{SVG}polyline")) == []
    assert root.find(f"{SVG}desc").text == "No order in the last 24 hours."  # type: ignore[union-attr]


def test_a_series_must_have_a_value_for_every_point() -> None:
    with pytest.raises(ValueError, match="2 values for 3 points"):
        line_chart(
            [Series(name="received", values=[1, 2], colour="blue")],
            points=["a", "b", "c"],
            title="t",
        )


# ---------------------------------------------------------------- stacked bars

BANDS = (Band(name="young", colour="#111"), Band(name="old", colour="#222"))


def segments(svg: str) -> dict[tuple[str, str], float]:
    """(stack label, band) → the segment's width."""
    found = {}
    for stack in ET.fromstring(svg).iter(f"{SVG}g"):
        for rect in stack.iter(f"{SVG}rect"):
            if "data-band" in rect.attrib:
                found[(stack.attrib["data-label"], rect.attrib["data-band"])] = float(
                    rect.attrib["width"]
                )
    return found


def test_stacked_bars_are_as_long_as_their_totals_and_split_by_band() -> None:
    svg = stacked_bars(
        [Stack(label="erp", values=[1, 3]), Stack(label="wms", values=[2, 0])],
        bands=BANDS,
        title="Open exceptions",
    )

    widths = segments(svg)
    assert set(widths) == {("erp", "young"), ("erp", "old"), ("wms", "young")}, "no empty band"
    erp = widths[("erp", "young")] + widths[("erp", "old")]
    assert widths[("erp", "old")] / widths[("erp", "young")] == 3
    assert widths[("wms", "young")] / erp == 0.5
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}desc").text == "erp: 4 (1 young, 3 old); wms: 2 (2 young)"  # type: ignore[union-attr]
    rows = [g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == "stack"]
    assert [row.find(f"{SVG}title").text for row in rows] == [  # type: ignore[union-attr]
        "erp: 4 (1 young, 3 old)",
        "wms: 2 (2 young)",
    ]
    assert [t.text for t in rows[0].iter(f"{SVG}text")] == ["erp", "4"]


def test_stacked_bars_with_nothing_to_show_are_the_empty_state_and_labels_are_escaped() -> None:
    empty = stacked_bars([], bands=BANDS, title="Open exceptions", empty="No open exceptions.")
    escaped = stacked_bars([Stack(label="<b>erp</b>", values=[1, 0])], bands=BANDS, title="a & b")

    assert segments(empty) == {}
    assert "No open exceptions." in empty
    assert "<b>" not in escaped
    assert segments(escaped) == {("<b>erp</b>", "young"): pytest.approx(320)}


# ---------------------------------------------------------------- the overview


async def test_the_overview_draws_orders_per_hour_with_empty_hours_and_exceptions_by_age(
    hub: ConsoleHub,
) -> None:
    # 09:00 SHIPPED is received; 10:30 it ships and REFUSED is received (its booking is
    # refused: an open exception); the page is read at 11:15. The last 24 hours are 11:15 on
    # the 4th to 11:15 on the 5th: 25 clock hours, the first and last in part.
    hub.submit(SHIPPED)
    await hub.drain()
    hub.clock.advance(timedelta(minutes=90))
    await hub.ship(SHIPPED)
    hub.gateways[LEGACY].break_down(BOOK, PermanentError(POSTAL_REFUSAL, code="http_422"))
    hub.submit(REFUSED)
    await hub.drain()
    hub.clock.advance(timedelta(minutes=45))
    transport = httpx.ASGITransport(app=hub.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await http.post("/console/login", data={"key": admin_key(hub.access)})
        page = (await http.get("/console")).text

    hourly = figure(page, "hourly-chart")
    received = [float(c.attrib["data-value"]) for c in circles(hourly, "received")]
    shipped = [float(c.attrib["data-value"]) for c in circles(hourly, "shipped")]
    assert len(received) == len(shipped) == 25
    # Index 0 is 11:00 on the 4th, 22 is 09:00 on the 5th, 23 is 10:00, 24 is 11:00 (so far);
    # every hour but 09:00 and 10:00 is an empty one.
    assert (received[22:], shipped[22:]) == ([1, 1, 0], [0, 1, 0])
    assert sum(received[:22]) == sum(shipped[:22]) == 0
    table = re.findall(
        r'<tr data-hour="([^"]+)">.*?class="received">(\d+)<.*?class="shipped">(\d+)<', page
    )
    assert len(table) == 25
    assert table[0] == ("2026-01-04T11:00", "0", "0")
    assert table[-3:] == [
        ("2026-01-05T09:00", "1", "0"),
        ("2026-01-05T10:00", "1", "1"),
        ("2026-01-05T11:00", "0", "0"),
    ]
    exceptions = figure(page, "exceptions-chart")
    assert segments(exceptions) == {("legacy_erp", "under an hour"): pytest.approx(320)}
    assert "legacy_erp: 1 (1 under an hour)" in exceptions


def figure(page: str, figure_id: str) -> str:
    """The SVG inside the page's figure ``figure_id``."""
    found = re.search(rf'<figure class="chart-figure" id="{figure_id}">(<svg.*?</svg>)', page, re.S)
    assert found, f"no chart in #{figure_id}"
    return found.group(1)
