"""Topic labels: the rules every label keeps, on hand-made vectors; one check with the real model."""

from __future__ import annotations

import re

import numpy as np
import pytest

from abstract_search.topics.labels import GroupDescription, describe_groups, select_mmr
from abstract_search.topics.labels_ctfidf import describe_groups_ctfidf


def documents_using(phrase: str, texts: list[str]) -> int:
    """How many texts use a phrase as whole words (case and plural -s ignored)."""
    words = [re.escape(w.lower()) + "s?" for w in phrase.split()]
    pattern = re.compile(r"\b" + r"[\s-]+".join(words) + r"\b")
    return sum(bool(pattern.search(t.lower())) for t in texts)


class TableEmbedder:
    """Embeds the phrases it knows as given unit vectors, every other text as one fixed vector.

    Records each call, so a test can see that all phrases were embedded at once.
    """

    def __init__(self, table: dict[str, np.ndarray], dimension: int):
        self.table, self.dimension, self.calls = table, dimension, []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        other = np.zeros(self.dimension)
        other[-1] = 1.0
        return np.vstack([self.table.get(t, other) for t in texts]) if texts else np.zeros((0, self.dimension))


def unit(dimension: int, axis: int) -> np.ndarray:
    vector = np.zeros(dimension)
    vector[axis] = 1.0
    return vector


# One document repeats its own jargon; the others share a phrase that the repeated one lacks.
FRACTURE = [
    "Boroxol rings in glass. Boroxol rings and more boroxol rings: boroxol rings everywhere, crack growth.",
    "Crack growth in silicate glass under stress corrosion.",
    "Subcritical crack growth and fracture toughness of glass fibres.",
    "Fracture toughness measured by indentation of glass.",
]
SPECTRA = [
    "Raman spectra of borate glass and NMR spectra of borate glass.",
    "NMR spectra show boron coordination in borate glass.",
    "Raman spectra and NMR spectra of sodium borate glass.",
]


def describe(mode: str, texts: list[str], groups: list[int], embedder) -> list[GroupDescription]:
    """Our labeller with embeddings or without: the rules hold either way."""
    if mode == "c-TF-IDF only":
        return describe_groups(texts, groups)
    return describe_groups(texts, groups, embeddings=embedder.encode(texts), embed=embedder.encode)


MODES = ["embeddings", "c-TF-IDF only"]


@pytest.mark.parametrize("mode", MODES)
def test_no_label_or_keyword_comes_from_one_document(fake_embedder, mode):
    texts, groups = FRACTURE + SPECTRA, [0] * len(FRACTURE) + [1] * len(SPECTRA)
    described = describe(mode, texts, groups, fake_embedder)
    for description in described:
        members = [t for t, g in zip(texts, groups, strict=True) if g == description.group]
        phrases = [*description.keywords, *description.label.lower().split(" and ")]
        assert description.keywords
        for phrase in phrases:
            assert documents_using(phrase, members) >= 2, (description, phrase)
    assert "boroxol" not in " ".join(d.label + " ".join(d.keywords) for d in described).lower()


def test_a_group_of_one_is_named_from_its_own_text():
    described = describe_groups(["Raman spectra of borate glass", "Crack growth", "Crack growth in fibres"], [0, 1, 1])
    assert described[0].label.lower() in {"raman spectra", "borate glass", "raman", "spectra"}
    assert described[1].label.lower() == "crack growth"


def test_a_group_whose_texts_share_nothing_is_called_mixed():
    texts = ["Gigahertz dielectric loss", "Thermal conductivity of fibres", "Crack growth", "Crack growth"]
    described = describe_groups(texts, [0, 0, 1, 1])
    assert described[0].label == "Mixed topics" and described[0].keywords == ()
    assert described[1].label == "Crack growth"


def test_a_lone_adjective_never_names_a_group():
    texts = ["Chemical durability of fibres", "Chemical vapour deposition", "Crack growth", "Crack growth"]
    described = describe_groups(texts, [0, 0, 1, 1])
    assert described[0].label == "Mixed topics" and described[0].keywords == ("Chemical",)


@pytest.mark.parametrize("mode", MODES)
def test_labels_are_distinct_and_bigger_groups_choose_first(fake_embedder, mode):
    texts = ["Crack growth in glass."] * 5
    first = {d.group: d.label for d in describe(mode, texts, [3, 3, 3, 1, 1], fake_embedder)}
    second = {d.group: d.label for d in describe(mode, texts, [1, 1, 1, 3, 3], fake_embedder)}
    assert first[3] != first[1]
    # the bigger group takes the best label whatever its id, the smaller one the next
    assert (first[3], first[1]) == (second[1], second[3])
    assert "crack growth" in first[3].lower()


def test_mmr_skips_a_near_duplicate_for_something_new():
    phrases = ["crack growth", "fracture propagation", "nmr spectra"]
    relevance = np.array([1.0, 0.95, 0.6])
    vectors = np.array([[1.0, 0.0], [0.995, 0.0999], [0.0, 1.0]])
    order = select_mmr(relevance, vectors @ vectors.T, 0.7, phrases)
    assert order == [0, 2, 1]
    assert select_mmr(relevance, vectors @ vectors.T, 1.0, phrases) == [0, 1, 2]  # relevance alone


@pytest.mark.parametrize("mode", MODES)
def test_keywords_never_repeat_a_phrase_inside_another(fake_embedder, mode):
    texts = FRACTURE + SPECTRA
    for description in describe(mode, texts, [0] * len(FRACTURE) + [1] * len(SPECTRA), fake_embedder):
        words = [k.lower().split() for k in description.keywords]
        for i, first in enumerate(words):
            for second in words[i + 1 :]:
                short, long = sorted((first, second), key=len)
                inside = any(long[s : s + len(short)] == short for s in range(len(long) - len(short) + 1))
                assert not inside, description.keywords


def test_embeddings_prefer_the_phrase_closest_to_the_centre():
    # Both phrases are in every text of group 0, so c-TF-IDF cannot tell them apart.
    texts = ["Alpha beta and gamma delta."] * 3 + ["Omega sigma and kappa tau."] * 3
    groups = [0, 0, 0, 1, 1, 1]
    dimension = 6
    documents = np.vstack([unit(dimension, 0)] * 3 + [unit(dimension, 3)] * 3)
    near, far = unit(dimension, 0), unit(dimension, 1)
    for closest, other in (("alpha beta", "gamma delta"), ("gamma delta", "alpha beta")):
        embed = TableEmbedder({closest: near, other: far, "omega sigma": unit(dimension, 3)}, dimension)
        described = describe_groups(texts, groups, embeddings=documents, embed=embed)
        assert described[0].label.lower() == closest
        assert described[0].keywords[0].lower() == closest
        assert len(embed.calls) == 1  # every group's candidates in one call
        assert len(embed.calls[0]) == len(set(embed.calls[0]))  # each phrase once


def test_rejects_embeddings_of_another_length(fake_embedder):
    with pytest.raises(ValueError):
        describe_groups(["a b", "c d"], [0, 1], embeddings=fake_embedder.encode(["a b"]), embed=fake_embedder.encode)
    with pytest.raises(ValueError):
        describe_groups(["a b"], [0, 1])
    assert describe_groups([], []) == []


def test_the_baseline_stays_available():
    texts = ["NMR of borate glasses and NMR spectra", "Machine learning potentials for glass"] * 3
    described = describe_groups_ctfidf(texts, [0, 1] * 3)
    assert described[1].label.lower() == "machine learning potentials"
    assert len(described[0].label.split()) >= 2


def test_acronyms_and_whole_phrases_survive():
    texts = ["NMR of borate glasses and NMR spectra", "Machine learning potentials for glass"] * 3
    described = describe_groups(texts, [0, 1] * 3)
    assert "NMR" in described[0].keywords  # acronyms keep their case
    assert described[1].label.lower() == "machine learning potentials"  # not the fragment "machine learning"


# --- the real model -------------------------------------------------------------------------

THEMES = {
    "fracture of glass": [
        "Crack growth in soda-lime glass was measured under stress; fracture toughness fell with humidity.",
        "Indentation cracks in silicate glass: fracture toughness from crack length and load.",
        "Subcritical crack growth in glass fibres under stress corrosion, with fracture surfaces imaged.",
        "Fracture toughness of oxide glasses measured by chevron-notch tests; crack growth was stable.",
    ],
    "NMR spectroscopy": [
        "Boron coordination in borate glasses from 11B NMR spectra at high field.",
        "Solid-state NMR spectra of aluminosilicate glasses resolve aluminium coordination.",
        "NMR spectra and chemical shifts of phosphate glasses reveal the network connectivity.",
        "Two-dimensional NMR spectra of sodium borate glass separate the boron sites.",
    ],
    "machine learning potentials": [
        "Machine learning potentials trained on DFT data reproduce the structure of silica glass.",
        "A neural network potential for borate glass, trained on ab initio molecular dynamics.",
        "Machine learning potentials for sodium silicate glasses: training sets and transferability.",
        "Active learning builds machine learning potentials for amorphous oxides from DFT.",
    ],
}


@pytest.mark.slow
def test_real_model_labels_name_their_theme(real_embedder):
    texts = [t for theme in THEMES.values() for t in theme]
    groups = [g for g, theme in enumerate(THEMES.values()) for _ in theme]
    vectors = real_embedder.encode(texts)
    described = describe_groups(texts, groups, embeddings=vectors, embed=real_embedder.encode)
    names = real_embedder.encode(list(THEMES))
    labels = real_embedder.encode([d.label for d in described])
    assert ((labels @ names.T).argmax(axis=1) == np.arange(len(THEMES))).all(), [d.label for d in described]
    assert len({d.label.lower() for d in described}) == len(THEMES)


ATTACKS = [
    "Adversarial attacks on text classifiers: attacks change a few words.",
    "We defend reading comprehension models against adversarial attacks and other attacks.",
    "Universal adversarial attacks transfer; attacks succeed on many models.",
    "Attacks on dialogue systems are cheap, and adversarial attacks are cheaper.",
]
TRANSLATION = [
    "Neural machine translation of low-resource languages with back-translation.",
    "Document-level machine translation with context.",
    "Machine translation quality estimation for low-resource languages.",
]


@pytest.mark.parametrize("mode", MODES)
def test_a_lone_word_gives_way_to_the_phrase_that_says_which_kind(fake_embedder, mode):
    texts, groups = ATTACKS + TRANSLATION, [0] * len(ATTACKS) + [1] * len(TRANSLATION)
    label = describe(mode, texts, groups, fake_embedder)[0].label
    assert label.lower().startswith("adversarial attacks"), label


def test_without_the_rule_the_lone_word_names_the_group():
    from dataclasses import replace

    from abstract_search.topics.labels import DEFAULT_SETTINGS, describe_groups_with

    texts, groups = ATTACKS + TRANSLATION, [0] * len(ATTACKS) + [1] * len(TRANSLATION)
    never = replace(DEFAULT_SETTINGS, specific_ratio=2.0)
    assert describe_groups_with(texts, groups, never)[0].label.lower().startswith("attacks")


def test_a_preposition_never_starts_a_phrase():
    texts = [
        "Models like BERT learn syntax; probing models like BERT.",
        "Probing encoders like BERT for syntax.",
        "Syntax probing of encoders like BERT and RoBERTa.",
    ]
    described = describe_groups(texts + TRANSLATION, [0] * 3 + [1] * 3)
    assert not any(k.lower().startswith("like") for k in (described[0].label, *described[0].keywords))
