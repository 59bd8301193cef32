"""Figures are built from plain arrays and labels, and the map is saved as standalone HTML."""

from __future__ import annotations

import json

import numpy as np
import pytest

from abstract_search.topics.plots import (
    MapItems,
    PlotError,
    save_figure,
    similarity_heatmap_figure,
    topic_map_chart,
    topic_map_figure,
    topic_sizes_figure,
)

COORDS = np.array([[0.0, 0.0], [1.0, 0.5], [2.0, 1.0], [3.0, 0.0]])
TOPICS = ["Fracture", "Fracture", "NMR spectra", "outlier"]
TITLES = ["Crack growth in glass", "Indentation", "Boron NMR", "Odd one"]
SPEAKERS = ["A. Author", "B. Author", "C. Author", ""]
SEARCHED = {"hits": [2, 0], "query_points": np.array([[1.5, 0.5]]), "query_labels": ["boron"]}


def test_map_has_one_trace_per_topic_and_hover_with_title_and_speaker():
    figure = topic_map_figure(MapItems(COORDS, TOPICS, TITLES, SPEAKERS))
    assert [t.name for t in figure.data] == ["Fracture", "NMR spectra", "outlier"]
    hover = " ".join(figure.data[0].text)
    assert "Crack growth in glass" in hover and "A. Author" in hover


def test_map_highlights_hits_and_queries():
    figure = topic_map_figure(MapItems(COORDS, TOPICS, TITLES, SPEAKERS, **SEARCHED))
    names = [t.name for t in figure.data]
    assert names[-2:] == ["hits", "query"]
    assert list(figure.data[-2].x) == [2.0, 0.0]
    assert "boron" in figure.data[-1].text[0]


def test_map_chart_has_a_series_per_topic_and_finds_the_item_a_click_names():
    chart = topic_map_chart(MapItems(COORDS, TOPICS, TITLES, SPEAKERS, item_ids=["T1", "T2", "P1", "P2"]))
    series = chart.option["series"]
    assert [s["name"] for s in series] == ["Fracture", "NMR spectra", "outlier"]
    assert series[0]["data"][1] == [1.0, 0.5, "Indentation", "B. Author", "T2", "Fracture"]
    assert series[2]["itemStyle"]["color"] == "lightgrey"
    assert chart.series_rows == [[0, 1], [2], [3]]
    assert chart.row_of(1, 0) == 2 and chart.row_of(0, 1) == 1
    assert chart.row_of(0, 2) is None and chart.row_of(5, 0) is None and chart.row_of(-1, 0) is None
    json.dumps(chart.option)  # Streamlit sends it as JSON


def test_map_chart_rings_hits_in_rank_order_and_stars_the_query():
    chart = topic_map_chart(MapItems(COORDS, TOPICS, TITLES, SPEAKERS, **SEARCHED))
    hits, query = chart.option["series"][-2:]
    assert (hits["name"], query["name"]) == ("hits", "query")
    assert [(d[0], d[2], d[-1]) for d in hits["data"]] == [(2.0, "Boron NMR", "1"), (0.0, "Crack growth in glass", "2")]
    assert query["data"] == [[1.5, 0.5, "boron"]] and query["symbol"].startswith("path://")
    assert chart.row_of(3, 0) == 2 and chart.row_of(4, 0) is None  # a hit is its item; the star is none


def test_sizes_and_heatmap():
    sizes = topic_sizes_figure(["a", "b", "c"], [2, 5, 1])
    assert list(sizes.data[0].y) == ["c", "a", "b"]  # largest drawn on top
    heat = similarity_heatmap_figure(np.eye(3), ["x", "y", "z"])
    assert np.asarray(heat.data[0].z).shape == (3, 3)
    with pytest.raises(ValueError):
        similarity_heatmap_figure(np.eye(2), ["x", "y", "z"])


def test_save_html_is_standalone(tmp_path):
    path = save_figure(topic_map_figure(MapItems(COORDS, TOPICS, TITLES, SPEAKERS)), tmp_path / "out" / "map.html")
    html = path.read_text()
    assert "<html>" in html and "plotly" in html.lower() and 'src="https://cdn.plot.ly' not in html
    with pytest.raises(PlotError):
        save_figure(topic_map_figure(MapItems(COORDS, TOPICS, TITLES, SPEAKERS)), tmp_path / "map.gif")


@pytest.mark.slow
def test_save_png_when_kaleido_and_a_chrome_are_available(tmp_path):
    import shutil

    pytest.importorskip("kaleido")
    if not shutil.which("chromium") and not shutil.which("google-chrome"):
        pytest.skip("no Chrome or Chromium on this machine (apt-get install chromium; .ci/run does)")
    path = save_figure(topic_map_figure(MapItems(COORDS, TOPICS, TITLES, SPEAKERS)), tmp_path / "map.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_map_of_more_than_ten_topics_has_a_distinct_colour_for_each():
    names = [f"topic {i}" for i in range(12)]
    coords = np.arange(24, dtype=float).reshape(12, 2)
    figure = topic_map_figure(MapItems(coords, names, names))
    colours = list(figure.layout.colorway)
    assert len(set(colours[:12])) == 12  # plotly's default cycle has ten: topics 0 and 10 would match
