"""The console's server-rendered SVG charts: bars in proportion, an empty state, escaped text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from crossdock.visibility.console.charts import Bar, bar_chart

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
