"""The Search page: a query box, filters in the sidebar (kept in the URL), and a card a hit."""

from __future__ import annotations

import streamlit as st

from abstract_search import service
from app_pages.common import get_hits, get_related, marked, md, nice_date, param, prepare_queries, set_params

EXAMPLES = (
    "boroxol rings",
    "how does the quench rate change the glass?",
    "machine learning potentials for amorphous materials",
    "glass-ceramics crystallization",
    "solid-state NMR",
    "Deringer",
    "talks from Alfred University",
)


def sidebar_filters(engine) -> dict:
    """Filters in the sidebar; their values live in the URL so a search can be shared. A field
    with fewer than two values in the corpus (no days, one kind) has nothing to filter."""
    options = service.filter_options(engine.records)
    st.sidebar.subheader("Filters")
    chosen = {}
    for name, label in (("kind", "Kind"), ("date", "Day"), ("session", "Session"), ("tag", "Method tag")):
        if len(options[name]) < 2 and not param(name):
            continue
        values = ["any", *options[name]]
        current = param(name, "any")
        index = values.index(current) if current in values else 0
        chosen[name] = st.sidebar.selectbox(label, values, index=index, key=f"filter_{name}")
    for name, label in (("speaker", "Speaker"), ("affiliation", "Affiliation")):
        chosen[name] = st.sidebar.text_input(label, value=param(name), key=f"filter_{name}").strip()
    set_params(**chosen)
    filters = {k: v for k, v in chosen.items() if v not in ("", "any")}
    extra = facet_filters(engine)
    return {**filters, "extra": extra} if extra else filters


def facet_filters(engine) -> tuple[tuple[str, str], ...]:
    """A filter per extra table column with few values (a track, a decision); URL `where.COLUMN`."""
    chosen = []
    for column, options in service.facet_options(engine.records).items():
        values = ["any", *options]
        current = param(f"where.{column}", "any")
        value = st.sidebar.selectbox(
            column, values, index=values.index(current) if current in values else 0, key=f"filter_extra_{column}"
        )
        set_params(**{f"where.{column}": value})
        if value != "any":
            chosen.append((column, value))
    return tuple(chosen)


def extra_line(record) -> str:
    """The record's extra columns as 'column: value · ...' (long values cut)."""
    return " · ".join(f"{md(c)}: {md(v if len(v) <= 120 else v[:119] + '…')}" for c, v in record.extra)


def hit_card(engine, hit, rank: int) -> None:
    record = service.record(engine, hit.id)
    with st.container(border=True):
        st.markdown(f"##### {rank}\\. {md(hit.title)}")
        who = ", ".join(hit.speakers) or "—"
        where = "; ".join(hit.affiliations)
        when = " ".join(
            x for x in (nice_date(record.date), f"{record.start}–{record.end}" if record.start else "") if x
        )
        st.markdown(f"**{md(who)}**" + (f" · {md(where)}" if where else "") + (f" · {md(when)}" if when else ""))
        chips = [f":blue-badge[{md(record.kind)}]"] + [f":green-badge[{md(t)}]" for t in record.tags]
        if record.session:
            chips.append(f":gray-badge[{md(record.session)}]")
        st.markdown(" ".join(chips))
        if record.extra:
            st.caption(extra_line(record))
        if hit.snippet:
            st.markdown(marked(hit.snippet, hit.highlights))
        elif not record.abstract:
            st.caption("No abstract (title only).")
        left, right = st.columns(2)
        with left.expander("Why this result"):
            st.markdown(
                f"fused score **{hit.scores.fused:.3f}** · BM25 {hit.scores.lexical:.2f} · "
                f"cosine {hit.scores.dense:.3f}"
                + (f" · matched: {md(', '.join(hit.matched_terms))}" if hit.matched_terms else "")
            )
        with right.expander("Related talks"):
            for related in get_related(engine.corpus, hit.id):
                reason = ", ".join(related.matched_terms[:4])
                st.markdown(
                    f"- {md(related.title)} — {md(', '.join(related.speakers))}"
                    + (f"  \n  _shared: {md(reason)}_" if reason else "")
                )
        if record.abstract:
            with st.expander("Full abstract"):
                st.markdown(md(record.abstract))


def page_search(engine) -> None:
    st.title("Search the abstracts")
    filters = sidebar_filters(engine)
    query = st.text_input(
        "Ask a question or type terms, names, affiliations",
        value=param("q"),
        placeholder="e.g. how does the quench rate change the glass?",
        key="query",
    )
    set_params(q=query.strip())
    if not query.strip():
        prepare_queries(engine.corpus)  # while the person types
        st.caption("Try one of these:")
        columns = st.columns(4)
        for i, example in enumerate(EXAMPLES):
            if columns[i % 4].button(example, key=f"example_{i}"):
                set_params(q=example)
                st.session_state["query"] = example
                st.rerun()
        st.caption(f"{len(engine.records)} items in **{md(engine.corpus)}**.")
        return
    top_k = st.slider("Results", 3, 30, int(param("k", "10") or 10), key="top_k")
    try:
        hits = get_hits(engine.corpus, query, top_k, tuple(sorted(filters.items())))
    except service.UserError as err:
        st.error(str(err))
        return
    st.session_state["last_hits"] = [h.id for h in hits]
    if not hits:
        st.info("No results. Loosen the filters or try other words.")
    for rank, hit in enumerate(hits, start=1):
        hit_card(engine, hit, rank)
