"""The Corpus page: upload a table or an abstract book, review what was read, and build it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from abstract_search import service
from app_pages.common import get_engine, get_hits, get_related, get_topics, md, prepare_queries

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
    prepare_queries.clear(report.name)
    for cached in (get_topics, get_related, get_hits):
        cached.clear()
    st.success(f"Built **{md(report.name)}**: {report.summary}")
    st.button(f"Search {report.name}", on_click=open_corpus, args=(report.name,), key="open_built", type="primary")


def open_corpus(name: str) -> None:
    """Serves `name` on the Search page: the sidebar's choices are set before they are drawn."""
    st.session_state["corpus"] = name
    st.session_state["page"] = "Search"
