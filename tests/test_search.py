"""Fusion arithmetic, filters, answer snippets and the Engine API (fake embedder, tiny corpus)."""

from __future__ import annotations

import numpy as np
import pytest

from abstract_search.search.fusion import (
    FilterError,
    Filters,
    FusionConfig,
    QueryError,
    candidate_rows,
    filter_mask,
    fuse,
    minmax,
    prepare_query,
    reciprocal_ranks,
    top_rows,
    zscore,
)
from abstract_search.search.snippets import Snippet, build_snippet, split_sentences
from tests.conftest import run_python


def test_zscore_and_minmax_arithmetic():
    assert np.allclose(zscore(np.array([1.0, 2.0, 3.0])), [-1.2247449, 0.0, 1.2247449])
    assert np.allclose(minmax(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    assert not zscore(np.array([5.0, 5.0])).any()  # no spread: no signal, not NaN


def test_convex_fusion_weights_the_normalised_scores():
    lexical = np.zeros(10)
    lexical[2] = 6.0
    dense = np.linspace(0.1, 0.4, 10)[::-1].copy()
    dense[2] = 0.3
    fused = fuse(lexical, dense, FusionConfig(dense_weight=0.6, dense_spread_floor=0.0))
    # By hand: lexical mean 0.6, std 1.8, so item 2 scores +3.0 and the rest -1/3; dense mean
    # 0.24667, std 0.09333, so item 0 scores +1.6429 and item 2 +0.5714. 0.4 * lexical + 0.6 * dense:
    assert np.allclose(fused[[0, 2]], [0.4 * -1 / 3 + 0.6 * 1.6429, 0.4 * 3.0 + 0.6 * 0.5714], atol=1e-4)
    assert int(np.argmax(fused)) == 2  # a lone exact match beats a small cosine lead
    only_dense = fuse(lexical, dense, FusionConfig(dense_weight=1.0))
    assert int(np.argmax(only_dense)) == 0


def test_dense_spread_floor_keeps_near_equal_cosines_from_dominating():
    lexical = np.array([0.0, 0.0, 2.0, 0.0])
    flat_dense = np.array([0.10, 0.13, 0.08, 0.09])  # a name query: the model sees no difference
    assert zscore(flat_dense, floor=0.1).max() < 0.5 < zscore(flat_dense).max()
    assert int(np.argmax(fuse(lexical, flat_dense, FusionConfig(dense_spread_floor=0.1)))) == 2
    spread_dense = np.array([0.1, 0.7, 0.2, 0.3])  # a topical query: the floor changes nothing
    assert np.allclose(zscore(spread_dense, floor=0.1), zscore(spread_dense))


def test_reciprocal_rank_fusion():
    ranks = reciprocal_ranks(np.array([0.1, 0.9, 0.5]), k=60)
    assert np.allclose(ranks, [1 / 63, 1 / 61, 1 / 62])
    fused = fuse(np.array([3.0, 1.0, 2.0]), np.array([0.1, 0.9, 0.5]), FusionConfig(method="rrf", dense_weight=0.5))
    assert np.allclose(fused, [0.5 / 61 + 0.5 / 63, 0.5 / 63 + 0.5 / 61, 1 / 62])
    with pytest.raises(ValueError, match="valid: zscore, minmax, rrf"):
        fuse(np.ones(2), np.ones(2), FusionConfig(method="magic"))


def test_candidates_are_the_union_of_both_top_lists():
    lexical = np.array([0.0, 3.0, 0.0, 1.0, 0.0])
    rows = candidate_rows(lexical, np.array([4, 1, -1]), k=2)
    assert rows.tolist() == [1, 3, 4]
    assert top_rows(np.array([0.2, 0.9, 0.5]), 2).tolist() == [1, 2]


def test_prepare_query_rejects_empty_and_truncates_long():
    with pytest.raises(QueryError, match="empty"):
        prepare_query("   \n\t")
    text, truncated = prepare_query("glass " * 2000, max_chars=100)
    assert truncated and len(text) <= 100 and text.endswith("glass")
    assert prepare_query("  boroxol   rings ") == ("boroxol rings", False)


def test_sentence_splitting_respects_abbreviations_decimals_and_initials():
    text = (
        "Rings dominate (Fig. 1). As Smith et al. (2020) showed, the fraction is 0.75. "
        "Prof. A. N. Cormack used Na2O·SiO2 melts. Does it hold? Yes! 17O NMR agrees, e.g. for Q(n)."
    )
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "Rings dominate (Fig. 1).",
        "As Smith et al. (2020) showed, the fraction is 0.75.",
        "Prof. A. N. Cormack used Na2O·SiO2 melts.",
        "Does it hold?",
        "Yes!",
        "17O NMR agrees, e.g. for Q(n).",
    ]


def test_snippet_marks_matching_words_with_spans():
    text = "Silica is common. Boroxol rings dominate B2O3 glass. Nothing else."
    spans = split_sentences(text)
    snippet = build_snippet(text, spans, np.array([0.1, 0.9, 0.0]), {"boroxol", "ring", "b2o3"})
    assert snippet.text == "Boroxol rings dominate B2O3 glass."
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["Boroxol", "rings", "B2O3"]
    assert snippet.marked() == "«Boroxol» «rings» dominate «B2O3» glass."
    assert Snippet("abc", (), ()).marked() == "abc"


def test_filters_and_unknown_values_list_the_valid_ones(mini_engine):
    records = mini_engine.records
    assert filter_mask(records, None) is None and filter_mask(records, Filters()) is None
    assert filter_mask(records, Filters(kind="poster")).tolist() == [False, False, False, True]
    assert filter_mask(records, Filters(affiliation="alfred")).tolist() == [False, False, True, False]
    assert filter_mask(records, Filters(speaker="Cormack", date="2025-08-06")).sum() == 1
    with pytest.raises(FilterError, match="valid kind values: poster, talk"):
        filter_mask(records, Filters(kind="keynote"))
    with pytest.raises(FilterError, match="valid session values: MD, MD/MC, MLIP"):
        filter_mask(records, Filters(session="Plenary"))
    with pytest.raises(FilterError, match="Shingo Urata"):
        filter_mask(records, Filters(speaker="Nobody"))


def test_engine_search_returns_hits_with_breakdown_and_snippet(mini_engine):
    hits = mini_engine.search("boroxol rings", top_k=3)
    assert [h.rank for h in hits] == [1, 2, 3]
    top = hits[0]
    assert top.id == "T01" and top.score == top.scores.fused
    assert top.scores.lexical > 0 and -1 <= top.scores.dense <= 1
    assert "«boroxol»" in top.marked_snippet()
    assert "boroxol" in top.matched_terms
    assert top.to_json()["scores"] == {"lexical": top.scores.lexical, "dense": top.scores.dense, "fused": top.score}


def test_engine_filters_names_and_related(mini_engine):
    assert [h.id for h in mini_engine.search("glass", filters=Filters(kind="poster"))] == ["P01"]
    assert [h.id for h in mini_engine.search("silicates", filters=Filters(speaker="cormack"))] == ["T03"]
    assert int(np.argmax(mini_engine.lexical.scores("glass ceramics"))) == 3
    related = mini_engine.related("T01", k=2)
    assert len(related) == 2 and all(h.id != "T01" for h in related)
    with pytest.raises(Exception, match="no record with id 'T99'"):
        mini_engine.related("T99")


def test_engine_exposes_records_and_aligned_unit_embeddings(mini_engine):
    embeddings = mini_engine.embeddings
    assert embeddings.shape == (len(mini_engine.records), 64) and embeddings.dtype == np.float32
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    queries = mini_engine.embed_queries(["boroxol", "silicates"])
    assert queries.shape == (2, 64)


def test_search_modules_and_opening_a_built_index_do_not_import_torch(mini_corpus, tmp_path):
    from pathlib import Path

    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from conftest import FakeEmbedder
from abstract_search.search.engine import Engine
import abstract_search.cli, abstract_search.search.index, abstract_search.search.lexical, abstract_search.search.fusion
Engine.open({str(mini_corpus)!r}, embedder=FakeEmbedder(), root={str(tmp_path / "idx")!r}, progress=False)
engine = Engine.open({str(mini_corpus)!r}, embedder=FakeEmbedder(), root={str(tmp_path / "idx")!r},
                     build="never", progress=False)
assert len(engine.records) == 4
print(sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules))
"""
    assert run_python(code).strip() == "[]"
