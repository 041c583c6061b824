"""The SVG charts (pure): named images with their values described, escaped words, drawn within
their viewBox so they scale to a phone without overflowing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from grants.figures import charts
from grants.figures.charts import WIDTH, Series

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314  (our own output, parsed to check it)


def _view_box(root) -> tuple[float, float]:
    _x, _y, width, height = (float(v) for v in root.get("viewBox").split())
    return width, height


def test_a_bar_chart_is_a_named_image_describing_every_value():
    svg = charts.bars(
        "chart-money",
        "各届资金",
        ["第一届", "第二届"],
        [Series("核定", [500_000, 300_000]), Series("已拨付", [250_000, 0], "#0969da")],
        value_text=lambda fen: f"¥{fen // 100:,}",
    )
    root = _parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "chart-money-title chart-money-desc"
    assert root.find(f"{SVG}title").text == "各届资金" and root.find(f"{SVG}title").get("id") == "chart-money-title"
    assert root.find(f"{SVG}desc").text == "第一届: 核定 ¥5,000, 已拨付 ¥2,500; 第二届: 核定 ¥3,000, 已拨付 ¥0"
    rects = [r for r in root.iter(f"{SVG}rect") if float(r.get("height")) > 10]
    assert sorted(float(r.get("width")) for r in rects) == [132.0, 158.4, 264.0]  # zero draws no bar
    assert "style=" not in str(svg)  # colours are attributes (the CSP allows no inline style)


def test_words_are_escaped():
    svg = charts.bars("c", "<script>", ['社区"&<b>'], [Series("a<", [3])])
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    assert _parse(svg).find(f"{SVG}title").text == "<script>"


def test_a_column_chart_names_its_ticks_and_its_largest_value():
    svg = charts.columns("chart-months", "每月活动", ["1月", "2月", "3月"], [2, 0, 7], ticks=[(0, "1月"), (2, "3月")])
    root = _parse(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "7" in texts and "2" in texts and "1月" in texts and "3月" in texts
    assert root.find(f"{SVG}desc").text == "1月: 2; 2月: 0; 3月: 7"
    assert len([r for r in root.iter(f"{SVG}rect")]) == 2


def test_an_empty_chart_still_draws_and_divides_by_nothing():
    assert _parse(charts.bars("e", "空", ["甲"], [Series("a", [0])])).get("role") == "img"
    assert _parse(charts.columns("e", "空", [], [])).get("role") == "img"


@given(
    st.lists(st.tuples(st.text(min_size=1, max_size=12), st.integers(0, 10**9)), min_size=1, max_size=40),
    st.integers(1, 3),
)
def test_every_shape_stays_inside_the_view_box(rows, series_count):
    labels = [label for label, _value in rows]
    series = [Series(f"s{i}", [value // (i + 1) for _label, value in rows]) for i in range(series_count)]
    root = _parse(charts.bars("p", "t", labels, series, value_text=lambda v: f"¥{v:,}"))
    width, height = _view_box(root)
    assert width == WIDTH
    for rect in root.iter(f"{SVG}rect"):
        x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height
    for text in root.iter(f"{SVG}text"):
        assert 0 <= float(text.get("x")) < width and 0 < float(text.get("y")) <= height


@given(st.lists(st.integers(0, 10**6), min_size=0, max_size=60))
def test_columns_stay_inside_the_view_box(values):
    ticks = [(i, str(i)) for i in range(0, len(values), 6)]
    root = _parse(charts.columns("p", "t", [str(i) for i in range(len(values))], values, ticks=ticks))
    width, height = _view_box(root)
    for rect in root.iter(f"{SVG}rect"):
        x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
        assert x >= 0 and x + w <= width + 0.1 and y >= 0 and y + h <= height


def test_the_module_imports_neither_flask_nor_the_database():
    source = Path(charts.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^(from|import) (flask|sqlalchemy|grants)", source, re.M)
