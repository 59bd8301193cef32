"""Topic model, labels, hierarchy and saving: plumbing on the fake embedder, quality on the real one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from abstract_search.records import Abstract
from abstract_search.topics.corpus import FORMAT_VERSION, compute_topics, load_topics, save_topics
from abstract_search.topics.labels import describe_groups
from abstract_search.topics.model import OUTLIER, TopicModel

THEMES = {
    "fracture": "fracture crack toughness brittle indentation stress mechanics",
    "nmr": "nmr spectroscopy chemical shift quadrupolar boron coordination spectra",
    "potentials": "machine learning interatomic potentials neural network training dft",
}


def themed_records(n: int) -> list[Abstract]:
    """n records cycling through three word-disjoint themes, each with its own variations."""
    names = list(THEMES)
    records = []
    for i in range(n):
        theme = names[i % 3]
        words = THEMES[theme].split()
        rotated = words[i % len(words) :] + words[: i % len(words)]
        records.append(
            Abstract(id=f"R{i:02d}", title=f"{theme} study {i}", abstract=" ".join(rotated[:6]), speakers=(f"S{i}",))
        )
    return records


def theme_of(record: Abstract) -> str:
    return record.title.split()[0]


@pytest.fixture(scope="module")
def corpus(fake_embedder):
    records = themed_records(12)
    return records, fake_embedder.encode([r.text for r in records])


# --- labels -------------------------------------------------------------------------------------


def test_describe_groups_one_per_group_sorted_distinct_and_short():
    texts = [r.text for r in themed_records(12)]
    groups = [7, 2, -1] * 4
    described = describe_groups(texts, groups)
    assert [d.group for d in described] == [-1, 2, 7]
    labels = [d.label.lower() for d in described]
    assert len(set(labels)) == 3
    assert all(1 <= len(d.label.replace("/", " ").split()) <= 4 for d in described)
    assert all(0 < len(d.keywords) <= 8 for d in described)
    # each group's keywords come from its own theme
    assert "fracture" in " ".join(described[2].keywords).lower()


def test_labels_are_distinct_even_for_identical_groups():
    described = describe_groups(["glass structure"] * 4, [0, 0, 1, 1])
    assert described[0].label != described[1].label


def test_labels_prefer_phrases_and_keep_acronyms():
    # The c-TF-IDF baseline's rule; the default labeller may name a group with one word ("NMR"),
    # see tests/test_topic_labels.py.
    from abstract_search.topics.labels_ctfidf import describe_groups_ctfidf

    texts = ["NMR of borate glasses and NMR spectra", "Machine learning potentials for glass"] * 3
    described = describe_groups_ctfidf(texts, [0, 1] * 3)
    assert "NMR" in described[0].keywords  # acronyms keep their case
    assert len(described[0].label.split()) >= 2
    assert described[1].label.lower() == "machine learning potentials"


def test_describe_groups_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        describe_groups(["a b"], [0, 1])


# --- the model ----------------------------------------------------------------------------------


def test_sklearn_contract(corpus):
    records, vectors = corpus
    model = TopicModel(n_topics=3, random_state=7)
    assert (model.n_topics, model.random_state) == (3, 7)
    assert not [name for name in vars(model) if name.endswith("_")]
    with pytest.raises(RuntimeError):
        model.transform(vectors)
    assert model.fit(vectors) is model
    fitted = [name for name in vars(model) if name.endswith("_")]
    assert {"labels_", "centres_", "n_topics_", "confidence_"} <= set(fitted)
    again = TopicModel(n_topics=3, random_state=7)
    np.testing.assert_allclose(again.fit_transform(vectors), model.transform(vectors))
    np.testing.assert_array_equal(model.predict(vectors), model.labels_)


@pytest.mark.parametrize("n", [5, 12, 37])
def test_tiny_corpora_place_every_item(fake_embedder, n):
    records = themed_records(n)
    vectors = fake_embedder.encode([r.text for r in records])
    result = compute_topics(records, vectors)
    placed = [m for t in result.topics for m in t.members] + [o.id for o in result.outliers]
    assert sorted(placed) == sorted(r.id for r in records)
    assert all(0.0 <= c <= 1.0 for c in result.confidence)
    if n >= 12:
        assert len(result.topics) >= 3
        # the three themes are recovered exactly
        for topic in result.topics:
            assert len({theme_of(r) for r in records if r.id in topic.members}) == 1


def test_same_input_same_topics_and_labels(corpus):
    records, vectors = corpus
    first, second = compute_topics(records, vectors), compute_topics(records, vectors)
    assert first.topics == second.topics and first.assignments == second.assignments


def test_n_topics_override(corpus):
    records, vectors = corpus
    result = compute_topics(records, vectors, n_topics=2)
    assert len(result.topics) == 2 and "fixed" in result.chosen_by


def test_new_texts_go_to_their_theme(corpus, fake_embedder):
    records, vectors = corpus
    result = compute_topics(records, vectors)
    new = fake_embedder.encode(["crack toughness brittle stress", "boron nmr chemical shift"])
    topics, similarity = result.assign(new)
    for text_topic, theme in zip(topics, ("fracture", "nmr"), strict=True):
        members = result.topics[text_topic].members
        assert all(theme_of(r) == theme for r in records if r.id in members)
    assert (similarity > 0).all()
    far = fake_embedder.encode(["zzz qqq www"])
    assert result.assign(far, allow_outliers=True)[0][0] == OUTLIER
    assert result.assign(far)[0][0] >= 0


def test_hierarchy_and_representatives(fake_embedder):
    records = themed_records(30)
    result = compute_topics(records, fake_embedder.encode([r.text for r in records]), n_topics=6)
    group_ids = {g.id for g in result.groups}
    assert all(t.parent in group_ids for t in result.topics)
    assert sorted(t for g in result.groups for t in g.topic_ids) == [t.id for t in result.topics]
    assert all(set(t.representative_ids) <= set(t.members) for t in result.topics)


def test_save_and_load_round_trip_without_pickle(corpus, tmp_path):
    records, vectors = corpus
    result = compute_topics(records, vectors)
    save_topics(result, tmp_path)
    assert json.loads((tmp_path / "topics.json").read_text())["format_version"] == FORMAT_VERSION
    loaded = load_topics(tmp_path)
    assert loaded.topics == result.topics and loaded.assignments == result.assignments
    np.testing.assert_array_equal(loaded.centres, result.centres)
    np.testing.assert_array_equal(loaded.assign(vectors)[0], result.assign(vectors)[0])


# --- the real corpus ----------------------------------------------------------------------------


@pytest.mark.slow
def test_workshop_corpus_has_several_real_topics(workshop_records, real_embedder):
    vectors = real_embedder.encode([r.text for r in workshop_records])
    result = compute_topics(workshop_records, vectors)
    assert len([t for t in result.topics if t.size >= 3]) >= 3
    assert len({t.label.lower() for t in result.topics}) == len(result.topics)
    assert len(result.outliers) <= len(workshop_records) // 10
    # most machine-learning-potential talks share a topic
    ml = [r.id for r in workshop_records if "learn" in r.title.lower() and "potential" in r.title.lower()]
    shared = max([result.topic_of(i) for i in ml].count(t.id) for t in result.topics)
    assert len(ml) >= 3 and shared >= len(ml) - 1
    # groups a glass scientist expects, confirmed by reading the abstracts: fracture and
    # indentation; cooling rate and how simulated glasses are formed
    assert result.topic_of("T04") == result.topic_of("T20")
    assert result.topic_of("T13") == result.topic_of("T14") == result.topic_of("T19")


# --- the CLI ------------------------------------------------------------------------------------


@pytest.fixture()
def themed_cli(fake_cli):
    """A 12-record themed corpus file, with the CLI pointed at a private index and the fake embedder."""
    from abstract_search.records import write_records

    return write_records(themed_records(12), fake_cli / "themed.jsonl")


def test_cli_topics_json_shape(themed_cli, capsys):
    from abstract_search.cli import main

    assert main(["topics", "--corpus", str(themed_cli), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    data = json.loads(out[0])
    assert {"topics", "outliers"} <= set(data)
    assert all({"id", "label", "keywords", "size", "members"} <= set(t) for t in data["topics"])
    assert sum(t["size"] for t in data["topics"]) + len(data["outliers"]) == 12
    assert main(["topics", "--corpus", str(themed_cli), "--n-topics", "2", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["topics"]) == 2


def test_cli_topics_table_and_bad_k(themed_cli, capsys):
    from abstract_search.cli import main

    assert main(["topics", "--corpus", str(themed_cli)]) == 0
    assert "R00" in capsys.readouterr().out
    assert main(["topics", "--corpus", str(themed_cli), "--n-topics", "0"]) == 2
    assert "n-topics" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_map_writes_standalone_html(themed_cli, tmp_path, capsys):
    from abstract_search.cli import main

    out = tmp_path / "map.html"
    assert main(["map", "--corpus", str(themed_cli), "--out", str(out), "--query", "crack toughness"]) == 0
    html = out.read_text()
    assert "<html>" in html and "fracture study" in html and "crack toughness" in html
    assert main(["map", "--corpus", str(themed_cli), "--out", str(tmp_path / "map.svg")]) == 2


def test_topics_and_the_map_are_saved_as_json_and_npy_only(corpus, tmp_path):
    from abstract_search.topics.corpus import compute_topics, load_topics, save_topics
    from abstract_search.topics.map import compute_layout, load_layout, save_layout

    records, vectors = corpus
    result = compute_topics(records, vectors, random_state=0)
    layout = compute_layout(vectors, random_state=0)
    save_topics(result, tmp_path / "idx")
    save_layout(layout, tmp_path / "idx")
    names = sorted(p.name for p in (tmp_path / "idx").iterdir())
    assert names == ["layout.json", "layout.npy", "topic_centres.npy", "topics.json"]  # no pickle
    assert load_topics(tmp_path / "idx").topics == result.topics
    np.testing.assert_array_equal(load_layout(tmp_path / "idx").coordinates, layout.coordinates)


@pytest.mark.slow
def test_sampled_path_for_big_corpora_is_deterministic(fake_embedder):
    """UMAP fitted on a sample, the count chosen on a sample: what 50,000 abstracts go through."""
    records = themed_records(300)
    vectors = fake_embedder.encode([r.text for r in records])
    options = dict(reduce_from=100, fit_sample=200, silhouette_sample=150, max_topics=8)
    first = TopicModel(random_state=1, **options).fit(vectors)
    second = TopicModel(random_state=1, **options).fit(vectors)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    assert first.n_topics_ >= 3 and (first.labels_ >= 0).mean() > 0.9
