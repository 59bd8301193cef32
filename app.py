"""abstract-search in the browser: search, topic map, topics, session planner and corpus upload.

The Streamlit entry point (`streamlit run app.py`): the sidebar's corpus and page choice, kept in
the URL. The pages live in `app_pages/`. UI only: every computation is a call into
`abstract_search.service`, held in Streamlit caches (`app_pages.common`); the app never imports
torch, faiss or sentence-transformers.

The file is read twice. `streamlit run` imports it to find `app` (an `st.App`, whose start-up
hook warms the default corpus in the background, so the first visit does not wait for imports
and files), and every visit runs it as the page script (`__main__`).
"""

from __future__ import annotations

import contextlib
import sys
import threading

import streamlit as st

from abstract_search import service

PAGES = ("Search", "Topic map", "Topics", "Session planner", "Corpus")
ICON = "🔎"


def main() -> None:
    # Imported here, not when the server imports this file: their Streamlit caches must be made
    # inside the runtime.
    from app_pages import corpus, planner, search, topics
    from app_pages.common import get_engine, param, set_params

    st.set_page_config(page_title="abstract-search", page_icon=ICON, layout="wide")
    names = service.available_corpora()
    corpus_name = param("corpus", service.DEFAULT_CORPUS)
    corpus_name = corpus_name if corpus_name in names else service.DEFAULT_CORPUS
    st.sidebar.title("abstract-search")
    corpus_name = st.sidebar.selectbox("Corpus", names, index=names.index(corpus_name), key="corpus")
    page = param("page", PAGES[0])
    page = st.sidebar.radio("Page", PAGES, index=PAGES.index(page) if page in PAGES else 0, key="page")
    set_params(
        corpus=None if corpus_name == service.DEFAULT_CORPUS else corpus_name,
        page=None if page == PAGES[0] else page,
    )
    if page == "Corpus":
        corpus.page_corpus(corpus_name)
        return
    if page == "Topic map":  # opens the index itself, after drawing what needs none
        topics.page_map(lambda: get_engine(corpus_name))
        return
    try:
        engine = get_engine(corpus_name)
    except service.UserError as err:
        st.error(str(err))
        return
    engine_pages = {"Search": search.page_search, "Topics": topics.page_topics, "Session planner": planner.page_planner}
    engine_pages[page](engine)


def warm_up() -> None:
    try:  # Streamlit checks the page icon with an emoji pattern it compiles at its first use
        from streamlit.string_util import is_emoji

        is_emoji(ICON)
    except ImportError:  # moved in another Streamlit: the first visit compiles it
        pass
    skipped = service.warm_up()
    if skipped:
        print(f"abstract-search: nothing warmed ({skipped}); the first visit opens the corpus", file=sys.stderr)


@contextlib.asynccontextmanager
async def warm_as_the_server_starts(_app):
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    yield


if __name__ == "__main__":  # a visit: the page script
    main()
else:  # `streamlit run app.py` imports the file to serve it
    app = st.App(__file__, lifespan=warm_as_the_server_starts)
