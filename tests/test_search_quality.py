"""Rankings for clear queries with the real bundled model on the real workshop corpus."""

from __future__ import annotations

import pytest

from abstract_search.search.fusion import Filters

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(real_embedder, tmp_path_factory):
    from abstract_search.search.engine import Engine
    from tests.conftest import WORKSHOP

    # A private index root: a test run never rebuilds or replaces the user's index/.
    root = tmp_path_factory.mktemp("index")
    return Engine.open(WORKSHOP, embedder=real_embedder, root=root, build="stale", progress=False)


def test_boroxol_rings_finds_the_boroxol_talk_with_marked_answer(engine):
    top = engine.search("boroxol rings")[0]
    assert top.id == "T27"
    assert "«boroxol" in top.marked_snippet().lower()


def test_speaker_name_finds_their_talk(engine):
    assert engine.search("Deringer")[0].id == "T23"
    assert engine.search("Cormack")[0].id == "T05"


def test_affiliation_query_finds_its_talks(engine):
    hits = engine.search("talks from Alfred University")
    assert {h.id for h in hits[:2]} == {"T05", "T08"}


def test_paraphrase_without_shared_words_finds_a_cooling_rate_talk(engine):
    top = engine.search("how does the quench rate change the glass?")[0]
    assert top.id in {"T13", "T14", "T19"}
    assert "cool" in top.snippet.lower()


def test_formula_query_and_filters(engine):
    assert engine.search("75Li2S-25P2S5")[0].id == "T16"
    posters = engine.search("machine learning", filters=Filters(kind="poster"))
    assert posters and all(h.kind == "poster" for h in posters)
    assert {h.id for h in engine.search("glass", filters=Filters(affiliation="Alfred"))} == {"T05", "T08"}


def test_related_talks_share_key_terms(engine):
    related = engine.related("T26", k=3)
    assert "T26" not in {h.id for h in related}
    assert "T25" in {h.id for h in related}  # same group, sodium solid electrolytes
    assert all(h.matched_terms for h in related)
