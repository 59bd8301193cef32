"""Steering topics: seed topics, and a person's edits (rename, merge, move) that survive a rebuild."""

from __future__ import annotations

import json

import numpy as np
import pytest

from abstract_search.records import Abstract, CorpusError, write_records
from abstract_search.topics.corpus import compute_topics
from abstract_search.topics.edits import (
    TopicEdit,
    TopicSettings,
    apply_edits,
    load_topic_settings,
    save_topic_settings,
)
from abstract_search.topics.seeds import NO_SEED, clean_seeds, match_seeds
from tests.test_topics import THEMES, theme_of, themed_records

# --- seeds: the rule on hand-made vectors ----------------------------------------------------


def test_an_item_joins_the_seed_it_is_clearly_about():
    mean = np.zeros(3)
    items = np.array([[1.0, 0.1, 0.0], [0.0, 1.0, 0.0], [0.7, 0.7, 0.0], [0.0, 0.0, 1.0]])
    seeds = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    found = match_seeds(items, seeds, mean, min_similarity=0.5, margin=0.1)
    # item 2 is as close to both seeds (a tie is not "clearly"), item 3 is about neither
    assert found.assignments.tolist() == [0, 1, NO_SEED, NO_SEED]
    assert found.best == pytest.approx([1 / np.sqrt(1.01), 1.0], abs=1e-6)  # item 0 has a bit of y


def test_the_corpus_mean_is_removed_before_comparing():
    # Every item shares direction x (the field everyone works in); the seed is x itself plus a bit of y.
    items = np.array([[1.0, 0.2, 0.0], [1.0, -0.2, 0.0], [1.0, 0.0, 0.2]])
    mean = (items / np.linalg.norm(items, axis=1, keepdims=True)).mean(axis=0)
    seed = np.array([[1.0, 0.3, 0.0]])
    raw = match_seeds(items, seed, np.zeros(3), min_similarity=0.85, margin=0.0).assignments
    centred = match_seeds(items, seed, mean, min_similarity=0.85, margin=0.0).assignments
    assert raw.tolist() == [0, 0, 0]  # raw cosine: everything is "about" the field
    assert centred.tolist() == [0, NO_SEED, NO_SEED]  # only the item leaning towards y


def test_clean_seeds_drops_blank_and_repeated_names_keeping_order():
    assert clean_seeds(["  NMR ", "", "glass  ceramics", "nmr", "ML"]) == ("NMR", "glass ceramics", "ML")


def test_seeded_topics_come_first_and_the_rest_is_clustered(fake_embedder):
    records = themed_records(18)
    vectors = fake_embedder.encode([r.text for r in records])
    result = compute_topics(records, vectors, seeds=[THEMES["nmr"]], embed=fake_embedder.encode)
    seeded = result.topics[0]
    assert seeded.seed == seeded.label == THEMES["nmr"]
    assert {theme_of(r) for r in records if r.id in seeded.members} == {"nmr"}
    assert seeded.size == 6
    others = [t for t in result.topics[1:]]
    assert others and all(not t.seed for t in others)
    assert sum(t.size for t in result.topics) + len(result.outliers) == 18
    assert "1 seed topic" in result.chosen_by


def test_a_seed_nothing_is_about_is_reported_not_kept_empty(fake_embedder):
    records = themed_records(12)
    vectors = fake_embedder.encode([r.text for r in records])
    result = compute_topics(
        records, vectors, seeds=["volcanic ash plumes", THEMES["fracture"]], embed=fake_embedder.encode
    )
    assert [t.seed for t in result.topics if t.seed] == [THEMES["fracture"]]
    assert len(result.unmatched_seeds) == 1 and "volcanic ash plumes" in result.unmatched_seeds[0]


def test_seeds_need_the_text_encoder(fake_embedder):
    records = themed_records(6)
    with pytest.raises(ValueError, match="embed"):
        compute_topics(records, fake_embedder.encode([r.text for r in records]), seeds=["nmr"])


@pytest.mark.slow
def test_workshop_seed_topics_with_the_real_model(workshop_records, real_embedder):
    vectors = real_embedder.encode([r.text for r in workshop_records])
    seeds = ["glass-ceramics", "machine learning", "medieval poetry"]
    result = compute_topics(workshop_records, vectors, seeds=seeds, embed=real_embedder.encode)
    by_seed = {t.seed: t for t in result.topics if t.seed}
    titles = {r.id: r.title.lower() for r in workshop_records}
    # the talk whose title says glass-ceramics is in that topic, and the topic is about it
    ceramics = [i for i, t in titles.items() if "glass-ceramic" in t]
    assert ceramics and set(by_seed["glass-ceramics"].members) == set(ceramics)
    learning = by_seed["machine learning"].members
    assert len(learning) >= 3 and all("machine" in titles[m] and "learn" in titles[m] for m in learning), learning
    assert "medieval poetry" not in by_seed
    assert any("medieval poetry" in note for note in result.unmatched_seeds)


# --- edits: applied to a hand-made result ------------------------------------------------------


@pytest.fixture()
def themed_topics(fake_embedder):
    records = themed_records(12)
    vectors = fake_embedder.encode([r.text for r in records])
    result = compute_topics(records, vectors, n_topics=3)
    by_theme = {theme_of(next(r for r in records if r.id == t.members[0])): t for t in result.topics}
    assert len(by_theme) == 3  # the fixture's premise: one topic per theme
    return records, vectors, result, by_theme


def test_rename_merge_and_move(themed_topics):
    records, vectors, result, by_theme = themed_topics
    nmr, fracture, potentials = by_theme["nmr"], by_theme["fracture"], by_theme["potentials"]
    mover = potentials.members[0]
    edits = [
        TopicEdit("rename", topic=nmr.members, label="Solid-state NMR"),
        TopicEdit("merge", topic=fracture.members, into=nmr.members),
        TopicEdit("move", item=mover, into=nmr.members),
    ]
    edited, notes = apply_edits(result, edits, vectors)
    assert notes == ()
    assert len(edited.topics) == 2
    merged = next(t for t in edited.topics if t.label == "Solid-state NMR")
    assert set(merged.members) == set(nmr.members) | set(fracture.members) | {mover}
    assert merged.size == len(merged.members) == 9
    rest = next(t for t in edited.topics if t is not merged)
    assert set(rest.members) == set(potentials.members) - {mover}
    assert [t.id for t in edited.topics] == [0, 1]  # ids stay 0..n-1
    assert edited.topic_of(mover) == merged.id
    assert edited.centres.shape[0] == 2 and len(edited.floors) == 2
    assert sorted(i for g in edited.groups for i in g.topic_ids) == [0, 1]


def test_edits_on_topics_that_are_gone_are_reported(themed_topics):
    _, vectors, result, by_theme = themed_topics
    stale = [
        TopicEdit("rename", topic=("X1", "X2", "X3"), label="Gone"),
        TopicEdit("move", item="NOT-A-RECORD", into=by_theme["nmr"].members),
        TopicEdit("merge", topic=by_theme["nmr"].members, into=by_theme["nmr"].members),
    ]
    edited, notes = apply_edits(result, stale, vectors)
    assert len(notes) == 3
    assert "no topic has most of its items" in notes[0]
    assert "NOT-A-RECORD is no longer in the corpus" in notes[1]
    assert "now one" in notes[2]
    assert [t.members for t in edited.topics] == [t.members for t in result.topics]


def test_an_edit_finds_its_topic_when_the_topic_has_changed_a_little(themed_topics):
    _, _, result, by_theme = themed_topics
    members = by_theme["nmr"].members
    changed = (*members[:-1], "SOMEONE-NEW")  # 3 of 5 shared: Jaccard 0.6, the same topic
    edited, notes = apply_edits(result, [TopicEdit("rename", topic=changed, label="NMR")])
    assert notes == () and next(t for t in edited.topics if t.members == members).label == "NMR"
    far = (members[0], "A", "B", "C")  # 1 of 7: another topic
    assert len(apply_edits(result, [TopicEdit("rename", topic=far, label="NMR")])[1]) == 1


def test_settings_round_trip_and_a_broken_file_is_a_clear_error(tmp_path):
    path = tmp_path / "meeting.topics.json"
    assert load_topic_settings(path) == TopicSettings()
    chosen = TopicSettings(("NMR",), (TopicEdit("move", item="T1", into=("T2", "T3")),))
    save_topic_settings(chosen, path)
    assert load_topic_settings(path) == chosen
    assert json.loads(path.read_text())["edits"][0] == {
        "action": "move",
        "topic": [],
        "label": "",
        "into": ["T2", "T3"],
        "item": "T1",
    }
    path.write_text('{"format_version": 1, "edits": [{"action": "explode"}]}')
    with pytest.raises(CorpusError, match="meeting.topics.json"):
        load_topic_settings(path)


# --- persisted through the service: seeds and edits survive a rebuild --------------------------


def test_edits_and_seeds_survive_a_rebuild_and_stale_ones_are_reported(fake_cli, fake_embedder):
    from abstract_search import service

    path = write_records(themed_records(12), fake_cli / "themed.jsonl")
    engine = service.open_engine(str(path))
    topics = service.corpus_topics(engine, 3)
    nmr = next(
        t
        for t in topics.topics
        if all(m in {r.id for r in themed_records(12) if theme_of(r) == "nmr"} for m in t.members)
    )
    service.rename_topic(engine.corpus, nmr, "My topic")
    service.set_topic_seeds(engine.corpus, [THEMES["potentials"]])
    saved = json.loads((service.settings().data_dir / f"{engine.corpus}.topics.json").read_text())
    assert saved["seeds"] == [THEMES["potentials"]] and saved["edits"][0]["label"] == "My topic"

    # Rebuild with two more records: the topics are recomputed, the edit finds its topic again.
    records = themed_records(12) + [
        Abstract(id="NEW1", title="nmr study extra", abstract=THEMES["nmr"]),
        Abstract(id="NEW2", title="fracture study extra", abstract=THEMES["fracture"]),
    ]
    write_records(records, path)
    engine = service.open_engine(str(path))
    again = service.corpus_topics(engine, 2)
    assert again.topics[0].seed == again.topics[0].label == THEMES["potentials"]
    renamed = [t for t in again.topics if t.label == "My topic"]
    assert again.notes == () and len(renamed) == 1
    assert set(renamed[0].members) == set(nmr.members) | {"NEW1"}
    assert "My topic" not in [t.label for t in service.corpus_topics(engine, 2, edits=False).topics]

    # A rename whose topic is gone from the corpus is reported, not silently dropped.
    write_records(records[:2], path)
    engine = service.open_engine(str(path))
    last = service.corpus_topics(engine, 1, seeds=[])
    assert any("not applied" in note for note in last.notes)
    service.clear_topic_edits(engine.corpus)
    assert service.topic_settings(engine.corpus).edits == ()


def test_cli_seeds_in_json_and_saved_seeds(fake_cli, capsys):
    from abstract_search import service
    from abstract_search.cli import main

    path = write_records(themed_records(12), fake_cli / "themed.jsonl")
    args = ["topics", "--corpus", str(path), "--json"]
    assert main([*args, "--seed", THEMES["nmr"], "--seed", "volcanic ash plumes"]) == 0
    data = json.loads(capsys.readouterr().out)
    seeded = [t for t in data["topics"] if "seed" in t]
    assert [t["seed"] for t in seeded] == [THEMES["nmr"]] and seeded[0]["size"] == 4
    assert all({"id", "label", "keywords", "size", "members"} <= set(t) for t in data["topics"])
    assert "volcanic ash plumes" in data["unmatched_seeds"][0]
    assert service.topic_settings("themed").seeds == ()  # a run's seeds are not saved unless asked
    assert main([*args, "--seed", THEMES["nmr"], "--save-seeds"]) == 0
    capsys.readouterr()
    assert service.topic_settings("themed").seeds == (THEMES["nmr"],)
    assert main(args) == 0  # the saved seeds are used
    assert [t.get("seed") for t in json.loads(capsys.readouterr().out)["topics"]][0] == THEMES["nmr"]
    assert main([*args, "--no-seeds"]) == 0
    assert not any("seed" in t for t in json.loads(capsys.readouterr().out)["topics"])
    assert main([*args, "--no-seeds", "--seed", "x"]) == 2
