"""The review step: an organizer's fixes to the records the parser read from a book.

A fix is kept as a `Correction` and saved beside the corpus, so that reading the same book
again (with a better parser, or after a rebuild) gives the organizer's records back. A
correction names its record by what the parser produced, its title and pages, not by its id:
ids are numbers the parser hands out and shift when it finds one more entry, while a title on
a page stays where it is. Re-applied corrections that find no record are reported, never
applied to a guess.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from abstract_search.records import KINDS, Abstract, CorpusError, write_atomically

# The fields an organizer may change, in the order the review table shows them.
EDITABLE = ("title", "speakers", "kind", "session", "date", "start", "end", "abstract")
# The columns of the review table (`keep` unticked drops the record; id and pages are read-only).
REVIEW_COLUMNS = ("keep", "id", "kind", "title", "speakers", "session", "date", "start", "pages")
# rapidfuzz ratio (0-100) of normalised titles above which a saved correction still names a
# record. A title read again with a hyphenation joined, a ligature or a word more or less
# scores above 90; two different titles of the workshop book score at most 76.
MATCH_THRESHOLD = 85.0
FORMAT_VERSION = 1

_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Correction:
    """An organizer's fix to one parsed record: drop it, or change some of its fields.

    Attributes:
        original_title: the title as the parser read it (how the record is found again).
        pages: the record's pages as the parser read them ("12", "12-13" or "").
        drop: leave the record out of the corpus.
        changes: (field, new value) pairs; speakers are one string, "A; B".
    """

    original_title: str
    pages: str
    drop: bool = False
    changes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name, value in self.changes:
            problem = _value_problem(name, value)
            if problem:
                raise CorpusError(f"correction for {self.where}: {problem}")

    @property
    def where(self) -> str:
        """The record it names, for messages: 'Old title' (p. 12)."""
        if not self.pages:
            return f"'{self.original_title}'"
        return f"'{self.original_title}' ({'pp' if '-' in self.pages else 'p'}. {self.pages})"


def _value_problem(name: str, value: str) -> str:
    """Why a new value cannot go into a field ("" when it can)."""
    if name not in EDITABLE:
        return f"field {name!r} cannot be edited; editable: {', '.join(EDITABLE)}"
    if not isinstance(value, str):
        return f"{name} must be text, got {type(value).__name__}"
    if name == "title" and not value.strip():
        return "the title cannot be empty (untick keep to drop the record)"
    if name == "kind" and value not in KINDS:
        return f"kind {value!r} is not one of {', '.join(KINDS)}"
    if name == "date" and value and not _is_iso_date(value):
        return f"date {value!r} is not a date as YYYY-MM-DD"
    if name in ("start", "end") and value and not _TIME.fullmatch(value):
        return f"{name} {value!r} is not a time as HH:MM (24-hour)"
    return ""


def _is_iso_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


# --- the review table ---------------------------------------------------------------------


def split_speakers(text: str) -> tuple[str, ...]:
    """'A;  B; ' as ('A', 'B'): the review table shows speakers as one string."""
    return tuple(name for name in (part.strip() for part in text.split(";")) if name)


def _shown(record: Abstract, name: str) -> str:
    """A field of a record as the review table shows it."""
    value = getattr(record, name)
    return "; ".join(value) if name == "speakers" else value


def _cell(name: str, value: object) -> str:
    """A cell the data editor returned, as the text a correction stores (a cleared cell is '')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    text = str(value).strip()
    return "; ".join(split_speakers(text)) if name == "speakers" else text


def review_rows(parsed: Sequence[Abstract], corrections: Sequence[Correction] = ()) -> list[dict]:
    """One row per parsed record for the data editor, with saved corrections already applied."""
    matched, _ = match_corrections(parsed, corrections)
    rows = []
    for index, record in enumerate(parsed):
        correction = matched.get(index)
        shown = _corrected(record, correction) if correction else record
        row = {"keep": not (correction and correction.drop), "id": record.id}
        row.update({name: shown.pages if name == "pages" else _shown(shown, name) for name in REVIEW_COLUMNS[2:]})
        rows.append(row)
    return rows


def diff_corrections(parsed: Sequence[Abstract], edited_rows: Sequence[dict]) -> list[Correction]:
    """The corrections that turn the parsed records into the edited table (one row per record).

    Only real changes count: a cell left as it was, or differing only in surrounding spaces,
    is no correction. A row whose `keep` is unticked is a drop.
    """
    if len(parsed) != len(edited_rows):
        raise CorpusError(
            f"the review table has {len(edited_rows)} rows for {len(parsed)} records; read the file again"
        )
    corrections = []
    for number, (record, row) in enumerate(zip(parsed, edited_rows, strict=True), start=1):
        if "id" in row and row["id"] != record.id:
            raise CorpusError(
                f"review row {number} is record {row['id']!r}, expected {record.id!r}; read the file again"
            )
        if row.get("keep") is not None and not row["keep"]:
            corrections.append(Correction(record.title, record.pages, drop=True))
            continue
        changes = tuple(
            (name, new) for name in EDITABLE if name in row and (new := _cell(name, row[name])) != _shown(record, name)
        )
        if changes:
            corrections.append(Correction(record.title, record.pages, changes=changes))
    return corrections


# --- re-applying ---------------------------------------------------------------------------


def _normalised(title: str) -> str:
    """A title for fuzzy comparison: NFKC (ligatures), lower case, punctuation and runs of spaces gone."""
    return " ".join(default_process(unicodedata.normalize("NFKC", title)).split())


def match_corrections(
    records: Sequence[Abstract], corrections: Sequence[Correction]
) -> tuple[dict[int, Correction], list[str]]:
    """Which record (by position) each correction names, and a line for each that names none.

    A correction names the record with the same pages whose title is most similar to its
    original title, if that similarity reaches MATCH_THRESHOLD and no other record is as similar.
    """
    titles = [_normalised(r.title) for r in records]
    matched: dict[int, Correction] = {}
    notes = []
    for correction in corrections:
        wanted = _normalised(correction.original_title)
        scored = sorted(
            ((fuzz.ratio(wanted, titles[i]), i) for i, r in enumerate(records) if r.pages == correction.pages),
            reverse=True,
        )
        scored = [(score, i) for score, i in scored if score >= MATCH_THRESHOLD]
        if not scored:
            notes.append(f"correction for {correction.where} no longer matches a record; not applied")
        elif len(scored) > 1 and scored[1][0] == scored[0][0]:
            notes.append(f"correction for {correction.where} matches several records equally well; not applied")
        elif scored[0][1] in matched:
            other = matched[scored[0][1]]
            notes.append(f"correction for {correction.where} names the same record as {other.where}; not applied")
        else:
            matched[scored[0][1]] = correction
    return dict(sorted(matched.items())), notes


def _corrected(record: Abstract, correction: Correction) -> Abstract:
    values = {name: split_speakers(value) if name == "speakers" else value for name, value in correction.changes}
    return dataclasses.replace(record, **values)


def apply_corrections(
    records: Sequence[Abstract], corrections: Sequence[Correction]
) -> tuple[list[Abstract], list[str]]:
    """The records with each correction re-applied, and a line for each correction that no longer applies."""
    matched, notes = match_corrections(records, corrections)
    out = []
    for index, record in enumerate(records):
        correction = matched.get(index)
        if correction is None:
            out.append(record)
        elif not correction.drop:
            out.append(_corrected(record, correction))
    return out, notes


# --- the corrections file ------------------------------------------------------------------


def save_corrections(path: str | Path, corrections: Sequence[Correction], book_sha256: str) -> Path:
    """Writes corrections as small, indented JSON, atomically; `book_sha256` is the book they fix."""
    items = []
    for c in corrections:
        item: dict = {"original_title": c.original_title, "pages": c.pages}
        if c.drop:
            item["drop"] = True
        if c.changes:
            item["changes"] = dict(c.changes)
        items.append(item)
    document = {"format": FORMAT_VERSION, "book_sha256": book_sha256, "corrections": items}
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return write_atomically(path, lambda handle: handle.write(text.encode("utf-8")))


def load_corrections(path: str | Path) -> tuple[str, list[Correction]]:
    """Reads a corrections file: (the SHA-256 of the book they fix, the corrections)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise CorpusError(f"{path}: cannot read ({err.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CorpusError(f"{path}: not a JSON corrections file ({err})") from None
    if not isinstance(document, dict) or set(document) != {"format", "book_sha256", "corrections"}:
        raise CorpusError(f"{path}: expected an object with keys format, book_sha256, corrections")
    if document["format"] != FORMAT_VERSION:
        raise CorpusError(f"{path}: format {document['format']!r}; this version reads format {FORMAT_VERSION}")
    if not isinstance(document["book_sha256"], str) or not isinstance(document["corrections"], list):
        raise CorpusError(f"{path}: book_sha256 must be a string and corrections a list")
    corrections = [
        _correction_from_json(item, f"{path}: correction {n}") for n, item in enumerate(document["corrections"], 1)
    ]
    return document["book_sha256"], corrections


def _correction_from_json(item: object, where: str) -> Correction:
    known = {"original_title", "pages", "drop", "changes"}
    if not isinstance(item, dict) or not set(item) <= known or "original_title" not in item:
        raise CorpusError(f"{where}: expected an object with original_title and optional {', '.join(sorted(known))}")
    title, pages, drop, changes = (
        item["original_title"],
        item.get("pages", ""),
        item.get("drop", False),
        item.get("changes", {}),
    )
    if not isinstance(title, str) or not isinstance(pages, str) or not isinstance(drop, bool):
        raise CorpusError(f"{where}: original_title and pages must be strings and drop true or false")
    if not isinstance(changes, dict):
        raise CorpusError(f"{where}: changes must be an object of field: new value")
    try:
        return Correction(title, pages, drop, tuple(changes.items()))
    except CorpusError as err:
        raise CorpusError(f"{where}: {err}") from None
