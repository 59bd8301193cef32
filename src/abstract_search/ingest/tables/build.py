"""Rows to records, with each column read the way the whole column shows (separator, date order).

Every problem is the row's line and what is wrong with which column; the caller decides
whether one fails the import (the default) or the row is skipped and listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from abstract_search.ingest.tables.columns import LIST_FIELDS, ColumnMap
from abstract_search.ingest.tables.reading import RawTable, Row
from abstract_search.ingest.tables.values import (
    DateOrder,
    ListSplit,
    cell_text,
    list_split,
    parse_date,
    parse_kind,
    parse_number,
    parse_time,
)
from abstract_search.records import Abstract, CorpusError

TEXT_FIELDS = ("title", "abstract", "session")


class RowError(ValueError):
    """What is wrong with one row (the caller adds the file and line)."""


@dataclass(frozen=True)
class ColumnReading:
    """How each mapped column is read, decided once from all its cells."""

    splits: dict[str, ListSplit]
    orders: dict[str, DateOrder]

    @classmethod
    def of(cls, table: RawTable, cmap: ColumnMap) -> ColumnReading:
        def cells(column: str) -> list:
            return [r.cells.get(column) for r in table.rows if r.cells is not None]

        splits = {c: list_split(f, cells(c)) for f in LIST_FIELDS for c in cmap.columns(f)}
        orders = {c: DateOrder.of(cells(c)) for f in ("date", "start", "end") for c in cmap.columns(f)}
        return cls(splits, orders)


def _where(column: str, field: str) -> str:
    return f"column {column!r} ({field})" if column != field else f"column {column!r}"


class RowReader:
    """Turns one row into an Abstract with the column map and the columns' readings."""

    def __init__(self, cmap: ColumnMap, reading: ColumnReading, kind: str):
        self.cmap, self.reading, self.kind = cmap, reading, kind
        self.single = {f: cols[0] for f, cols in cmap.fields}

    def value(self, cells: dict, field: str) -> object:
        column = self.single.get(field)
        return cells.get(column) if column else None

    def text(self, cells: dict, field: str) -> str:
        value = self.value(cells, field)
        if isinstance(value, list | dict):
            raise RowError(f"{_where(self.single[field], field)} must be text, got {type(value).__name__}")
        return cell_text(value)

    def typed(self, cells: dict, field: str, parse):
        column = self.single.get(field)
        if not column:
            return None
        try:
            return parse(cells.get(column))
        except ValueError as err:
            raise RowError(f"{_where(column, field)}: {err}") from None

    def lists(self, cells: dict, field: str) -> tuple[str, ...]:
        parts = [p for c in self.cmap.columns(field) for p in self.reading.splits[c].split(cells.get(c))]
        return tuple(dict.fromkeys(parts))

    def when(self, cells: dict) -> dict[str, str]:
        orders = self.reading.orders
        day = self.typed(cells, "date", lambda v: parse_date(v, orders[self.single["date"]])) or ""
        start = self.typed(cells, "start", lambda v: parse_time(v, orders[self.single["start"]]))
        end = self.typed(cells, "end", lambda v: parse_time(v, orders[self.single["end"]]))
        values = {"date": day or (start.date if start else "") or (end.date if end else "")}
        values["start"] = start.start if start else ""
        values["end"] = (end.end or end.start) if end and end.start else (start.end if start else "")
        return values

    def extra(self, cells: dict) -> tuple[tuple[str, str], ...]:
        pairs = []
        for column in self.cmap.extra:
            value = cells.get(column)
            if column == "extra" and isinstance(value, dict):  # this project's own JSONL
                pairs += [(str(k), cell_text(v)) for k, v in value.items() if cell_text(v)]
            elif cell_text(value):
                pairs.append((column, cell_text(value)))
        return tuple(dict(pairs).items())

    def record(self, row: Row) -> Abstract:
        cells = row.cells or {}
        title = " ".join(self.text(cells, "title").split())
        if not title:
            raise RowError(f"{_where(self.single['title'], 'title')} is empty")
        record_id = self.text(cells, "id") if "id" in self.single else f"R{row.line:05d}"
        if not record_id:
            raise RowError(f"{_where(self.single['id'], 'id')} is empty")
        try:
            return Abstract(
                id=record_id,
                title=title,
                kind=self.typed(cells, "kind", lambda v: parse_kind(v, self.kind)) or self.kind,
                number=self.typed(cells, "number", parse_number),
                speakers=self.lists(cells, "speakers"),
                affiliations=self.lists(cells, "affiliations"),
                abstract=self.text(cells, "abstract"),
                session=self.text(cells, "session"),
                tags=self.lists(cells, "tags"),
                references=self.lists(cells, "references"),
                extra=self.extra(cells),
                **self.when(cells),
            )
        except CorpusError as err:
            raise RowError(str(err)) from None


def build_records(
    table: RawTable, cmap: ColumnMap, reading: ColumnReading, kind: str, name: str
) -> tuple[list[Abstract], list[str]]:
    """Records of the rows that read, and 'name:line: what is wrong' for each row that does not."""
    reader = RowReader(cmap, reading, kind)
    records, problems, seen = [], [], {}
    for row in table.rows:
        where = f"{name}:{row.line}"
        if row.cells is None:
            problems.append(f"{where}: {row.problem}")
            continue
        try:
            record = reader.record(row)
        except RowError as err:
            problems.append(f"{where}: {err}")
            continue
        if record.id in seen:
            problems.append(f"{where}: id {record.id!r} repeats line {seen[record.id]}")
            continue
        seen[record.id] = row.line
        records.append(record)
    return records, problems
