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


@dataclass
class MapItems:
    """What a map shows, for either drawing of it.

    Attributes:
        coordinates: (n, 2) positions from layout.py.
        topic_names: per item, the name of its topic (legend entries; OUTLIER_NAME is grey).
        titles, speakers, item_ids: per item, shown on hover (speakers and ids may be left out).
        hits: rows of items to ring and number, best first (for example a query's search hits).
        query_points: (m, 2) positions of queries placed on the map, drawn as stars.
        query_labels: the text of each query, shown on hover.
    """

    coordinates: np.ndarray
    topic_names: Sequence[str]
    titles: Sequence[str]
    speakers: Sequence[str] = ()
    item_ids: Sequence[str] = ()
    hits: Sequence[int] = ()
    query_points: np.ndarray | None = None
    query_labels: Sequence[str] = ()

    def __post_init__(self):
        self.coordinates = np.asarray(self.coordinates, dtype=float)
        n_items = len(self.coordinates)
        self.speakers = list(self.speakers) or [""] * n_items
        self.item_ids = list(self.item_ids) or [""] * n_items
        self.hits = list(self.hits)
        if self.query_points is not None:
            self.query_points = np.asarray(self.query_points, dtype=float).reshape(-1, 2)
            self.query_labels = list(self.query_labels) or ["query"] * len(self.query_points)

    def topics(self) -> list[tuple[str, list[int]]]:
        """Each topic name with its rows, in first-seen order (stable legend and colours)."""
        rows: dict[str, list[int]] = {}
        for row, name in enumerate(self.topic_names):
            rows.setdefault(name, []).append(row)
        return list(rows.items())


def topic_map_figure(items: MapItems, title: str = "Topic map"):
    """The map as a plotly figure (for files): one dot per item, coloured by topic, hover shows
    title and speaker; hits ringed and numbered, queries as stars."""
    import plotly.graph_objects as go

    coordinates = items.coordinates
    hover = [
        f"<b>{_wrap(t)}</b>" + (f"<br>{s}" if s else "") + (f"<br>{i}" if i else "") + f"<br><i>{n}</i>"
        for t, s, i, n in zip(items.titles, items.speakers, items.item_ids, items.topic_names, strict=True)
    ]
    figure = go.Figure()
    topics = items.topics()
    for name, index in topics:
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
    _add_hits_and_queries(figure, items, hover)
    figure.update_layout(
        title=title,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        legend={"title": "topic", "itemsizing": "constant"},
        template="plotly_white",
        colorway=topic_colours(len(topics)),
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure


def _add_hits_and_queries(figure, items: MapItems, hover: list[str]) -> None:
    """Rings a search's hits (numbered by rank) and draws the placed queries as stars."""
    import plotly.graph_objects as go

    if items.hits:
        figure.add_trace(
            go.Scatter(
                x=items.coordinates[items.hits, 0],
                y=items.coordinates[items.hits, 1],
                mode="markers+text",
                name="hits",
                text=[str(rank + 1) for rank in range(len(items.hits))],
                textposition="top center",
                hovertext=[hover[i] for i in items.hits],
                hoverinfo="text",
                marker={"size": 16, "symbol": "circle-open", "line": {"width": 3}, "color": "black"},
            )
        )
    if items.query_points is not None and len(items.query_points):
        figure.add_trace(
            go.Scatter(
                x=items.query_points[:, 0],
                y=items.query_points[:, 1],
                mode="markers",
                name="query",
                text=[f"<b>query</b><br>{_wrap(q)}" for q in items.query_labels],
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


def topic_map_chart(items: MapItems) -> MapChart:
    """The map of `topic_map_figure` for the app: a series per topic in the same colours, the hits
    ringed and numbered, the query a star; hover shows title, speakers, id and topic; a click
    selects one item; the wheel zooms. No animation: the map is there at once."""

    def point(row: int, *extra) -> list:
        x, y = items.coordinates[row]
        return [
            round(float(x), 4),
            round(float(y), 4),
            items.titles[row],
            items.speakers[row],
            items.item_ids[row],
            items.topic_names[row],
            *extra,
        ]

    topics = items.topics()
    colours = topic_colours(len(topics))
    hover = {"formatter": "<b>{@[2]}</b><br/>{@[3]}<br/>{@[4]}<br/><i>{@[5]}</i>"}
    series, series_rows = [], []
    for number, (name, rows) in enumerate(topics):
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
    if items.hits:
        series.append(
            {
                "type": "scatter",
                "name": "hits",
                "data": [point(row, str(rank + 1)) for rank, row in enumerate(items.hits)],
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
        series_rows.append(list(items.hits))
    if items.query_points is not None and len(items.query_points):
        series.append(
            {
                "type": "scatter",
                "name": "query",
                "data": [
                    [round(float(x), 4), round(float(y), 4), q]
                    for (x, y), q in zip(items.query_points, items.query_labels, strict=True)
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
