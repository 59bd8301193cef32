"""Drawing, apart from computing: functions take arrays and labels and return plotly figures
(for files), or for the app's map an ECharts option, which Streamlit draws about a second sooner
on a first visit (benchmarks/app_render.py times both on a page of one chart).

Nothing here computes topics or layouts; callers pass what topics.py and layout.py produced.
`save_figure` writes a standalone HTML file (plotly.js inlined, works offline) or a PNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from abstract_search.records import UserError

if TYPE_CHECKING:
    from abstract_search.topics.over_time import TopicShares

OUTLIER_NAME = "outlier"


class PlotError(UserError):
    """A figure cannot be written in the requested format; the message says what to install."""


def _wrap(text: str, width: int = 60) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def topic_colours(n_topics: int) -> list[str]:
    """Distinct colours for n topics: plotly's default ten, then its 24-colour set, so that no two
    topics on a map of up to 24 share a colour."""
    from plotly.colors import qualitative

    return list(qualitative.Plotly if n_topics <= 10 else qualitative.Dark24)


def topic_map_figure(
    coordinates: np.ndarray,
    topic_names: Sequence[str],
    titles: Sequence[str],
    speakers: Sequence[str] = (),
    *,
    item_ids: Sequence[str] = (),
    hits: Sequence[int] = (),
    query_points: np.ndarray | None = None,
    query_labels: Sequence[str] = (),
    title: str = "Topic map",
):
    """The map: one dot per item, coloured by topic, hover shows title and speaker.

    Args:
        coordinates: (n, 2) positions from layout.py.
        topic_names: per item, the name of its topic (legend entries).
        titles, speakers, item_ids: per item, shown on hover.
        hits: indices of items to highlight (for example a query's search hits).
        query_points: (m, 2) positions of queries placed on the map, drawn as stars.
        query_labels: the text of each query, shown on hover.
    """
    import plotly.graph_objects as go

    coordinates = np.asarray(coordinates, dtype=float)
    n_items = len(coordinates)
    speakers = list(speakers) or [""] * n_items
    item_ids = list(item_ids) or [""] * n_items
    hover = [
        f"<b>{_wrap(t)}</b>" + (f"<br>{s}" if s else "") + (f"<br>{i}" if i else "") + f"<br><i>{n}</i>"
        for t, s, i, n in zip(titles, speakers, item_ids, topic_names, strict=True)
    ]
    figure = go.Figure()
    names = list(dict.fromkeys(topic_names))  # first-seen order, stable
    for name in names:
        index = [i for i, n in enumerate(topic_names) if n == name]
        figure.add_trace(
            go.Scatter(
                x=coordinates[index, 0],
                y=coordinates[index, 1],
                mode="markers",
                name=name,
                text=[hover[i] for i in index],
                hoverinfo="text",
                marker={"size": 10, "opacity": 0.85, "color": "lightgrey" if name == OUTLIER_NAME else None},
            )
        )
    _add_hits_and_queries(figure, coordinates, hover, hits, query_points, query_labels)
    figure.update_layout(
        title=title,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        legend={"title": "topic", "itemsizing": "constant"},
        template="plotly_white",
        colorway=topic_colours(len(names)),
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure


def _add_hits_and_queries(figure, coordinates, hover, hits, query_points, query_labels) -> None:
    """Rings a search's hits (numbered by rank) and draws the placed queries as stars."""
    import plotly.graph_objects as go

    if len(hits):
        hits = list(hits)
        figure.add_trace(
            go.Scatter(
                x=coordinates[hits, 0],
                y=coordinates[hits, 1],
                mode="markers+text",
                name="hits",
                text=[str(rank + 1) for rank in range(len(hits))],
                textposition="top center",
                hovertext=[hover[i] for i in hits],
                hoverinfo="text",
                marker={"size": 16, "symbol": "circle-open", "line": {"width": 3}, "color": "black"},
            )
        )
    if query_points is not None and len(query_points):
        query_points = np.asarray(query_points, dtype=float)
        labels = list(query_labels) or ["query"] * len(query_points)
        figure.add_trace(
            go.Scatter(
                x=query_points[:, 0],
                y=query_points[:, 1],
                mode="markers",
                name="query",
                text=[f"<b>query</b><br>{_wrap(q)}" for q in labels],
                hoverinfo="text",
                marker={"size": 20, "symbol": "star", "color": "crimson", "line": {"width": 1}},
            )
        )


# ECharts has no star among its symbols: a five-pointed one as an SVG path.
STAR = "path://M50,0 L61,35 L98,35 L68,57 L79,91 L50,70 L21,91 L32,57 L2,35 L39,35 Z"


@dataclass(frozen=True)
class MapChart:
    """The map as an ECharts option, and which items each of its series draws: a click on the map
    reports a series and a position in it, `series_rows` turns that into the item's row."""

    option: dict
    series_rows: list[list[int]]

    def row_of(self, series_index: int, position: int) -> int | None:
        rows = self.series_rows[series_index] if 0 <= series_index < len(self.series_rows) else []
        return rows[position] if 0 <= position < len(rows) else None


def topic_map_chart(
    coordinates: np.ndarray,
    topic_names: Sequence[str],
    titles: Sequence[str],
    speakers: Sequence[str] = (),
    *,
    item_ids: Sequence[str] = (),
    hits: Sequence[int] = (),
    query_points: np.ndarray | None = None,
    query_labels: Sequence[str] = (),
) -> MapChart:
    """The map of `topic_map_figure` (same arguments) for the app: a series per topic in the same
    colours, the hits ringed and numbered, the query a star; hover shows title, speakers, id and
    topic; a click selects one item; the wheel zooms. No animation: the map is there at once."""
    coordinates = np.asarray(coordinates, dtype=float)
    n_items = len(coordinates)
    speakers = list(speakers) or [""] * n_items
    item_ids = list(item_ids) or [""] * n_items

    def point(row: int, *extra) -> list:
        x, y = coordinates[row]
        return [
            round(float(x), 4),
            round(float(y), 4),
            titles[row],
            speakers[row],
            item_ids[row],
            topic_names[row],
            *extra,
        ]

    names = list(dict.fromkeys(topic_names))
    colours = topic_colours(len(names))
    hover = {"formatter": "<b>{@[2]}</b><br/>{@[3]}<br/>{@[4]}<br/><i>{@[5]}</i>"}
    series, series_rows = [], []
    for number, name in enumerate(names):
        rows = [i for i, n in enumerate(topic_names) if n == name]
        colour = "lightgrey" if name == OUTLIER_NAME else colours[number % len(colours)]
        series.append(
            {
                "type": "scatter",
                "name": name,
                "data": [point(row) for row in rows],
                "symbolSize": 10,
                "itemStyle": {"color": colour, "opacity": 0.85},
                "selectedMode": "single",
                "select": {"itemStyle": {"borderColor": "black", "borderWidth": 2}},
                "tooltip": hover,
            }
        )
        series_rows.append(rows)
    if len(hits):
        series.append(
            {
                "type": "scatter",
                "name": "hits",
                "data": [point(row, str(rank + 1)) for rank, row in enumerate(hits)],
                "symbolSize": 18,
                # Black with a white halo: seen on a light page and on a dark one.
                "itemStyle": {
                    "color": "rgba(0,0,0,0)",
                    "borderColor": "black",
                    "borderWidth": 2.5,
                    "shadowColor": "white",
                    "shadowBlur": 3,
                },
                "label": {
                    "show": True,
                    "position": "top",
                    "formatter": "{@[6]}",
                    "color": "black",
                    "textBorderColor": "white",
                    "textBorderWidth": 3,
                },
                "selectedMode": "single",
                "tooltip": hover,
                "z": 3,
            }
        )
        series_rows.append(list(hits))
    if query_points is not None and len(query_points):
        labels = list(query_labels) or ["query"] * len(query_points)
        series.append(
            {
                "type": "scatter",
                "name": "query",
                "data": [
                    [round(float(x), 4), round(float(y), 4), q] for (x, y), q in zip(query_points, labels, strict=True)
                ],
                "symbol": STAR,
                "symbolSize": 22,
                "itemStyle": {"color": "crimson"},
                "tooltip": {"formatter": "<b>query</b><br/>{@[2]}"},
                "z": 4,
            }
        )
        series_rows.append([])
    axis = {"type": "value", "show": False, "scale": True}
    option = {
        "animation": False,
        "grid": {"left": 10, "right": 260, "top": 10, "bottom": 10},
        "xAxis": axis,
        "yAxis": dict(axis),
        "legend": {"type": "scroll", "orient": "vertical", "right": 0, "top": "middle", "width": 250},
        "tooltip": {"trigger": "item", "extraCssText": "max-width: 420px; white-space: normal;"},
        "dataZoom": [{"type": "inside", "xAxisIndex": 0}, {"type": "inside", "yAxisIndex": 0}],
        "series": series,
    }
    return MapChart(option=option, series_rows=series_rows)


def topic_sizes_figure(labels: Sequence[str], sizes: Sequence[int], title: str = "Topic sizes"):
    """A horizontal bar chart of how many items each topic holds, largest on top."""
    import plotly.graph_objects as go

    order = np.argsort(-np.asarray(sizes), kind="stable")[::-1]
    figure = go.Figure(go.Bar(x=[sizes[i] for i in order], y=[labels[i] for i in order], orientation="h"))
    figure.update_layout(title=title, xaxis_title="items", template="plotly_white", height=max(300, 28 * len(labels)))
    return figure


def similarity_heatmap_figure(similarity: np.ndarray, names: Sequence[str], title: str = "Similarity of talks"):
    """A heatmap of pairwise cosine similarities (for example of talks ordered by topic)."""
    import plotly.graph_objects as go

    similarity = np.asarray(similarity, dtype=float)
    if similarity.shape != (len(names), len(names)):
        raise ValueError(f"similarity is {similarity.shape} but there are {len(names)} names")
    figure = go.Figure(
        go.Heatmap(z=similarity, x=list(names), y=list(names), colorscale="Viridis", zmin=-0.1, zmax=1.0)
    )
    figure.update_layout(title=title, template="plotly_white", yaxis={"autorange": "reversed"})
    return figure


def save_figure(figure, path: str | Path) -> Path:
    """Writes a figure as standalone HTML (.html) or a static image (.png, needs kaleido + Chrome)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        figure.write_html(str(path), include_plotlyjs=True, full_html=True)
        return path
    if suffix == ".png":
        try:
            figure.write_image(str(path), width=1200, height=900)
        except Exception as err:  # noqa: BLE001 - kaleido missing, or kaleido without a Chrome
            raise PlotError(
                f"cannot write {path}: static images need kaleido and a Chrome/Chromium ({err}). "
                "Write an .html map instead, or install kaleido and run `kaleido_get_chrome`."
            ) from err
        return path
    raise PlotError(f"{path}: unknown figure format {suffix!r}; use .html or .png")


def topic_shares_figure(shares: TopicShares, title: str = "Topics over time"):
    """Each topic's share of each period, stacked to 100%: areas over time, bars for 3 periods or fewer.

    Bars for few periods because an area between two or three points reads as a trend it is not.
    Hover shows the share and the count behind it ("12% (41 of 337)").
    """
    import plotly.graph_objects as go

    as_bars = len(shares.periods) <= 3
    periods = list(shares.periods)
    figure = go.Figure()
    for column, label in enumerate(shares.labels):
        colour = "lightgrey" if shares.topic_ids[column] == -1 else None
        custom = np.stack([shares.counts[:, column], shares.totals], axis=1)
        hover = f"<b>{label}</b><br>%{{x}}: %{{y:.1%}} (%{{customdata[0]}} of %{{customdata[1]}})<extra></extra>"
        common = {"x": periods, "y": shares.shares[:, column], "name": label, "customdata": custom}
        if as_bars:
            figure.add_trace(go.Bar(**common, hovertemplate=hover, marker={"color": colour}))
        else:
            figure.add_trace(
                go.Scatter(
                    **common,
                    mode="lines",
                    stackgroup="shares",
                    hovertemplate=hover,
                    line={"width": 0.5, "color": colour},
                )
            )
    figure.update_layout(
        title=title,
        barmode="stack",
        xaxis={"title": "year" if shares.period == "year" else "day", "type": "category"},
        yaxis={"title": "share of the period's items", "tickformat": ".0%", "range": [0, 1]},
        legend={"title": "topic", "traceorder": "normal"},
        template="plotly_white",
        colorway=topic_colours(len(shares.labels)),
        hovermode="closest",
    )
    return figure
