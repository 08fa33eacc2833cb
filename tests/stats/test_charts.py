"""The server-drawn charts: valid SVG, accessible, labelled, readable without colour."""

import xml.etree.ElementTree as ET

import pytest

from mejora.stats import charts
from mejora.stats.charts import (
    bar_chart,
    line_chart,
    percent,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]


def _fills(svg: str) -> list[str]:
    """The fills of the drawn marks (bars, legend swatches), the white background left out."""
    root = ET.fromstring(svg)
    return [
        e.get("fill")
        for e in root.iter(f"{SVG}path")
        if e.get("fill") not in (None, "none", "#ffffff")
    ]


@pytest.fixture
def stacked():
    return stacked_bar_chart(
        "ASM por dependencia",
        ["Secretaría de Desarrollo Social", "Secretaría de Salud"],
        {"Concluidos": [188, 120], "Pendientes": [50, 70]},
        category_label="Dependencia",
    )


def test_the_svg_parses_and_is_an_accessible_image(stacked):
    root = ET.fromstring(stacked.svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title.text == "ASM por dependencia"
    assert "Secretaría de Desarrollo Social: Concluidos 188, Pendientes 50, Total 238" in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_every_value_is_written_on_the_chart_as_text(stacked):
    texts = _texts(stacked.svg)
    for label in ("188", "50", "238", "120", "70", "190", "Concluidos", "Pendientes"):
        assert label in texts
    assert any("Secretaría de Desarrollo" in t for t in texts)


def test_stacked_series_differ_by_pattern_not_only_by_colour(stacked):
    root = ET.fromstring(stacked.svg)
    patterns = root.findall(f".//{SVG}pattern")
    assert patterns, "the second series is hatched"
    fills = _fills(stacked.svg)
    hatched = [f for f in fills if f.startswith("url(#")]
    solid = [f for f in fills if not f.startswith("url(#")]
    # Each series' bars and its legend swatch: one series solid, the other by pattern.
    assert len(hatched) == 3 and len(solid) >= 3


def test_the_data_table_holds_the_figures_and_totals(stacked):
    assert stacked.table.columns == ("Dependencia", "Concluidos", "Pendientes", "Total")
    assert stacked.table.rows[0] == ("Secretaría de Desarrollo Social", 188, 50, 238)
    assert stacked.table.display_rows[1] == ("Secretaría de Salud", "120", "70", "190")


def test_percentages_are_labelled_as_percentages():
    chart = bar_chart(
        "Cumplimiento", ["Específicos", "Institucionales"], [79.0, 73.42],
        value_label="%", fmt=percent, maximum=100,
    )  # fmt: skip
    assert {"79%", "73.4%"} <= set(_texts(chart.svg))
    assert chart.table.display_rows == [("Específicos", "79%"), ("Institucionales", "73.4%")]


def test_lines_differ_by_marker_and_dash_and_label_each_point():
    chart = line_chart(
        "Tendencia", ["2018", "2019", "2020"], {"Concluidos": [1, 5, 9], "Vencidos": [3, 2, 0]}
    )
    root = ET.fromstring(chart.svg)
    texts = _texts(chart.svg)
    for label in ("1", "5", "9", "3", "2", "0", "2018", "2020", "Vencidos"):
        assert label in texts
    dashed = [p for p in root.iter(f"{SVG}path") if p.get("stroke-dasharray")]
    assert dashed, "the second series is dashed"
    markers = {d.get("id") for d in root.iter() if d.tag == f"{SVG}path" and d.get("id")}
    assert len(markers) >= 2, "each series has its own marker shape"


def test_two_charts_on_one_page_share_no_element_id(stacked):
    other = bar_chart("Otra", ["A"], [1], value_label="ASM")
    ids = lambda svg: {e.get("id") for e in ET.fromstring(svg).iter() if e.get("id")}  # noqa: E731
    assert not ids(stacked.svg) & ids(other.svg)


def test_no_inline_style_that_the_content_security_policy_would_refuse(stacked):
    assert "style=" not in stacked.svg
    assert "<style" not in stacked.svg


def test_text_is_escaped_and_output_is_the_same_run_to_run():
    chart = bar_chart("A & <b>", ["x < y"], [3], value_label="ASM")
    ET.fromstring(chart.svg)
    assert "<b>" not in chart.svg
    charts._DRAWN.clear()  # drawn again by matplotlib, not handed back from memory
    assert chart.svg == bar_chart("A & <b>", ["x < y"], [3], value_label="ASM").svg


def test_the_same_figures_are_drawn_once_and_other_figures_or_words_again(drawn):
    first = bar_chart("Uno", ["A", "B"], [1, 2], value_label="ASM")
    assert bar_chart("Uno", ["A", "B"], [1, 2], value_label="ASM") is first
    assert bar_chart("Uno", ["A", "B"], [1, 3], value_label="ASM") is not first
    assert bar_chart("Uno", ["A", "B"], [1, 2], value_label="ASM con prioridad") is not first
    assert len(drawn) == 3


def test_a_segment_too_narrow_for_its_label_is_left_to_the_total_and_the_table():
    chart = stacked_bar_chart("X", ["a", "b"], {"s": [200, 1], "t": [100, 2]})
    texts = _texts(chart.svg)
    assert "3" in texts and "1" not in texts and "2" not in texts
    assert chart.table.rows[1] == ("b", 1, 2, 3)


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError):
        stacked_bar_chart("X", ["a", "b"], {"s": [1]})
