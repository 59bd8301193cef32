"""Reading a user's table of abstracts (CSV, TSV, JSON Lines, JSON, XLSX) into records.

reading (file -> header and rows, any encoding or delimiter) -> columns (which column feeds
which field, the rest kept as extra columns) -> build (rows -> records). Strict by default:
one row that cannot be read (broken JSON, the wrong field count, an empty title, a date that
is not one) fails the whole import with its line and reason, so a script never mistakes a
partial import for a full one; `skip_bad_rows` imports the rest and lists every row left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from abstract_search.ingest.tables.build import ColumnReading, build_records
from abstract_search.ingest.tables.columns import (
    FIELDS,
    GUESSES,
    MULTI_FIELDS,
    ColumnMap,
    header_guesses,
    parse_col_options,
    resolve_columns,
    single_valued,
)
from abstract_search.ingest.tables.reading import SUFFIXES, RawTable, read_raw_table
from abstract_search.records import KINDS, Abstract, CorpusError

__all__ = [
    "FIELDS",
    "GUESSES",
    "MULTI_FIELDS",
    "SUFFIXES",
    "TableImport",
    "TablePreview",
    "header_guesses",
    "parse_col_options",
    "preview_table",
    "read_table",
]


@dataclass(frozen=True)
class TableImport:
    """The records of a table, the rows left out (with --skip-bad-rows), warnings and the report."""

    records: list[Abstract]
    skipped: list[str]
    warnings: list[str]
    lines: list[str]


@dataclass(frozen=True)
class TablePreview:
    """What the app shows before an import: the columns, how the file was read, the guesses."""

    header: tuple[str, ...]
    source: str
    guesses: dict[str, tuple[str, ...]]
    notes: tuple[str, ...]
    sheets: tuple[str, ...]
    facets: tuple[str, ...]  # columns with one value a row: fed to the tags, still kept as extra columns

    def extra_columns(self, columns: Mapping[str, object]) -> list[str]:
        """The columns a mapping ({field: column or [columns]}) keeps as extra columns."""
        taken = {c for value in columns.values() for c in ([value] if isinstance(value, str) else value or [])}
        tags = columns.get("tags") or []
        return [c for c in self.header if c not in taken or (c in tags and c in self.facets)]


def _mapping_lines(table: RawTable, cmap: ColumnMap, splits) -> list[str]:
    lines = [f"table: {table.source}; {len(table.rows)} rows, {len(table.header)} columns", "columns:"]
    for field, columns in cmap.fields:
        shown = " + ".join(
            repr(c) + (f" ({splits[c].label})" if c in splits and splits[c].pattern else "") for c in columns
        )
        lines.append(f"  {field:12s} <- {shown}{'  (guessed)' if field in cmap.guessed else ''}")
    kept = ", ".join(repr(c) for c in cmap.extra) or "none"
    lines.append(f"  extra columns (kept as they are, for filters and --within groups): {kept}")
    if cmap.guessed:
        lines.append("  change a guess with --col FIELD=COLUMN, or --col FIELD= for none")
    return lines


def read_table(
    path: Path,
    columns: Mapping[str, object] | None = None,
    kind: str = "paper",
    *,
    sheet: str | None = None,
    skip_bad_rows: bool = False,
) -> TableImport:
    """Reads a table into records; any bad row is a CorpusError unless `skip_bad_rows`."""
    if kind not in KINDS:
        raise CorpusError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    table = read_raw_table(path, sheet)
    cmap = resolve_columns(table, columns or {}, path)
    reading = ColumnReading.of(table, cmap)
    records, problems = build_records(table, cmap, reading, kind, path.name)
    if problems and not skip_bad_rows:
        more = f" (and {len(problems) - 1} more bad row(s))" if len(problems) > 1 else ""
        first = problems[0].removeprefix(f"{path.name}:")
        raise CorpusError(
            f"{path}:{first}{more}; nothing was imported (--skip-bad-rows imports the other rows and lists these)"
        )
    if not records:
        raise CorpusError(f"{path}: no usable rows ({len(problems)} bad: {'; '.join(problems[:3])})")
    warnings = [f"{path}: {note}" for note in (*table.notes, *cmap.notes)]
    if not cmap.columns("abstract"):
        warnings.append(f"{path}: no abstract column; only titles will be searched")
    for column, order in reading.orders.items():
        if order.ambiguous:
            warnings.append(
                f"{path}: column {column!r}: no date shows whether the day or the month comes first; "
                "dates with '/' were read month first, with '.' or '-' day first"
            )
    return TableImport(records, problems, warnings, _mapping_lines(table, cmap, reading.splits))


def preview_table(path: Path, data: bytes | None = None, sheet: str | None = None) -> TablePreview:
    """The header, source and guessed columns of a table, read by the same reader as the import."""
    table = read_raw_table(path, sheet, data)
    try:
        cmap = resolve_columns(table, {}, path)
        guesses = {field: cols for field, cols in cmap.fields}
        notes = (*table.notes, *cmap.notes)
    except CorpusError:  # no title column yet: the person picks one
        guesses = {f: tuple(c) for f, c in header_guesses(table.header).items()}
        notes = table.notes
    return TablePreview(table.header, table.source, guesses, tuple(notes), table.sheets, single_valued(table))
