"""abstract-search in the browser: search, topic map, topics, session planner and corpus upload.

UI only. Every computation is a call into `abstract_search.service`, held in Streamlit caches;
this file never imports torch, faiss or sentence-transformers. Corpus text is always escaped
before it is rendered: an abstract (or an uploaded file) may contain anything.
"""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path

import streamlit as st

from abstract_search import service

st.set_page_config(page_title="abstract-search", page_icon="🔎", layout="wide")

PAGES = ("Search", "Topic map", "Topics", "Session planner", "Corpus")
MAX_LISTED = 50  # members shown per topic; a 50,000-abstract corpus has topics of thousands
EXAMPLES = (
    "boroxol rings",
    "how does the quench rate change the glass?",
    "machine learning potentials for amorphous materials",
    "glass-ceramics crystallization",
    "solid-state NMR",
    "Deringer",
    "talks from Alfred University",
)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:&])")


def md(text: str) -> str:
    """Escapes text for st.markdown: no markup, HTML, LaTeX or directives from the corpus."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def marked(text: str, spans) -> str:
    """Escaped text with the given character spans highlighted (neighbouring words as one mark)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and not text[merged[-1][1] : start].strip():
            merged[-1][1] = end
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out.append(md(text[last:start]) + ":orange-background[**" + md(text[start:end]) + "**]")
        last = end
    return "".join(out) + md(text[last:])


def nice_date(iso: str) -> str:
    """'2025-08-08' as 'Fri 8 Aug 2025' (unparseable dates are shown as they are)."""
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{day:%a} {day.day} {day:%b %Y}"


# --- cached library calls ------------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the corpus and its index…")
def get_engine(corpus: str):
    return service.open_engine(corpus)


@st.cache_data(show_spinner="Finding topics…")
def get_topics(corpus: str, n_topics: int | None):
    return service.corpus_topics(get_engine(corpus), n_topics)


@st.cache_data(show_spinner=False, max_entries=2000)
def get_related(corpus: str, record_id: str, k: int = 3):
    return get_engine(corpus).related(record_id, k)


@st.cache_data(show_spinner=False, max_entries=500)
def get_hits(corpus: str, query: str, top_k: int, filters: tuple[tuple[str, str], ...]):
    return service.search(get_engine(corpus), query, top_k=top_k, **dict(filters))


# --- state in the URL ----------------------------------------------------------------------


def param(name: str, default: str = "") -> str:
    return st.query_params.get(name, default)


def set_params(**values: str | None) -> None:
    for name, value in values.items():
        if value in (None, "", "any"):
            st.query_params.pop(name, None)
        else:
            st.query_params[name] = value


# --- pages ---------------------------------------------------------------------------------


def sidebar_filters(engine) -> dict:
    """Filters in the sidebar; their values live in the URL so a search can be shared."""
    options = service.filter_options(engine.records)
    st.sidebar.subheader("Filters")
    chosen = {}
    for name, label in (("kind", "Kind"), ("date", "Day"), ("session", "Session"), ("tag", "Method tag")):
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


def topic_count_control() -> int | None:
    """Automatic topic count unless the user fixes one (kept in the URL as `k`)."""
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


def page_map(engine) -> None:
    st.title("Topic map")
    n_topics = topic_count_control()
    topics = get_topics(engine.corpus, n_topics)
    query = st.text_input("Show a search on the map", value=param("q"), key="map_query").strip()
    set_params(q=query)
    st.caption(
        "Each dot is a talk or poster; nearby dots have similar abstracts. Colours are topics. "
        + ("The search's hits are ringed and the query is the star." if query else "")
    )
    try:
        figure = service.map_figure(engine, n_topics, query)
    except service.UserError as err:
        st.error(str(err))
        return
    figure.update_layout(height=640)
    st.plotly_chart(figure, key="topic_map")
    labels = [f"{t.label} ({t.size})" for t in topics.topics]
    chosen = st.selectbox("List the talks of a topic", labels, key="map_topic")
    topic = topics.topics[labels.index(chosen)]
    for member in topic.members[:MAX_LISTED]:
        record = service.record(engine, member)
        st.markdown(f"- **{md(record.id)}** {md(record.title)} — {md(', '.join(record.speakers))}")
    if topic.size > MAX_LISTED:
        st.caption(f"… and {topic.size - MAX_LISTED} more.")


def page_topics(engine) -> None:
    st.title("Topics")
    n_topics = topic_count_control()
    topics = get_topics(engine.corpus, n_topics)
    st.caption(f"{len(topics.topics)} topics; {md(topics.chosen_by)}.")
    confidence = dict(zip(topics.record_ids, topics.confidence, strict=True))
    for group in topics.groups:
        st.subheader(md(group.label))
        for topic_id in group.topic_ids:
            topic = next(t for t in topics.topics if t.id == topic_id)
            with st.container(border=True):
                st.markdown(f"**{md(topic.label)}** · {topic.size} items")
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
    from abstract_search.plan.schedule import EXPORTERS

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
        data = EXPORTERS[suffix](plan, items)
        column.download_button(label, data, f"plan{suffix}", mime, key=f"dl_{suffix[1:]}")


BOOK_TYPES = (".pdf", ".txt")
TABLE_TYPES = (".csv", ".tsv", ".jsonl", ".json", ".xlsx")
MAPPED_FIELDS = [f for f in service.TABLE_FIELDS if f not in service.TABLE_MULTI_FIELDS]  # one column each
PROGRAM_TYPES = ["pdf", "docx", "html", "htm", "xlsx", "csv"]


def page_corpus(corpus: str) -> None:
    st.title("Corpora")
    engine = get_engine(corpus)
    counts = service.corpus_counts(engine.records)
    st.markdown(f"Serving **{md(corpus)}**: " + ", ".join(f"{n} {md(k)}s" for k, n in counts.items()))
    st.subheader("Bring your own")
    st.markdown(
        "Upload a table of abstracts (CSV, TSV, JSON Lines, JSON or XLSX), or an abstract book as text or PDF. "
        "A book is read first, so you can fix what the parser got wrong before building."
    )
    upload = st.file_uploader("File", type=[s[1:] for s in TABLE_TYPES + BOOK_TYPES], key="upload")
    if upload is None:
        return
    name = st.text_input("Name for this corpus", value=service.corpus_name_for(upload.name), key="new_name")
    if Path(upload.name).suffix.lower() in TABLE_TYPES:
        upload_table(upload, name)
    else:
        review_book(upload, name)


def upload_table(upload, name: str) -> None:
    """A table: read it with the import's own reader, confirm the guessed columns, then build."""
    sheet_key = f"sheet_{upload.file_id}"  # a new file starts on its own first sheet
    sheet = st.session_state.get(sheet_key)
    try:
        preview = service.table_preview(upload.getvalue(), upload.name, sheet)
    except service.UserError as err:
        st.error(str(err))
        return
    if len(preview.sheets) > 1:
        st.selectbox("Sheet", preview.sheets, key=sheet_key)
    st.caption(f"Read as {md(preview.source)}. Map the columns (guessed from the headers):")
    for note in preview.notes:
        st.info(note)
    columns = map_columns(preview)
    extra = preview.extra_columns(columns)
    st.caption(
        "Kept as extra columns (shown on the results, offered as filters and planner groups; a tag "
        "column with one value a row is kept too): " + (", ".join(f"**{md(c)}**" for c in extra) or "none")
    )
    skip = st.checkbox("Skip rows that cannot be read (and list them) instead of stopping", key="skip_bad_rows")
    if not st.button("Build", type="primary", key="build"):
        return
    build_table(upload, name, columns, preview.sheets and sheet, skip)


def map_columns(preview) -> dict:
    """A select box per record field and a multi-select for tags, preset to the guesses."""
    columns: dict = {}
    choices = ["(none)", *preview.header]
    grid = st.columns(4)
    for k, field in enumerate(MAPPED_FIELDS):
        guess = preview.guesses.get(field, ("(none)",))[0]
        chosen = grid[k % 4].selectbox(field, choices, index=choices.index(guess), key=f"col_{field}")
        columns[field] = "" if chosen == "(none)" else chosen
    for k, field in enumerate(service.TABLE_MULTI_FIELDS, start=len(MAPPED_FIELDS)):
        guesses = list(preview.guesses.get(field, ()))
        columns[field] = grid[k % 4].multiselect(field, list(preview.header), default=guesses, key=f"col_{field}")
    return columns


def build_table(upload, name: str, columns: dict, sheet, skip: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / upload.name
        path.write_bytes(upload.getvalue())
        progress = st.progress(0.0, text="Reading the file…")
        try:
            report = service.add_corpus(
                path,
                name,
                columns,
                progress=lambda f, text: progress.progress(f, text=text),
                sheet=sheet or None,
                skip_bad_rows=skip,
            )
        except service.UserError as err:
            st.error(str(err))
            return
    show_built(report)
    for warning in report.warnings:
        st.warning(warning)
    if report.skipped:
        with st.expander(f"{len(report.skipped)} skipped row(s)"):
            st.code("\n".join(report.skipped), language=None)


def review_book(upload, name: str) -> None:
    """A book: read it (with an optional program), review the records in a table, then build."""
    program = st.file_uploader("Program (optional)", type=PROGRAM_TYPES, key="program")
    wanted = (upload.file_id, program.file_id if program else None, name)
    if st.button("Read", type="primary", key="read"):
        st.session_state.pop("review_editor", None)  # edits of an earlier read do not carry over
        with st.spinner("Reading the book…"):
            try:
                st.session_state["review"] = (wanted, read_book(upload, program, name))
            except service.UserError as err:
                st.session_state.pop("review", None)
                st.error(str(err))
                return
    stored = st.session_state.get("review")
    if stored is None or stored[0] != wanted:
        st.caption("Read the book to review its records.")
        return
    upload_review = stored[1]
    show_read_report(upload_review)
    st.caption("Fix a title, a speaker or a kind; untick **keep** to leave a record out. Then build.")
    rows = st.data_editor(
        upload_review.review_rows(),
        key="review_editor",
        hide_index=True,
        num_rows="fixed",
        width="stretch",
        column_config=review_columns(),
    )
    if not st.button("Build", type="primary", key="build"):
        return
    progress = st.progress(0.0, text="Applying your corrections…")
    try:
        records, corrections = service.apply_review(upload_review, rows)
        report = service.save_corpus(
            name,
            records,
            corrections,
            upload_review.book_sha256,
            progress=lambda f, text: progress.progress(f, text=text),
        )
    except service.UserError as err:
        st.error(str(err))
        return
    show_built(report)
    st.info(f"{report.corrections} correction(s) saved; they are re-applied when this book is read again.")


def read_book(upload, program, name: str):
    """The parsed book (and program) via the service, from temporary copies of the uploads."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        program_path = None
        if program is not None:
            program_path = Path(tmp) / "program" / Path(program.name).name
            program_path.parent.mkdir()
            program_path.write_bytes(program.getvalue())
        return service.read_upload(path, program_path, None, name=name)


def review_columns() -> dict:
    return {
        "keep": st.column_config.CheckboxColumn("keep", help="Untick to leave the record out"),
        "id": st.column_config.TextColumn("id", disabled=True),
        "kind": st.column_config.SelectboxColumn("kind", options=list(service.KINDS), required=True),
        "title": st.column_config.TextColumn("title", width="large", required=True),
        "speakers": st.column_config.TextColumn("speakers", help="Names separated by ';'"),
        "session": st.column_config.TextColumn("session"),
        "date": st.column_config.TextColumn("date", help="YYYY-MM-DD"),
        "start": st.column_config.TextColumn("start", help="HH:MM"),
        "pages": st.column_config.TextColumn("pages", disabled=True),
    }


def show_read_report(upload_review) -> None:
    result = upload_review.result
    applied = len(upload_review.corrections)
    st.markdown(
        f"Read **{len(result.records)}** records"
        + (f"; **{applied}** saved correction(s) re-applied" if applied else "")
    )
    for note in upload_review.notes:
        st.warning(note)
    if result.warnings or result.skipped:
        with st.expander(f"Parser report: {len(result.warnings)} warning(s), {len(result.skipped)} skipped"):
            st.code("\n".join([*result.warnings, *(f"skipped: {s}" for s in result.skipped)]), language=None)


def show_built(report) -> None:
    """Says what was built and makes sure no page serves the previous version of that corpus."""
    get_engine.clear(report.name)
    for cached in (get_topics, get_related, get_hits):
        cached.clear()
    st.success(f"Built **{md(report.name)}**: {report.summary}")
    set_params(corpus=report.name)
    st.caption("Switch to it in the sidebar.")


def main() -> None:
    names = service.available_corpora()
    corpus = param("corpus", service.DEFAULT_CORPUS)
    corpus = corpus if corpus in names else service.DEFAULT_CORPUS
    st.sidebar.title("abstract-search")
    corpus = st.sidebar.selectbox("Corpus", names, index=names.index(corpus), key="corpus")
    page = param("page", PAGES[0])
    page = st.sidebar.radio("Page", PAGES, index=PAGES.index(page) if page in PAGES else 0, key="page")
    set_params(corpus=None if corpus == service.DEFAULT_CORPUS else corpus, page=None if page == PAGES[0] else page)
    if page == "Corpus":
        page_corpus(corpus)
        return
    try:
        engine = get_engine(corpus)
    except service.UserError as err:
        st.error(str(err))
        return
    {"Search": page_search, "Topic map": page_map, "Topics": page_topics, "Session planner": page_planner}[page](engine)


if __name__ == "__main__":  # streamlit runs this file as __main__; tests import its helpers
    main()
