"""What every page shares: the cached library calls, state in the URL, and escaped formatting.

The cached functions are defined here and nowhere else, so clearing one (as the Corpus page
does after a build) clears it for every page. Corpus text is always escaped before it is
rendered: an abstract (or an uploaded file) may contain anything.
"""

from __future__ import annotations

import re
import threading
from datetime import date

import streamlit as st

from abstract_search import service

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


@st.cache_resource(show_spinner=False)
def prepare_queries(corpus: str) -> threading.Thread:
    """Starts loading the query encoder of the corpus's engine, once, in the background."""
    thread = threading.Thread(target=service.prepare_queries, args=(get_engine(corpus),), daemon=True)
    thread.start()
    return thread


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
