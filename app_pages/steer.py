"""Steering the topics on the Topics page: seed topics, rename, merge and move, saved with the corpus.

Every control saves through `service` (data/NAME.topics.json) and then clears the cached topics,
so every page shows the steered topics at once and the CLI reads the same file.
"""

from __future__ import annotations

import streamlit as st

from abstract_search import service
from app_pages.common import get_topics


def _saved(message: str) -> None:
    get_topics.clear()
    st.session_state["steer_message"] = message
    st.rerun()


def seed_box(corpus: str) -> None:
    """A text box of seed topics, one a line; applying saves them and recomputes the topics."""
    saved = service.topic_settings(corpus).seeds
    text = st.text_area(
        "Seed topics (one a line)",
        value="\n".join(saved),
        key="seed_text",
        help="Each seed becomes a topic of the items clearly about it; the rest are clustered as before.",
        placeholder="interatomic potentials\nglass-ceramics\nmachine learning",
    )
    seeds = [line for line in text.splitlines() if line.strip()]
    if st.button("Apply seeds", key="apply_seeds", disabled=tuple(s.strip() for s in seeds) == saved):
        service.set_topic_seeds(corpus, seeds)
        _saved(f"Saved {len(seeds)} seed topic(s)." if seeds else "Seeds removed.")


def edit_controls(engine, topics) -> None:
    """Rename a topic, merge two, move an item; each saved as an edit that survives a rebuild."""
    names = [f"{t.id}: {t.label} ({t.size})" for t in topics.topics]
    rename, merge, move = st.tabs(["Rename", "Merge", "Move an item"])
    with rename:
        chosen = st.selectbox("Topic", names, key="rename_topic")
        label = st.text_input("New name", key="rename_label")
        if st.button("Rename", key="rename_go", disabled=not label.strip()):
            topic = topics.topics[names.index(chosen)]
            service.rename_topic(engine.corpus, topic, label)
            _saved(f"Renamed {topic.label!r} to {label.strip()!r}.")
    with merge:
        if len(names) < 2:
            st.caption("There is only one topic.")
        else:
            first = st.selectbox("Merge this topic", names, key="merge_topic")
            second = st.selectbox("into this one", [n for n in names if n != first], key="merge_into")
            if st.button("Merge", key="merge_go"):
                topic, into = topics.topics[names.index(first)], topics.topics[names.index(second)]
                service.merge_topics(engine.corpus, topic, into)
                _saved(f"Merged {topic.label!r} into {into.label!r}.")
    with move:
        titles = {r.id: r.title for r in engine.records}
        items = [f"{i} · {titles[i][:80]}" for i in topics.record_ids]
        item = st.selectbox("Item", items, key="move_item")
        target = st.selectbox("into topic", names, key="move_into")
        if st.button("Move", key="move_go"):
            record_id, into = topics.record_ids[items.index(item)], topics.topics[names.index(target)]
            service.move_to_topic(engine.corpus, record_id, into)
            _saved(f"Moved {record_id} into {into.label!r}.")
    saved = len(service.topic_settings(engine.corpus).edits)
    if saved and st.button(f"Forget my {saved} edit(s)", key="forget_edits"):
        service.clear_topic_edits(engine.corpus)
        _saved("Edits forgotten; the topics are as computed.")


def steer_panel(engine, topics) -> None:
    """The panel above the topic list, with what the last action did and what no longer applies."""
    message = st.session_state.pop("steer_message", None)
    if message:
        st.success(message)
    for note in (*topics.unmatched_seeds, *topics.notes):
        st.warning(note)
    with st.expander("Steer the topics: seeds, rename, merge, move", expanded=bool(message)):
        seed_box(engine.corpus)
        st.divider()
        edit_controls(engine, topics)
