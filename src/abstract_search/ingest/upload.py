"""Bringing a corpus: read a file for review, re-apply the corrections saved for that very file,
and save the reviewed records as data/NAME.jsonl with its index. The app's Corpus page and
`abstract-search ingest` reach these through `service`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
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
from abstract_search.records import DEFAULT_CORPUS, Abstract, UserError, corpus_counts, write_records
from abstract_search.settings import settings

if TYPE_CHECKING:
    from abstract_search.ingest import IngestResult


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
    from abstract_search.search.engine import Engine

    Engine.open(name, None, progress=False, build="stale")
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
