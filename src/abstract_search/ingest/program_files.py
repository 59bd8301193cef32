"""Per-format readers for program files, and the reading of tables (from any format) into the program.

Readers only extract; deciding what is a session or a talk is `program.py`'s job, so every
format is read by the same rules. Each line and row carries where it came from, for the review.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from abstract_search.ingest.program import (
    _at,
    _Builder,
    _clean_title,
    _is_heading,
    _is_room,
    _is_service,
    _split_speaker_cell,
    _time_match,
    parse_day,
    session_kind,
    split_names,
)
from abstract_search.records import CorpusError


@dataclass(frozen=True)
class TextPart:
    """Running text: (line, where) pairs."""

    lines: list[tuple[str, str]]


@dataclass(frozen=True)
class TablePart:
    """One table: its rows of cell texts (a cell may hold several lines)."""

    rows: list[list[str]]
    where: str

    def texts(self) -> list[str]:
        return [cell for row in self.rows for cell in row if cell]


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{path}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CorpusError(f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})") from None


def read_pdf(path: Path) -> list[TextPart | TablePart]:
    """The PDF's text layer, page by page (pypdfium2)."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as err:
        reason = "it is encrypted (password protected)" if "password" in str(err).lower() else str(err)
        raise CorpusError(f"{path}: cannot read this PDF: {reason}") from None
    lines = []
    try:
        for p, page in enumerate(document, 1):
            text = page.get_textpage().get_text_range()
            for n, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
                lines.append((line, f"{path.name}: page {p}, line {n}"))
    finally:
        document.close()
    if not any(line.strip() for line, _ in lines):
        raise CorpusError(f"{path}: this PDF has no text layer (a scan?); nothing to read")
    return [TextPart(lines)]


def read_docx(path: Path) -> list[TextPart | TablePart]:
    """Paragraphs and tables in document order (python-docx); a merged cell's repeats are left to the parser."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except Exception as err:  # noqa: BLE001 - python-docx raises zip, XML and package errors alike
        raise CorpusError(f"{path}: cannot read this DOCX ({type(err).__name__}: {err})") from None
    parts: list[TextPart | TablePart] = []
    paragraph = table = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            table += 1
            rows = [[cell.text for cell in row.cells] for row in block.rows]
            rows = [row for i, row in enumerate(rows) if i == 0 or row != rows[i - 1]]  # vertical merges repeat
            parts.append(TablePart(rows, f"{path.name}: table {table}"))
        else:
            paragraph += 1
            where = f"{path.name}: paragraph {paragraph}"
            lines = [(line, where) for line in block.text.split("\n")]
            if parts and isinstance(parts[-1], TextPart):
                parts[-1].lines.extend(lines)
            else:
                parts.append(TextPart(lines))
    return parts


_BLOCK_END = re.compile(r"(?i)(</(?:p|div|li|h[1-6]|tr|dt|dd|caption|blockquote|section|article|header|footer)>)")


def read_html(path: Path) -> list[TextPart | TablePart]:
    """Tables as rows and the text around them as lines (selectolax/lexbor), in document order."""
    from selectolax.lexbor import LexborHTMLParser

    html = re.sub(r"\s+", " ", _decode(path))
    html = _BLOCK_END.sub(r"\n\1", re.sub(r"(?i)<br\s*/?>", "\n", html))
    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style", "noscript", "template"])
    tables = []
    for table in tree.css("table"):
        if table.parent and any(a.tag == "table" for a in _ancestors(table)):
            continue  # a nested table is read as text of its outer cell
        rows = [[cell.text(deep=True) for cell in tr.css("th, td")] for tr in table.css("tr")]
        tables.append(rows)
        table.replace_with(f"\n\x00table {len(tables)}\x00\n")
    root = tree.body or tree.root
    text = root.text(deep=True) if root else ""
    parts: list[TextPart | TablePart] = []
    for n, line in enumerate(text.split("\n"), 1):
        if m := re.fullmatch(r"\s*\x00table (\d+)\x00\s*", line):
            parts.append(TablePart(tables[int(m[1]) - 1], f"{path.name}: table {m[1]}"))
        elif parts and isinstance(parts[-1], TextPart):
            parts[-1].lines.append((line, f"{path.name}: line {n}"))
        else:
            parts.append(TextPart([(line, f"{path.name}: line {n}")]))
    return parts


def _ancestors(node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def _cell_text(value) -> str:
    """A spreadsheet value as printed: times as HH:MM, whole numbers without '.0'."""
    from datetime import date, datetime, time, timedelta

    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path) -> list[TextPart | TablePart]:
    """The first sheet (python-calamine)."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.to_python()
    except Exception as err:  # noqa: BLE001 - calamine raises its own error types per format
        raise CorpusError(f"{path}: cannot read this spreadsheet ({type(err).__name__}: {err})") from None
    return [TablePart([[_cell_text(v) for v in row] for row in rows], f"{path.name}: sheet 1")]


def read_csv(path: Path) -> list[TextPart | TablePart]:
    """A delimited table; the delimiter is sniffed (tab for .tsv)."""
    text = _decode(path)
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    return [TablePart([list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)], path.name)]


def read_txt(path: Path) -> list[TextPart | TablePart]:
    return [TextPart([(line, f"{path.name}: line {n}") for n, line in enumerate(_decode(path).splitlines(), 1)])]


# --- tables: DOCX, HTML, XLSX and CSV tables, and tables found inside PDF books -------------

_COLUMNS = {
    "title": ("title", "talk", "talktitle", "presentation", "paper", "abstract", "abstracttitle", "postertitle"),
    "speakers": ("presenter", "presenters", "speaker", "speakers", "author", "authors", "name", "names",
                 "presentingauthor", "presentedby"),
    "time": ("time", "slot", "timeslot", "hour", "hours", "when", "schedule"),
    "start": ("start", "from", "begin", "starts", "starttime"),
    "end": ("end", "to", "until", "ends", "endtime"),
    "date": ("date", "day"),
    "room": ("room", "location", "venue", "place", "hall", "where"),
    "session": ("session", "track", "block", "sessiontitle", "sessionname"),
    "kind": ("type", "kind", "format"),
    "number": ("no", "nr", "number", "id", "posterno", "board", "abstractid"),
}  # fmt: skip


def _header(cells: Sequence[str]) -> dict[str, int] | None:
    """Column positions from a header row ('Title | Presenter | Time | Loca/on'), else None."""
    from rapidfuzz import fuzz

    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = re.sub(r"[^a-z#]", "", cell.lower()).replace("#", "no")
        if not key or len(cell) > 30 or _time_match(cell):
            continue
        for name, aliases in _COLUMNS.items():
            if name not in found and any(key == a or (len(a) >= 5 and fuzz.ratio(key, a) >= 85) for a in aliases):
                found[name] = i
                break
    return found if len(found) >= 2 and found.keys() & {"title", "speakers", "session"} else None


def _dedupe(cells: Sequence[str]) -> list[str]:
    """Merged cells repeat their text in each column they cover; keep one."""
    out: list[str] = []
    for cell in cells:
        if not out or cell != out[-1]:
            out.append(cell)
    return out


def _cell_time(cell: str) -> tuple[str, str] | None:
    found = _time_match(cell)
    rest = (cell[: found[0].start()] + cell[found[0].end() :]).split() if found else []
    return (found[1], found[2]) if found and len(rest) <= 1 else None


def _header_row(b: _Builder, cells: list[str], header: dict[str, int], where: str) -> None:
    """A data row under a header: one item, or a heading/break written across the row."""
    distinct = {c for c in cells if c}
    if len(distinct) == 1:
        return b.block(distinct.pop().splitlines(), where)
    extra = len(cells) - (max(header.values()) + 1)
    if extra > 0 and all(re.fullmatch(r"[A-Z]?\d{0,4}\.?", c) for c in cells[:extra]):
        number, cells = " ".join(cells[:extra]), cells[extra:]  # a numbering column the header does not name
    else:
        number = ""
    value = {f: " ".join(cells[i].split()) if i < len(cells) else "" for f, i in header.items()}
    number = value.get("number") or number
    when = _time_match(value.get("time", "")) or _time_match(value.get("start", ""))
    start, end = (when[1], when[2]) if when else ("", "")
    if "end" in value and (until := _time_match(value["end"])):
        end = until[1]
    if day := parse_day(value.get("date", ""), b.year, b.dayfirst):
        b.set_date(day)
    if value.get("session") and (not b.session or b.session.name != value["session"]):
        b.open_session(value["session"], where, timed=False)  # its span comes from its rows
    if start:
        b.set_slot(start, end, own=False)
    title, speakers = _clean_title(value.get("title", "")), _split_speaker_cell(value.get("speakers", ""))
    label = " ".join(x for x in (f"{start}-{end}".strip("-"), title) if x)
    if not title and not speakers:
        return b.skip(where, " | ".join(cells), "no title and no speaker")
    if not speakers and ("speakers" in header or _is_service(title)):
        return b.skip(where, label, "not a talk (no speaker)")
    kind = session_kind(value.get("kind", ""))
    b.add(title, speakers, where, (start, end), room=value.get("room", ""), number=number, kind=kind)


def _loose_row(b: _Builder, cells: list[str], where: str) -> None:
    """A row of a table without a header: a time cell, then cells read as text blocks or title/speaker."""
    cells = [c for c in _dedupe(cells) if c]
    rest, slot, number = [], None, ""
    for cell in cells:
        day = parse_day(cell, b.year, b.dayfirst) if len(cell.split()) <= 5 else None
        if slot is None and (slot := _cell_time(cell)):
            b.set_slot(*slot, own=False)
        elif day:
            b.set_date(day)
        elif re.fullmatch(r"[A-Z]?\d{1,4}\.?", cell) and not number:
            number = cell
        else:
            rest.append(cell)
    single = all(len([x for x in c.splitlines() if x.strip()]) == 1 for c in rest)
    names = [c for c in rest if split_names(c)]
    heads = [c for c in rest if not split_names(c) and _is_heading(c)]
    others = [c for c in rest if not split_names(c) and c not in heads]
    if single and names and others:  # one line per cell: a title, its speakers, maybe a session and a room
        for head in heads:
            if not b.session or b.session.name != head:
                b.open_session(head, where, timed=False)
        title = max(others, key=len)
        room = next((c for c in others if c is not title and _is_room(c)), "")
        for cell in [c for c in others if c not in (title, room)] + names[1:]:
            b.skip(where, cell, "a cell read as neither title, speaker, session nor room")
        return b.add(title, split_names(names[0]), where, slot or ("", ""), room=room, number=number)
    for k, cell in enumerate(rest, 1):
        b.block(cell.splitlines(), f"{where}, cell {k}" if len(rest) > 1 else where)


def feed_rows(b: _Builder, rows: Sequence[Sequence[object]], where: str) -> None:
    """Feeds a table's rows to the builder: a header row, when there is one, names the columns."""
    header = None
    for r, raw in enumerate(rows, 1):
        cells = ["" if c is None else str(c).strip() for c in raw]
        if not any(cells):
            continue
        if found := _header(cells):
            header = found
        elif header:
            _header_row(b, cells, header, _at(where, f"row {r}"))
        else:
            _loose_row(b, cells, _at(where, f"row {r}"))
    b.flush()


READERS = {
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
    ".xlsx": read_xlsx,
    ".csv": read_csv,
    ".tsv": read_csv,
    ".txt": read_txt,
}


def read_parts(path: Path) -> list[TextPart | TablePart]:
    """The file's lines and tables, or a CorpusError that says in one line why not."""
    if not path.is_file():
        raise CorpusError(f"{path}: no such file")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise CorpusError(
            f"{path}: unsupported program file type {path.suffix or '(none)'}; use one of {', '.join(READERS)}"
        )
    if path.stat().st_size == 0:
        raise CorpusError(f"{path}: the file is empty")
    parts = reader(path)
    if not any(t.strip() for p in parts for t in (p.texts() if isinstance(p, TablePart) else [x for x, _ in p.lines])):
        raise CorpusError(f"{path}: the file holds no text")
    return parts
