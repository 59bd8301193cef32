"""The Corpus page's review step through Streamlit's AppTest: read a book, edit the table, build.

The fake embedder stands in for the model (matching bodies to the program, and the indexes),
and data/ and index/ point at tmp_path: the test reads the workshop book and writes nothing
outside tmp_path.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import BOOK, WORKSHOP, FakeEmbedder

APP = str(Path(__file__).resolve().parents[1] / "app.py")
NEW_TITLE = "Alkali ions in mixed lithium-sodium silicates"


@pytest.fixture()
def private_app(tmp_path, monkeypatch):
    """The app with its data and index folders in tmp_path and the fake embedder everywhere."""
    import streamlit as st

    from abstract_search.embed import backends as embed
    from abstract_search.search import engine

    if not BOOK.is_file():
        pytest.skip(f"the workshop abstract book is not at {BOOK}")
    fake = FakeEmbedder()
    monkeypatch.setenv("ABSTRACT_SEARCH_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ABSTRACT_SEARCH_INDEX", str(tmp_path / "index"))
    monkeypatch.setattr(engine, "index_model_id", lambda model: fake.model_id)
    monkeypatch.setattr(engine, "embedder_for", lambda model, model_id: fake)
    monkeypatch.setattr(embed, "load_embedder", lambda *args, **kwargs: fake)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "workshop2025.jsonl").write_bytes(WORKSHOP.read_bytes())
    st.cache_resource.clear()  # no engine cached by another test, none left for the next one
    st.cache_data.clear()
    yield tmp_path / "data"
    st.cache_resource.clear()
    st.cache_data.clear()


def read_book_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["page"] = "Corpus"
    at.run()
    at.file_uploader(key="upload").upload("Workshop Book.txt", BOOK.read_bytes(), "text/plain").run()
    assert at.text_input(key="new_name").value == "workshop-book"
    assert at.file_uploader(key="program").label == "Program (optional)"
    at.button(key="read").click().run()
    assert_clean(at)
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_read_edit_build_saves_the_corrections(private_app):
    from abstract_search.ingest.review import load_corrections
    from abstract_search.records import read_records

    at = read_book_page()
    table = at.data_editor(key="review_editor").value
    assert len(table) == 37  # 27 talks and 10 posters in the workshop program
    assert list(table.columns) == ["keep", "id", "kind", "title", "speakers", "session", "date", "start", "pages"]
    assert (table.loc[4, "id"], table.loc[27, "id"]) == ("T05", "P01")
    assert table.loc[4, "title"].startswith("On the Environment of Alkali Ions")

    at.session_state["review_editor"] = {
        "edited_rows": {4: {"title": NEW_TITLE}, 27: {"keep": False}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="build").click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == ["Built **workshop\\-book**: 27 talks, 9 posters"]
    assert at.info[0].value.startswith("2 correction(s) saved")

    saved = read_records(private_app / "workshop-book.jsonl")
    assert len(saved) == 36
    by_id = {r.id: r for r in saved}
    assert by_id["T05"].title == NEW_TITLE and "P01" not in by_id
    sha, corrections = load_corrections(private_app / "workshop-book.corrections.json")
    assert sha == hashlib.sha256(BOOK.read_bytes()).hexdigest()
    assert [(c.drop, dict(c.changes)) for c in corrections] == [(False, {"title": NEW_TITLE}), (True, {})]
    assert json.loads((private_app / "workshop-book.corrections.json").read_text())["format"] == 1

    # Reading the same book again shows the organizer's table, not the parser's.
    at.button(key="read").click().run()
    assert_clean(at)
    again = at.data_editor(key="review_editor").value
    assert again.loc[4, "title"] == NEW_TITLE and not again.loc[27, "keep"]
    assert any("2** saved correction(s) re-applied" in m.value for m in at.markdown)
