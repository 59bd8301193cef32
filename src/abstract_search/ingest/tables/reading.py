"""Files to rows: CSV/TSV (delimiter sniffed), JSON Lines, a JSON list, or an XLSX sheet.

Every row keeps the line it starts on (the spreadsheet row for XLSX), so any later problem
names the place a person can open. A row that cannot be read at all (broken JSON, the wrong
number of fields) is kept as a `Row` with its problem, not dropped: the caller decides
whether that fails the import or is skipped and listed.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from abstract_search.records import CorpusError

JSONL_SUFFIXES = (".jsonl", ".ndjson")
SUFFIXES = (".csv", ".tsv", *JSONL_SUFFIXES, ".json", ".xlsx")
DELIMITERS = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
# Code pages spreadsheet programs save text in, the Western one first. Short files often
# decode equally well in several (é is the same byte in cp1250 and cp1252); a tie goes to
# the first of these, not to the detector's arbitrary pick (benchmarks/table_encodings.py).
PREFERRED_CODE_PAGES = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "cp1255", "cp1256", "cp1258")


@dataclass(frozen=True)
class Row:
    """One data row: its cells by column, or the problem that kept it from being read."""

    line: int
    cells: dict | None
    problem: str = ""


@dataclass(frozen=True)
class RawTable:
    """A file's header and rows as read, with how it was read (for the report)."""

    header: tuple[str, ...]
    rows: tuple[Row, ...]
    source: str  # 'UTF-8, delimiter ','', 'sheet Papers', ...
    notes: tuple[str, ...] = ()
    sheets: tuple[str, ...] = ()


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'-be' when every other byte of the start is zero, as in UTF-16 text of Latin letters."""
    head = data[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.4 * len(head) / 2 and even == 0:
        return "utf-16-le"
    if even > 0.4 * len(head) / 2 and odd == 0:
        return "utf-16-be"
    return None


def detect_code_page(data: bytes) -> str | None:
    """The legacy code page of non-UTF-8 text (charset-normalizer), ties going to PREFERRED_CODE_PAGES."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    tied = {
        name
        for m in matches
        if abs(m.chaos - best.chaos) < 1e-9 and abs(m.coherence - best.coherence) < 1e-9
        for name in m.could_be_from_charset
    }
    return next((name for name in PREFERRED_CODE_PAGES if name in tied), best.encoding)


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """The text of a table file and the name of its encoding.

    UTF-8 (with or without BOM) and UTF-16/32 (BOM, or UTF-16 of mostly Latin text without one)
    are read as such; any other text is handed to charset-normalizer, and the code page it
    finds is named in the report so a wrong guess can be seen.
    """
    if not data.strip():
        raise CorpusError(f"{path}: the file is empty")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return _decode(data, codec, path), name
    wide = _utf16_without_bom(data)
    if wide:
        return _decode(data, wide, path), "UTF-16"
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{path}: looks like a binary file, not a text table")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        where = f"{path}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x})"
    code_page = detect_code_page(data)
    if code_page is None:
        raise CorpusError(f"{where} and no other encoding fits; re-save the file as UTF-8")
    return data.decode(code_page), f"{code_page} (detected; not UTF-8)"


def _decode(data: bytes, codec: str, path: Path) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        raise CorpusError(f"{path}: not valid {codec.upper()} text at byte {err.start}") from None


# --- delimited text ----------------------------------------------------------------------------


def sniff_delimiter(text: str) -> str:
    """The delimiter that gives the header's field count on the most rows of the file's start.

    Whatever the suffix says: a '.csv' saved by a European Excel uses ';', a '.tsv' may be a CSV.
    """
    sample = text[:65536]
    complete = len(text) <= len(sample)
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if r]
        except csv.Error:
            continue
        rows = rows[:200] if complete else rows[:-1][:200]  # the sample may end inside a row
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(len(r) == width for r in rows) / len(rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _unique_header(cells: list[str], used: list[bool]) -> tuple[list[str | None], list[str]]:
    """Header names, blank ones named by position ('column 3') and repeats numbered ('Author (2)').

    A blank header over an empty column is dropped (None): a trailing delimiter makes one.
    """
    names: list[str | None] = []
    notes, seen = [], set()
    for position, (cell, has_values) in enumerate(zip(cells, used, strict=True), start=1):
        name = " ".join(str(cell).split())
        if not name:
            if not has_values:
                names.append(None)
                continue
            name = f"column {position}"
            notes.append(f"column {position} has no header; it is called {name!r}")
        if name.casefold() in seen:
            k = 2
            while f"{name} ({k})".casefold() in seen:
                k += 1
            notes.append(f"column {position}: header {name!r} repeats; this one is called '{name} ({k})'")
            name = f"{name} ({k})"
        seen.add(name.casefold())
        names.append(name)
    return names, notes


def _grid_table(grid: list[tuple[int, list]], source: str, width_checked: bool) -> RawTable:
    """Header + rows from (line, cells) pairs; rows whose width differs are kept as problems."""
    (_, header_cells), body = grid[0], grid[1:]
    width = len(header_cells)
    used = [any(i < len(cells) and str(cells[i]).strip() for _, cells in body) for i in range(width)]
    names, notes = _unique_header(header_cells, used)
    rows = []
    for line, cells in body:
        if width_checked and len(cells) != width:
            rows.append(Row(line, None, f"has {len(cells)} fields, the header has {width}"))
            continue
        rows.append(Row(line, {n: v for n, v in zip(names, cells, strict=False) if n is not None}))
    header = tuple(n for n in names if n is not None)
    return RawTable(header, tuple(rows), source, tuple(notes))


def read_delimited(text: str, path: Path, encoding: str) -> RawTable:
    """CSV or TSV text; an Excel 'sep=;' first line names the delimiter."""
    first_line = 0
    hint = re.match(r"sep=(.)\r?\n", text)
    if hint:
        delimiter, text, first_line = hint.group(1), text[hint.end() :], 1
    else:
        delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid: list[tuple[int, list]] = []
    problem = None
    try:
        start = 1
        for cells in reader:
            if any(c.strip() for c in cells):
                grid.append((start + first_line, cells))
            start = reader.line_num + 1
    except csv.Error as err:
        problem = Row(start + first_line, None, f"malformed CSV ({err}); the rest of the file was not read")
    if not grid:
        raise CorpusError(f"{path}: no header row")
    source = f"{encoding}, delimiter {DELIMITERS.get(delimiter, repr(delimiter))}"
    table = _grid_table(grid, source, True)
    if problem is not None:
        table = RawTable(table.header, (*table.rows, problem), table.source, table.notes)
    return table


# --- JSON --------------------------------------------------------------------------------------


def _object_row(line: int, value: object) -> Row:
    if isinstance(value, dict):
        return Row(line, value)
    return Row(line, None, f"expected a JSON object, got {type(value).__name__}")


def _keyed_table(rows: list[Row], path: Path, source: str) -> RawTable:
    keys: dict[str, None] = {}
    for row in rows:
        if row.cells is not None:
            keys.update(dict.fromkeys(str(k) for k in row.cells))
    if not keys:
        bad = next((f"line {r.line}: {r.problem}" for r in rows if r.problem), "no rows")
        raise CorpusError(f"{path}: no JSON object rows ({bad})")
    return RawTable(tuple(keys), tuple(rows), source)


def read_jsonl(text: str, path: Path, encoding: str) -> RawTable:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(_object_row(number, json.loads(line)))
        except json.JSONDecodeError as err:
            rows.append(Row(number, None, f"not valid JSON ({err.msg})"))
    return _keyed_table(rows, path, f"{encoding}, JSON Lines")


def read_json(text: str, path: Path, encoding: str) -> RawTable:
    """A JSON list of objects; each object's line is where it starts. Broken JSON fails the whole file."""
    decoder = json.JSONDecoder()
    position = len(text) - len(text.lstrip())
    if not text.startswith("[", position):
        raise CorpusError(f"{path}: expected a JSON list of objects ([{{...}}, ...])")
    position, rows = position + 1, []
    try:
        while True:
            position = _skip_space(text, position)
            if text.startswith("]", position):
                break
            value, end = decoder.raw_decode(text, position)
            rows.append(_object_row(text.count("\n", 0, position) + 1, value))
            position = _skip_space(text, end)
            if text.startswith(",", position):
                position += 1
            elif not text.startswith("]", position):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
    except json.JSONDecodeError as err:
        raise CorpusError(f"{path}:{err.lineno}: not valid JSON ({err.msg}); nothing was read") from None
    if text[position + 1 :].strip():
        line = text.count("\n", 0, position) + 1
        raise CorpusError(f"{path}:{line}: text after the end of the JSON list")
    return _keyed_table(rows, path, f"{encoding}, JSON list")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


# --- spreadsheets ------------------------------------------------------------------------------


def read_xlsx(data: bytes, path: Path, sheet: str | None = None) -> RawTable:
    """One sheet of a workbook (python-calamine): the first unless `sheet` names another."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = tuple(workbook.sheet_names)
        if sheet is not None and sheet not in names:
            raise CorpusError(f"{path}: no sheet {sheet!r}; sheets are: {', '.join(names)}")
        chosen = sheet if sheet is not None else names[0]
        cells = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except CorpusError:
        raise
    except Exception as err:  # noqa: BLE001 - calamine raises its own error types per format
        raise CorpusError(f"{path}: cannot read this spreadsheet ({type(err).__name__}: {err})") from None
    grid = [(n, list(row)) for n, row in enumerate(cells, start=1) if any(cell_has_value(c) for c in row)]
    if not grid:
        raise CorpusError(f"{path}: sheet {chosen!r} is empty")
    others = ", ".join(repr(n) for n in names if n != chosen)
    source = f"sheet {chosen!r}" + (f" (also in the workbook: {others}; --sheet NAME reads another)" if others else "")
    table = _grid_table(grid, source, False)
    return RawTable(table.header, table.rows, table.source, table.notes, names)


def cell_has_value(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def read_raw_table(path: Path, sheet: str | None = None, data: bytes | None = None) -> RawTable:
    """Any supported table file (its bytes may be given, as for an upload) into header and rows."""
    data = path.read_bytes() if data is None else data
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        if not data:
            raise CorpusError(f"{path}: the file is empty")
        return read_xlsx(data, path, sheet)
    if sheet is not None:
        raise CorpusError(f"{path}: --sheet is for .xlsx workbooks")
    text, encoding = decode_text(data, path)
    if suffix in JSONL_SUFFIXES:
        return read_jsonl(text, path, encoding)
    if suffix == ".json":
        return read_json(text, path, encoding)
    return read_delimited(text, path, encoding)
