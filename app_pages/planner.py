"""The Session planner page: sessions of similar talks under the user's constraints, and exports."""

from __future__ import annotations

import re

import streamlit as st

from abstract_search import service
from app_pages.common import md, nice_date


def session_table(engine, plan, fits) -> None:
    for session in plan.sessions:
        place = session.place
        when = " ".join(x for x in (nice_date(place.date), f"{place.start}–{place.end}" if place.start else "") if x)
        with st.container(border=True):
            st.markdown(
                rf"**{session.index + 1}\. {md(session.title)}** · coherence {session.coherence:.3f}"
                + (f" · {md(when)}" if when else "")
            )
            for item_id in session.item_ids:
                record = service.record(engine, item_id)
                fit = fits.get(item_id)
                flag = ""
                if fit is not None and fit.best_alternative is not None and fit.gain > 0:
                    flag = f" :red-badge[odd one out: better in session {fit.best_alternative + 1}, +{fit.gain:.3f}]"
                st.markdown(f"- {md(item_id)} {md(record.title)} — {md(', '.join(record.speakers))}{flag}")


def page_planner(engine) -> None:

    st.title("Session planner")
    items, vectors = service.plan_items(engine)
    organizers = service.organizers_plan(items, vectors)
    default_sizes = ",".join(str(n) for n in organizers.frame.sizes) if organizers else ""
    st.caption(f"Groups the {len(items)} {md(items[0].kind)}s into sessions of similar talks.")
    left, mid, right = st.columns(3)
    sizes = left.text_input("Session sizes (comma-separated; empty: choose a count)", value=default_sizes, key="sizes")
    sessions = mid.number_input("…or number of sessions", min_value=0, max_value=len(items), value=0, key="n_sessions")
    parallel = right.number_input("Parallel tracks", min_value=1, max_value=8, value=1, key="parallel")
    pins = st.text_input("Pinned talks (e.g. T27=9, T01=1)", value="", key="pins")
    unavailable = st.text_input(
        "Unavailable speakers (e.g. Volker Deringer=1,2; slots numbered from 1, separated by ';')",
        value="",
        key="unavailable",
    )
    fields = ["", "tags", "date", "kind", "affiliations", *service.facet_options(items)]
    left, mid, right = st.columns(3)

    def field_name(field: str) -> str:
        return field or "(no field)"

    within = left.selectbox("Keep each session within one… (hard)", fields, format_func=field_name, key="within")
    prefer = mid.selectbox("Rather not mix… (soft)", fields, format_func=field_name, key="prefer_within")
    seed = right.number_input("Seed", min_value=0, value=0, key="seed")
    same_as_program = sizes.strip() == default_sizes and not sessions and parallel == 1
    request = service.PlanRequest(
        sizes=None if same_as_program else sizes.strip() or None,
        sessions=int(sessions) or None,
        parallel=int(parallel) if parallel > 1 else None,
        pins=tuple(p for p in re.split(r"[,\s]+", pins) if p),
        unavailable=tuple(u for u in unavailable.split(";") if u.strip()),
        within=within,
        prefer_within=prefer,
        seed=int(seed),
    )
    try:
        with st.spinner("Planning…"):
            plan = service.plan_corpus(engine, request).plan
    except service.UserError as err:
        st.error(str(err))
        return
    fits = {f.id: f for f in plan.fits}
    if organizers is not None:
        a, b = st.columns(2)
        a.metric("Proposed plan: mean coherence", f"{plan.coherence:.3f}")
        b.metric("Organizers' program", f"{organizers.coherence:.3f}")
        proposed_tab, organizers_tab = st.tabs(["Proposed", "Organizers' program"])
        with proposed_tab:
            session_table(engine, plan, fits)
        with organizers_tab:
            session_table(engine, organizers, {f.id: f for f in organizers.fits})
    else:
        st.metric("Mean coherence", f"{plan.coherence:.3f}")
        session_table(engine, plan, fits)
    downloads = [
        (".csv", "CSV", "text/csv"),
        (".md", "Markdown", "text/markdown"),
        (".json", "JSON", "application/json"),
        (".ics", "iCalendar", "text/calendar"),
    ]
    if not all(s.place.start for s in plan.sessions):
        downloads.pop()  # no times, no calendar
    for column, (suffix, label, mime) in zip(st.columns(4), downloads, strict=False):
        data = service.export_plan_text(plan, items, suffix)
        column.download_button(label, data, f"plan{suffix}", mime, key=f"dl_{suffix[1:]}")
