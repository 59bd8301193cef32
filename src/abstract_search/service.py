"""The small API the Streamlit app (and the CLI where it helps) calls: one place that joins the
stages for a corpus (engine, topics, map, plans, ingestion) and keeps derived artifacts on disk.

Topics and the map are computed once per index and stored beside it as JSON/NumPy, tagged with
the corpus hash they came from, so a rebuilt corpus never shows stale topics.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from abstract_search.ingest.review import (
    Correction,
    apply_corrections,
    diff_corrections,
    load_corrections,
    match_corrections,
    review_rows,
    save_corrections,
)
from abstract_search.ingest.tables import FIELDS as TABLE_FIELDS
from abstract_search.ingest.tables import MULTI_FIELDS as TABLE_MULTI_FIELDS
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
from abstract_search.records import DEFAULT_CORPUS, KINDS, Abstract, UserError, corpus_names, write_records
from abstract_search.settings import settings

if TYPE_CHECKING:
    from abstract_search.ingest import IngestResult


__all__ = [
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


def corpus_counts(records: Sequence[Abstract]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        counts[record.kind] = counts.get(record.kind, 0) + 1
    return counts


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


def corpus_topics(engine, n_topics: int | None = None, random_state: int = 0):
    """Topics of the corpus (computed once per corpus version and topic count)."""
    from abstract_search.topics.corpus import compute_topics, load_topics, save_topics

    return _cached(
        engine,
        f"topics_{n_topics or 'auto'}",
        {"n_topics": n_topics, "random_state": random_state, "format": _topics_format()},
        lambda: compute_topics(engine.records, engine.embeddings, n_topics=n_topics, random_state=random_state),
        save_topics,
        load_topics,
    )


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


# --- bringing a corpus ---------------------------------------------------------------------


@dataclass(frozen=True)
class AddReport:
    name: str
    summary: str
    warnings: tuple[str, ...]
    skipped: tuple[str, ...]
    corrections: int = 0  # review corrections saved with the corpus


@dataclass(frozen=True)
class Upload:
    """A file read for review: the parser's records and report, and the saved corrections that apply.

    `result.records` are the records as the parser read them, before any correction: the review
    table's edits are compared to them, so the corrections saved always start from the parser.
    """

    name: str
    result: IngestResult
    book_sha256: str
    corrections: tuple[Correction, ...] = ()  # saved corrections that still name a record
    notes: tuple[str, ...] = ()  # saved corrections not applied, and why

    @property
    def records(self) -> list[Abstract]:
        """The parsed records with the saved corrections applied."""
        return apply_corrections(self.result.records, self.corrections)[0]

    def review_rows(self) -> list[dict]:
        """One row per parsed record for the review table, saved corrections applied."""
        return review_rows(self.result.records, self.corrections)


def corpus_name_for(filename: str) -> str:
    """A corpus name from a file name: letters, digits, '-' and '_' only."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(filename).stem).strip("-_").lower()
    return stem or "my-corpus"


def table_preview(data: bytes, filename: str, sheet: str | None = None):
    """An uploaded table's columns, how it was read and the guessed mapping: the import's own reader."""
    from abstract_search.ingest.tables import SUFFIXES, preview_table

    path = Path(filename)
    if path.suffix.lower() not in SUFFIXES:
        raise UserError(f"{path.name}: not a table; use one of {', '.join(SUFFIXES)}")
    return preview_table(path, data, sheet)


def corrections_path(name: str) -> Path:
    """Where the review corrections of a corpus live: data/NAME.corrections.json."""
    return settings().data_dir / f"{name}.corrections.json"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes: corrections are re-applied only to the book they were made on."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked_name(name: str) -> str:
    name = corpus_name_for(name)
    if name == DEFAULT_CORPUS:
        raise UserError(f"{DEFAULT_CORPUS!r} is the bundled corpus; choose another name")
    return name


def _saved_corrections(name: str, sha256: str, records: Sequence[Abstract]) -> tuple[list[Correction], list[str]]:
    """The saved corrections of corpus `name` that apply to this book, and notes on those that do not."""
    path = corrections_path(name)
    if not path.is_file():
        return [], []
    saved_sha256, saved = load_corrections(path)
    if saved_sha256 != sha256:
        return [], [f"{path.name} holds {len(saved)} correction(s) made for another file; not applied"]
    matched, notes = match_corrections(records, saved)
    return list(matched.values()), notes


def read_upload(
    path: Path,
    program: Path | None = None,
    columns: dict | None = None,
    *,
    name: str | None = None,
    sheet: str | None = None,
    skip_bad_rows: bool = False,
) -> Upload:
    """Reads a file for review and finds the corrections saved for this very file under `name`.

    `name` (default: from the file name) is the corpus it will be saved as. Errors are
    UserErrors: CorpusError is one, so the reader's messages reach the person unchanged.
    """
    from abstract_search.ingest import ingest_file

    result = ingest_file(path, program=program, columns=columns or {}, sheet=sheet, skip_bad_rows=skip_bad_rows)
    name = corpus_name_for(name or path.name)
    sha256 = file_sha256(path)
    corrections, notes = _saved_corrections(name, sha256, result.records)
    return Upload(name, result, sha256, tuple(corrections), tuple(notes))


def apply_review(upload: Upload, edited_rows: Sequence[dict]) -> tuple[list[Abstract], list[Correction]]:
    """The records and corrections the edited review table stands for (a UserError for a bad cell)."""
    corrections = diff_corrections(upload.result.records, edited_rows)
    records, _ = apply_corrections(upload.result.records, corrections)
    return records, corrections


def save_corpus(
    name: str,
    records: Sequence[Abstract],
    corrections: Sequence[Correction] = (),
    book_sha256: str = "",
    progress: Callable[[float, str], None] | None = None,
) -> AddReport:
    """Writes data/NAME.jsonl and its corrections file, then builds the index.

    No corrections, no file: a stale file from an earlier book of that name is removed.
    """
    say = progress or (lambda fraction, text: None)
    name = _checked_name(name)
    if not records:
        raise UserError("no record is kept; keep at least one")
    write_records(records, settings().data_dir / f"{name}.jsonl")
    if corrections and book_sha256:
        save_corrections(corrections_path(name), corrections, book_sha256)
    else:
        corrections_path(name).unlink(missing_ok=True)
    say(0.4, f"Saved {len(records)} records; embedding them…")
    open_engine(name)
    say(1.0, "Index built")
    counts = ", ".join(f"{n} {k}s" for k, n in corpus_counts(records).items())
    return AddReport(name, counts, (), (), len(corrections) if book_sha256 else 0)


def add_corpus(
    path: Path,
    name: str,
    columns: dict | None = None,
    progress: Callable[[float, str], None] | None = None,
    *,
    sheet: str | None = None,
    skip_bad_rows: bool = False,
) -> AddReport:
    """Ingests a file as data/NAME.jsonl and builds its index, without a review.

    Corrections saved for this very file are re-applied; the default corpus is never replaced.
    A table is strict unless `skip_bad_rows` (then the rows left out are in the report).
    """
    say = progress or (lambda fraction, text: None)
    name = _checked_name(name)
    say(0.1, "Reading and checking the file…")
    upload = read_upload(path, None, columns, name=name, sheet=sheet, skip_bad_rows=skip_bad_rows)
    report = save_corpus(name, upload.records, upload.corrections, upload.book_sha256, progress)
    return dataclasses.replace(
        report,
        summary=f"{report.summary}; {len(upload.result.skipped)} row(s) skipped",
        warnings=(*upload.result.warnings, *upload.notes),
        skipped=tuple(upload.result.skipped),
    )


def export_plan_text(plan, items: Sequence[Abstract], suffix: str) -> str:
    """A plan as the text of a .csv, .json, .md or .ics file (what the download buttons serve)."""
    from abstract_search.plan.schedule import EXPORTERS

    return EXPORTERS[suffix](plan, items)


# --- the map -------------------------------------------------------------------------------


def map_figure(engine, n_topics: int | None = None, query: str = "", top_k: int = 10, random_state: int = 0):
    """The topic map of a corpus as a plotly figure; a query's hits are ringed and the query is placed."""
    from abstract_search.topics.map import place_on_map
    from abstract_search.topics.plots import topic_map_figure

    topics = corpus_topics(engine, n_topics, random_state)
    layout = corpus_layout(engine, random_state)
    names = {t.id: t.label for t in topics.topics}
    query_points, hits = None, []
    if query.strip():
        found = search(engine, query, top_k=top_k)
        row_of = {r.id: i for i, r in enumerate(engine.records)}
        hits = [row_of[h.id] for h in found]
        query_points = place_on_map(engine.embed_queries([query]), engine.embeddings, layout)
    return topic_map_figure(
        layout.coordinates,
        [names.get(t, "outlier") for t in topics.assignments],
        [r.title for r in engine.records],
        ["; ".join(r.speakers) for r in engine.records],
        item_ids=[r.id for r in engine.records],
        hits=hits,
        query_points=query_points,
        query_labels=[query] if query.strip() else (),
        title=f"Topic map of {engine.corpus}",
    )
