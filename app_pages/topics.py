"""The Topic map and Topics pages: the corpus's topics drawn as a map and listed by group."""

from __future__ import annotations

import json
import zlib

import streamlit as st

from abstract_search import service
from app_pages.common import get_topics, md, param, set_params
from app_pages.steer import steer_panel

MAP_HEIGHT = 640
MAP_FRAME = {"xAxis": {"show": False}, "yAxis": {"show": False}, "series": []}  # the map's place, while it is computed
MAX_LISTED = 50  # members shown per topic; a 50,000-abstract corpus has topics of thousands


def topic_count_control() -> int | None:
    """Automatic topic count unless the user fixes one (kept in the URL as `topics`)."""
    current = param("topics", "")
    fixed = st.sidebar.number_input(
        "Number of topics (0 = automatic)",
        min_value=0,
        max_value=50,
        value=int(current) if current.isdigit() else 0,
        key="n_topics",
    )
    set_params(topics=str(fixed) if fixed else None)
    return int(fixed) or None


def page_map(open_engine) -> None:
    """The map page. Everything that needs no index is drawn first, with an empty chart in the
    map's place: the browser loads the chart library while the index opens (the first visit)."""
    st.title("Topic map")
    n_topics = topic_count_control()
    query = st.text_input("Show a search on the map", value=param("q"), key="map_query").strip()
    set_params(q=query)
    st.caption(
        "Each dot is a talk or poster; nearby dots have similar abstracts. Colours are topics. "
        "Click a dot to read it below (a double click clears); the wheel zooms. "
        + ("The search's hits are ringed and the query is the star." if query else "")
    )
    slot = st.empty()
    slot.echarts_chart(MAP_FRAME, height=MAP_HEIGHT, key="topic_map_frame")
    try:
        engine = open_engine()
        topics = get_topics(engine.corpus, n_topics)
        chart = service.map_chart(engine, n_topics, query, topics=topics)
    except service.UserError as err:
        slot.error(str(err))
        return
    # A click names a series and a position in it; on a map whose series hold other talks (another
    # corpus, topic count, edit or query) those would point at another talk, so such a map has its
    # own key and starts with nothing selected.
    drawn = zlib.crc32(json.dumps([engine.corpus, chart.series_rows]).encode())
    clicked = slot.echarts_chart(
        chart.option, height=MAP_HEIGHT, key=f"map_{drawn}", on_select="rerun", alt=f"Topic map of {engine.corpus}"
    )
    for row in clicked_rows(chart, clicked):
        record = engine.records[row]
        with st.container(border=True, key=f"clicked_{row}"):
            st.markdown(f"**{md(record.id)}** {md(record.title)} — {md(', '.join(record.speakers))}")
            st.caption(md(shorten(record.abstract)))
    labels = [f"{t.label} ({t.size})" for t in topics.topics]
    chosen = st.selectbox("List the talks of a topic", labels, key="map_topic")
    topic = topics.topics[labels.index(chosen)]
    for member in topic.members[:MAX_LISTED]:
        record = service.record(engine, member)
        st.markdown(f"- **{md(record.id)}** {md(record.title)} — {md(', '.join(record.speakers))}")
    if topic.size > MAX_LISTED:
        st.caption(f"… and {topic.size - MAX_LISTED} more.")


def clicked_rows(chart, clicked) -> list[int]:
    """The rows of the items clicked on the map (one per topic at most: a topic's series selects one
    dot); a position no series of `chart` holds is left out."""
    rows = []
    for group in (clicked or {}).get("selection", {}).get("selected", []):
        for position in group.get("data_indices", []):
            row = chart.row_of(group.get("series_index", -1), position)
            if row is not None and row not in rows:
                rows.append(row)
    return rows


def shorten(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def page_topics(engine) -> None:
    st.title("Topics")
    n_topics = topic_count_control()
    topics = get_topics(engine.corpus, n_topics)
    st.caption(f"{len(topics.topics)} topics; {md(topics.chosen_by)}.")
    steer_panel(engine, topics)
    confidence = dict(zip(topics.record_ids, topics.confidence, strict=True))
    for group in topics.groups:
        st.subheader(md(group.label))
        for topic_id in group.topic_ids:
            topic = next(t for t in topics.topics if t.id == topic_id)
            with st.container(border=True):
                seeded = " · :blue-badge[seed]" if topic.seed else ""
                st.markdown(f"**{md(topic.label)}** · {topic.size} items{seeded}")
                st.markdown(" ".join(f":violet-badge[{md(k)}]" for k in topic.keywords))
                for member in topic.members[:MAX_LISTED]:
                    record = service.record(engine, member)
                    star = " ★" if member in topic.representative_ids else ""
                    st.markdown(
                        f"- {md(record.id)}{star} {md(record.title)} — {md(', '.join(record.speakers))} "
                        f":gray[· confidence {confidence[member]:.2f}]"
                    )
                if topic.size > MAX_LISTED:
                    st.caption(f"… and {topic.size - MAX_LISTED} more.")
    if topics.outliers:
        st.subheader("Outliers")
        for outlier in topics.outliers:
            record = service.record(engine, outlier.id)
            st.markdown(f"- {md(record.id)} {md(record.title)} — _{md(outlier.reason)}_")
    st.caption(
        "★ most representative items of a topic. Confidence: 0 on the border between two topics, "
        "near 1 close to one topic only."
    )
    over_time(engine, topics)


def over_time(engine, topics) -> None:
    """Each topic's share of each year (or day) when the corpus has dates; a note when it has none."""
    from abstract_search.topics.over_time import shares_table_rows, topic_shares_over_time
    from abstract_search.topics.plots import topic_shares_figure

    st.subheader("Topics over time")
    try:
        shares = topic_shares_over_time(engine.records, topics)
    except service.UserError as err:
        st.info(str(err))
        return
    st.plotly_chart(topic_shares_figure(shares), key="topics_over_time")
    with st.expander("The shares as a table"):
        st.dataframe(shares_table_rows(shares), hide_index=True)
    if shares.undated:
        st.caption(f"{shares.undated} items without a date are left out.")
