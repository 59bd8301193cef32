"""Tokenizer cases and field-weighted BM25."""

from __future__ import annotations

import numpy as np
import pytest

from abstract_search.records import Abstract
from abstract_search.search.lexical import LexicalConfig, build_lexical_index, token_spans, tokenize


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("B2O3", "b2o3"),
        ("75Li2S-25P2S5 glass", "75li2s-25p2s5"),
        ("β-Li3PS4 crystal", "β-li3ps4"),
        ("17O NMR", "17o"),
        ("Q(n) species", "q(n)"),
        ("the (Q(n)) units", "q(n)"),
        ("Li⁺ diffusivity", "li+"),
        ("glass-ceramics", "glass-ceram"),
        ("0.5 eV", "0.5"),
    ],
)
def test_scientific_tokens_stay_whole(text, whole):
    assert whole in tokenize(text)


def test_compounds_also_index_their_parts():
    assert {"glass", "ceram"} <= set(tokenize("Sulfide Glass-Ceramics."))
    assert {"75li2s", "25p2s5"} <= set(tokenize("75Li2S-25P2S5"))


def test_ordinary_words_are_stemmed_and_stopwords_dropped():
    assert tokenize("How does the cooling rate change the glasses?") == ["cool", "rate", "chang", "glass"]
    assert tokenize("cooled") == tokenize("cooling")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Tohoku Univ.", "Tohoku University"),
        ("Li⁺", "Li+"),
        ("B₂O₃", "B2O3"),
        ("José", "Jose"),
        ("glass–ceramic", "glass-ceramics"),
        ("DERINGER", "deringer"),
    ],
)
def test_equivalent_spellings_match(a, b):
    assert tokenize(a) == tokenize(b)


def test_trailing_punctuation_and_possessives_are_trimmed():
    assert tokenize("Deringer's MLIPs.") == tokenize("Deringer MLIPs")
    assert tokenize("(MD)") == ["md"]
    assert "fig" in tokenize("Fig. 1") and "." not in "".join(tokenize("Fig. 1"))


def test_spans_point_at_the_original_words():
    text = "In (β-Li3PS4), Li⁺ moves."
    words = [text[s.start : s.end] for s in token_spans(text)]
    assert words == ["β-Li3PS4", "Li⁺", "moves"]


def _records():
    return [
        Abstract(
            "A",
            "Boroxol rings in B2O3",
            kind="talk",
            abstract="Boroxol rings dominate vitreous B2O3.",
            speakers=("Shingo Urata",),
            affiliations=("AGC Inc.",),
        ),
        Abstract(
            "B",
            "Silica under pressure",
            kind="talk",
            abstract="Densified silica glass and rings.",
            speakers=("Volker Deringer",),
            affiliations=("University of Oxford",),
        ),
        Abstract("C", "A poster", kind="poster", speakers=("Kei Chiba",), affiliations=("Tohoku Univ.",)),
    ]


def test_bm25_scores_every_field():
    index = build_lexical_index(_records())
    assert np.argmax(index.scores("boroxol")) == 0
    assert np.argmax(index.scores("Deringer")) == 1
    assert np.argmax(index.scores("Oxford")) == 1
    assert np.argmax(index.scores("Tohoku")) == 2
    assert not index.scores("nothing-matches-this").any()
    assert not index.scores("").any()


def test_field_weights_change_the_name_signal_and_unknown_fields_fail():
    plain = build_lexical_index(_records(), LexicalConfig(field_weights=(("text", 1.0),)))
    assert not plain.scores("Deringer").any()
    with pytest.raises(ValueError, match="valid: text, title"):
        build_lexical_index(_records(), LexicalConfig(field_weights=(("body", 1.0),)))
