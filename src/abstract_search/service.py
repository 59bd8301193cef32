"""The small API the Streamlit app (and the CLI where it helps) calls: one place that joins the
stages for a corpus (engine, topics, map, plans, ingestion) and keeps derived artifacts on disk.

Topics and the map are computed once per index and stored beside it as JSON/NumPy, tagged with
the corpus hash they came from, so a rebuilt corpus never shows stale topics.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from abstract_search.ingest.tables import FIELDS as TABLE_FIELDS
from abstract_search.ingest.tables import MULTI_FIELDS as TABLE_MULTI_FIELDS
from abstract_search.ingest.upload import (
    AddReport,
    Upload,
    add_corpus,
    apply_review,
    corpus_name_for,
    corrections_path,
    file_sha256,
    read_upload,
    save_corpus,
    table_preview,
)
from abstract_search.plan.request import (
    PlanOutcome,
    PlanRequest,
    make_frame,
    organizers_plan,
    parse_pins,
    parse_unavailable,
    plan_corpus,
    plan_items,
)
from abstract_search.records import DEFAULT_CORPUS, KINDS, Abstract, UserError, corpus_counts, corpus_names
from abstract_search.settings import settings

__all__ = [
    "AddReport",
    "Upload",
    "add_corpus",
    "apply_review",
    "corpus_counts",
    "corpus_name_for",
    "corrections_path",
    "file_sha256",
    "read_upload",
    "save_corpus",
    "table_preview",
    "PlanOutcome",
    "PlanRequest",
    "make_frame",
    "organizers_plan",
    "parse_pins",
    "parse_unavailable",
    "plan_corpus",
    "plan_items",
    "DEFAULT_CORPUS",
    "KINDS",
    "TABLE_FIELDS",
    "TABLE_MULTI_FIELDS",
    "UserError",
]


def available_corpora() -> list[str]:
    """Named corpora (the data folder's and the bundled ones), the default first."""
    return sorted(corpus_names(), key=lambda n: n != DEFAULT_CORPUS)


def open_engine(corpus: str | None = None, model: str | None = None, progress: bool = False, build: str = "stale"):
    """The search engine of a corpus; `build` says when its index is (re)built.

    "stale" (the app, `build`, `plan`): built when missing or out of date; "missing" (`search`,
    `related`): built when missing, and an index of another model or corpus version is refused
    with the command that rebuilds it.
    """
    from abstract_search.search.engine import Engine

    return Engine.open(corpus, model, progress=progress, build=build)


def record(engine, record_id: str) -> Abstract:
    """The record with this id (a KeyError names it when there is none)."""
    return engine.record(record_id)


def search(engine, query: str, top_k: int = 10, **filters):
    from abstract_search.search.fusion import Filters

    return engine.search(query, top_k=top_k, filters=Filters(**filters) if filters else None)


def filter_options(records: Sequence[Abstract]) -> dict[str, list[str]]:
    """The values each exact-match filter can take in this corpus."""
    return {
        "kind": sorted({r.kind for r in records}),
        "date": sorted({r.date for r in records if r.date}),
        "session": sorted({r.session for r in records if r.session}),
        "tag": sorted({t for r in records for t in r.tags}),
    }


MAX_FACET_VALUES = 30  # an extra column with more values than this is not offered as a filter


def facet_options(records: Sequence[Abstract], max_values: int = MAX_FACET_VALUES) -> dict[str, list[str]]:
    """The extra columns that make useful filters (2 to `max_values` values, one shared by two
    records or more: a track, a decision; not a URL) and the values each can take."""
    values: dict[str, dict[str, int]] = {}
    for r in records:
        for column, value in r.extra:
            counts = values.setdefault(column, {})
            counts[value] = counts.get(value, 0) + 1
    return {
        column: sorted(counts)
        for column, counts in values.items()
        if 2 <= len(counts) <= max_values and max(counts.values()) > 1
    }


# --- derived artifacts stored beside the index --------------------------------------------


def _derived_folder(engine, name: str) -> Path:
    from abstract_search.search.index import index_folder

    return index_folder(engine.corpus) / name


def _cached(engine, name: str, key: dict, compute: Callable, save: Callable, load: Callable):
    """Loads an artifact saved for this exact corpus and settings, or computes and saves it atomically."""
    folder = _derived_folder(engine, name)
    stamp = {"corpus_hash": engine.index.manifest.corpus_hash, "model": engine.index.manifest.model, **key}
    try:
        if json.loads((folder / "stamp.json").read_text()) == stamp:
            return load(folder)
    except (OSError, ValueError, KeyError):
        pass
    result = compute()
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{name}."))
    try:
        save(result, tmp)
        (tmp / "stamp.json").write_text(json.dumps(stamp))
        old = folder.with_name(f".{name}.old")
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # a read-only index still serves the computed result
    return result


def _topics_format() -> int:
    from abstract_search.topics.corpus import FORMAT_VERSION

    return FORMAT_VERSION


def corpus_topics(
    engine, n_topics: int | None = None, random_state: int = 0, seeds: Sequence[str] | None = None, edits: bool = True
):
    """Topics of the corpus, with the person's seeds and edits (computed once per corpus version).

    `seeds` None uses the seeds saved for the corpus; `edits` False shows the topics as computed.
    Edits that no longer apply are in the result's `notes`.
    """
    from abstract_search.topics.corpus import compute_topics, load_topics, save_topics
    from abstract_search.topics.edits import apply_edits
    from abstract_search.topics.seeds import clean_seeds, seed_rule

    chosen = topic_settings(engine.corpus)
    seeds = clean_seeds(chosen.seeds if seeds is None else seeds)
    computed = _cached(
        engine,
        f"topics_{n_topics or 'auto'}",
        {
            "n_topics": n_topics,
            "random_state": random_state,
            "seeds": list(seeds),
            "seed_rule": seed_rule() if seeds else None,
            "format": _topics_format(),
        },
        lambda: compute_topics(
            engine.records,
            engine.embeddings,
            n_topics=n_topics,
            random_state=random_state,
            seeds=seeds,
            embed=engine.embed_queries,
        ),
        save_topics,
        load_topics,
    )
    if not edits or not chosen.edits:
        return computed
    edited, notes = apply_edits(computed, chosen.edits, engine.embeddings)
    return dataclasses.replace(edited, notes=notes)


def prepare_browsing(engine, progress: Callable[[str], None] | None = None) -> None:
    """Computes and saves what the Topic map and Topics pages show first (the default topics, with
    the saved seeds and edits, and the map), so the app's first visit only reads them.

    `progress` is told each step's name before it runs (`build` shows them as a progress bar).
    """
    say = progress or (lambda step: None)
    say("topics")
    corpus_topics(engine)
    say("map")
    corpus_layout(engine)


def warm_up(corpus: str | None = None) -> str | None:
    """Opens a corpus's index, topics and map once and lets them go: a server that calls this as it
    starts has imported their code and read their files before its first visitor asks for them.

    Only reads: a corpus whose index is missing or out of date is left to the first visit, which
    builds it and says so. Errors are the first visit's to report: none is raised here, and the
    reason nothing was warmed is returned (None when all was).
    """
    try:
        engine = open_engine(corpus, build="never")
        json.dumps(map_chart(engine).option)
    except Exception as err:  # noqa: BLE001 - a warm-up that fails costs the first visitor time, nothing else
        return f"{type(err).__name__}: {err}"
    return None


def prepare_queries(engine) -> str | None:
    """Loads the query encoder and BM25 fields of an open engine (the Search page calls it in the
    background while the person types). Returns why it could not (the query reports it), or None."""
    try:
        engine.prepare_queries()
    except Exception as err:  # noqa: BLE001 - the first query meets the same error and reports it
        return f"{type(err).__name__}: {err}"
    return None


# --- a person's seeds and edits of the topics, saved beside the corpus -------------------


def topic_settings(corpus: str):
    """The seeds and edits saved for a corpus (data/NAME.topics.json; none when absent)."""
    from abstract_search.topics.edits import load_topic_settings, settings_path

    return load_topic_settings(settings_path(settings().data_dir, corpus))


def _save_topic_settings(corpus: str, chosen):
    from abstract_search.topics.edits import save_topic_settings, settings_path

    save_topic_settings(chosen, settings_path(settings().data_dir, corpus))
    return chosen


def set_topic_seeds(corpus: str, seeds: Sequence[str]):
    """Saves the seed topics of a corpus (an empty list removes them); its edits are kept."""
    from abstract_search.topics.seeds import clean_seeds

    return _save_topic_settings(corpus, dataclasses.replace(topic_settings(corpus), seeds=clean_seeds(seeds)))


def _add_edit(corpus: str, edit):
    chosen = topic_settings(corpus)
    return _save_topic_settings(corpus, dataclasses.replace(chosen, edits=(*chosen.edits, edit)))


def rename_topic(corpus: str, topic, label: str):
    """Saves a new name for a topic (a Topic of the current result)."""
    from abstract_search.topics.edits import TopicEdit

    if not label.strip():
        raise UserError("a topic needs a name: the new name is empty")
    return _add_edit(corpus, TopicEdit("rename", topic=topic.members, label=label.strip()))


def merge_topics(corpus: str, topic, into):
    """Saves merging `topic` into `into` (both Topics of the current result)."""
    from abstract_search.topics.edits import TopicEdit

    if topic.id == into.id:
        raise UserError("choose two different topics to merge")
    return _add_edit(corpus, TopicEdit("merge", topic=topic.members, into=into.members))


def move_to_topic(corpus: str, record_id: str, into):
    """Saves moving one record into topic `into` (a Topic of the current result)."""
    from abstract_search.topics.edits import TopicEdit

    return _add_edit(corpus, TopicEdit("move", item=record_id, into=into.members))


def clear_topic_edits(corpus: str):
    """Forgets every edit of a corpus's topics (its seeds stay)."""
    return _save_topic_settings(corpus, dataclasses.replace(topic_settings(corpus), edits=()))


def corpus_layout(engine, random_state: int = 0):
    """The 2-D map of the corpus (computed once per corpus version)."""
    from abstract_search.topics.map import compute_layout, load_layout, save_layout

    return _cached(
        engine,
        "map",
        {"random_state": random_state},
        lambda: compute_layout(engine.embeddings, random_state=random_state),
        save_layout,
        load_layout,
    )


def export_plan_text(plan, items: Sequence[Abstract], suffix: str) -> str:
    """A plan as the text of a .csv, .json, .md or .ics file (what the download buttons serve)."""
    from abstract_search.plan.schedule import EXPORTERS

    return EXPORTERS[suffix](plan, items)


# --- the map -------------------------------------------------------------------------------


def map_figure(
    engine, n_topics: int | None = None, query: str = "", top_k: int = 10, random_state: int = 0, topics=None
):
    """The topic map of a corpus as a plotly figure (for files); a query's hits are ringed and the
    query is placed. `topics` (a TopicResult) colours the map; default: `corpus_topics(engine, n_topics)`.
    """
    from abstract_search.topics.plots import topic_map_figure

    items = _map_items(engine, n_topics, query, top_k, random_state, topics)
    return topic_map_figure(items, title=f"Topic map of {engine.corpus}")


def map_chart(
    engine, n_topics: int | None = None, query: str = "", top_k: int = 10, random_state: int = 0, topics=None
):
    """The same map as an ECharts option for the app (a `plots.MapChart`: a click's item is found
    with its `row_of`)."""
    from abstract_search.topics.plots import topic_map_chart

    return topic_map_chart(_map_items(engine, n_topics, query, top_k, random_state, topics))


def _map_items(engine, n_topics, query, top_k, random_state, topics):
    """What both drawings of the map show (a `plots.MapItems`)."""
    from abstract_search.topics.map import place_on_map
    from abstract_search.topics.plots import MapItems

    topics = topics or corpus_topics(engine, n_topics, random_state)
    layout = corpus_layout(engine, random_state)
    names = {t.id: t.label for t in topics.topics}
    query_points, hits = None, []
    if query.strip():
        found = search(engine, query, top_k=top_k)
        row_of = {r.id: i for i, r in enumerate(engine.records)}
        hits = [row_of[h.id] for h in found]
        query_points = place_on_map(engine.embed_queries([query]), engine.embeddings, layout)
    return MapItems(
        coordinates=layout.coordinates,
        topic_names=[names.get(t, "outlier") for t in topics.assignments],
        titles=[r.title for r in engine.records],
        speakers=["; ".join(r.speakers) for r in engine.records],
        item_ids=[r.id for r in engine.records],
        hits=hits,
        query_points=query_points,
        query_labels=[query] if query.strip() else (),
    )
