"""Which column feeds which record field: what the person said, else a guess from the header.

A guess is only a guess: it is shown in the report (and in the app's column mapping) so a
person can confirm or change it, and a guess for a typed field (kind, number, date, start,
end) is taken only when every cell of the column reads as that type; otherwise the column
stays an extra column and the report says why. Columns no field takes are kept as extra
columns, and so is a tag column that holds one value per row (a track, a topic): the tags
say what an item is about, the column keeps which facet said it, so a track can be a filter
and a `--within` group. A list column (keywords) is in the tags only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from abstract_search.ingest.tables.reading import RawTable
from abstract_search.ingest.tables.values import (
    DateOrder,
    list_split,
    parse_date,
    parse_kind,
    parse_number,
    parse_time,
)
from abstract_search.records import CorpusError

FIELDS = (
    "title",
    "abstract",
    "speakers",
    "affiliations",
    "id",
    "kind",
    "number",
    "session",
    "date",
    "start",
    "end",
    "tags",
    "references",
)
LIST_FIELDS = ("speakers", "affiliations", "tags", "references")
MULTI_FIELDS = ("tags",)  # fields several columns may feed
# Headers (lower case, '_' and '-' as spaces, '(s)' as 's') each field is guessed from, best first.
GUESSES = {
    "title": ("title", "paper title", "submission title", "talk title", "presentation title"),
    "abstract": ("abstract", "text", "body", "summary", "paper abstract", "description"),
    "speakers": (
        "speakers",
        "authors",
        "author",
        "speaker",
        "presenter",
        "presenters",
        "author names",
        "author list",
        "presenting author",
    ),
    "affiliations": (
        "affiliations",
        "affiliation",
        "author affiliations",
        "institution",
        "institutions",
        "organization",
        "organisation",
        "organizations",
    ),
    "id": ("id", "uid", "paper id", "submission id", "#", "paper number", "submission number"),
    "kind": ("kind", "type", "presentation type", "presentation format", "format"),
    "number": ("number", "no", "no.", "nr", "poster number", "talk number", "board", "board number"),
    "session": ("session", "session name", "session title", "block"),
    "date": ("date", "day", "session date", "presentation date", "year", "publication year"),
    "start": ("start", "start time", "time", "begin", "starts", "from"),
    "end": ("end", "end time", "finish", "ends", "until", "to"),
    "tags": (
        "keywords",
        "keyword",
        "tags",
        "tag",
        "track",
        "tracks",
        "topic",
        "topics",
        "area",
        "areas",
        "subject area",
        "subject areas",
        "primary subject area",
        "secondary subject areas",
        "category",
        "categories",
        "theme",
        "themes",
    ),
    "references": ("references",),
}
CHECKED_FIELDS = ("kind", "number", "date", "start", "end")


def normalise_header(name: str) -> str:
    """'Start_Time', 'start-time' and 'Start Time' all read 'start time'; 'Author(s)' reads 'authors'."""
    name = str(name).casefold().replace("(s)", "s")
    return " ".join(re.sub(r"[_\-]+", " ", name).split())


@dataclass(frozen=True)
class ColumnMap:
    """The columns each field reads, which of those were guessed, and the columns kept as extra."""

    fields: tuple[tuple[str, tuple[str, ...]], ...]
    extra: tuple[str, ...]
    guessed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def columns(self, field: str) -> tuple[str, ...]:
        return next((cols for name, cols in self.fields if name == field), ())


def parse_col_options(values: Sequence[str]) -> dict[str, list[str]]:
    """`--col FIELD=COLUMN` options as {field: [columns]}; `--col date=` says: no date column."""
    mapping: dict[str, list[str]] = {}
    for value in values:
        field, sep, column = value.partition("=")
        field = field.strip().lower()
        if not sep or not field:
            raise CorpusError(f"--col {value!r}: use FIELD=COLUMN, e.g. --col tags=Keywords")
        if field not in FIELDS:
            raise CorpusError(f"--col {value!r}: {field!r} is not a field; fields: {', '.join(FIELDS)}")
        columns = mapping.setdefault(field, [])
        if column.strip():
            if columns and field not in MULTI_FIELDS:
                raise CorpusError(f"--col {field}= is given twice; only {', '.join(MULTI_FIELDS)} take several columns")
            columns.append(column.strip())
    return mapping


def _explicit(columns: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """The fields the person mapped: None means 'guess', '' or [] means 'no column'."""
    out = {}
    for field, value in columns.items():
        if field not in FIELDS:
            raise CorpusError(f"{field!r} is not a field; fields: {', '.join(FIELDS)}")
        if value is None:
            continue
        names = (value,) if isinstance(value, str) else tuple(value)
        out[field] = tuple(n for n in names if n and n.strip())
    return out


def _find(header: Sequence[str], wanted: str, field: str, path) -> str:
    if wanted in header:
        return wanted
    lowered = {h.casefold(): h for h in header}
    if wanted.casefold() in lowered:
        return lowered[wanted.casefold()]
    raise CorpusError(f"{path}: no {field} column {wanted!r}; columns are: {', '.join(header)}")


def header_guesses(header: Sequence[str], taken: Sequence[str] = (), skip: Sequence[str] = ()) -> dict[str, list[str]]:
    """Columns each field would be guessed from by their headers alone (tags may get several)."""
    by_name: dict[str, str] = {}
    for column in header:
        by_name.setdefault(normalise_header(column), column)
    used, guesses = set(taken), {}
    for field, aliases in GUESSES.items():
        if field in skip:
            continue
        found = [by_name[a] for a in aliases if a in by_name and by_name[a] not in used]
        if field not in MULTI_FIELDS:
            found = found[:1]
        if found:
            guesses[field] = found
            used.update(found)
    return guesses


def unreadable_cell(table: RawTable, column: str, field: str) -> tuple[int, str] | None:
    """The first (line, reason) where `column` does not read as `field`'s type, else None."""
    cells = [(row.line, row.cells.get(column)) for row in table.rows if row.cells is not None]
    cells = [(line, value) for line, value in cells if value is not None and str(value).strip()]
    order = DateOrder.of([value for _, value in cells])
    for line, value in cells:
        try:
            if field == "kind":
                parse_kind(value, "paper")
            elif field == "number":
                parse_number(value)
            elif field == "date":
                parse_date(value, order)
            else:
                parse_time(value, order)
        except ValueError as err:
            return line, str(err)
    return None


def single_valued(table: RawTable, columns: Sequence[str] | None = None) -> tuple[str, ...]:
    """The columns (of `columns`, default all) whose cells hold one tag each: facets, kept as extra columns."""
    chosen = table.header if columns is None else columns
    cells = {c: [r.cells.get(c) for r in table.rows if r.cells is not None] for c in chosen}
    return tuple(c for c in chosen if not list_split("tags", cells[c]).pattern)


def resolve_columns(table: RawTable, columns: Mapping[str, object], path) -> ColumnMap:
    """The columns of every field: the person's choices first, then guesses the cells bear out."""
    explicit = _explicit(columns)
    header = table.header
    mapped: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for field, names in explicit.items():
        found = tuple(dict.fromkeys(_find(header, n, field, path) for n in names))
        for column in found:
            if column in owner:
                raise CorpusError(f"{path}: column {column!r} is mapped to both {owner[column]} and {field}")
            owner[column] = field
        mapped[field] = found
    notes, guessed = [], []
    for field, found in header_guesses(header, list(owner), list(explicit)).items():
        if field in CHECKED_FIELDS:
            bad = unreadable_cell(table, found[0], field)
            if bad:
                notes.append(
                    f"column {found[0]!r} is not read as {field}: line {bad[0]}: {bad[1]}; it is kept as an "
                    f"extra column (--col {field}={found[0]} reads it as {field} and stops on such cells)"
                )
                continue
        mapped[field] = tuple(found)
        guessed.append(field)
    if not mapped.get("title"):
        looked = ", ".join(GUESSES["title"])
        raise CorpusError(
            f"{path}: no title column (looked for {looked}); columns are: {', '.join(header)}; "
            "name it with --col title=COLUMN"
        )
    fields = tuple((f, mapped[f]) for f in FIELDS if mapped.get(f))
    taken = {c for f, cols in fields for c in cols}
    facets = set(single_valued(table, mapped.get("tags", ())))
    extra = tuple(c for c in header if c not in taken or c in facets)
    return ColumnMap(fields, extra, tuple(guessed), tuple(notes))
