"""One reader per program file format (PDF, DOCX, HTML, XLSX, CSV/TSV, TXT), and `read_program`.

Readers only extract lines and tables, each with where it came from; deciding what is a
session or a talk is left to the builder, so every format is read by the same rules.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from abstract_search.ingest.program.model import Program
from abstract_search.ingest.program.rows import feed_rows
from abstract_search.ingest.program.text import Builder, feed_lines
from abstract_search.ingest.reader import read_text_file
from abstract_search.ingest.tables.values import cell_text
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

    html = re.sub(r"\s+", " ", read_text_file(path))
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


def read_xlsx(path: Path) -> list[TextPart | TablePart]:
    """The first sheet (python-calamine)."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.to_python()
    except Exception as err:  # noqa: BLE001 - calamine raises its own error types per format
        raise CorpusError(f"{path}: cannot read this spreadsheet ({type(err).__name__}: {err})") from None
    return [TablePart([[cell_text(v) for v in row] for row in rows], f"{path.name}: sheet 1")]


def read_csv(path: Path) -> list[TextPart | TablePart]:
    """A delimited table; the delimiter is sniffed (tab for .tsv)."""
    text = read_text_file(path)
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    return [TablePart([list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)], path.name)]


def read_txt(path: Path) -> list[TextPart | TablePart]:
    return [TextPart([(line, f"{path.name}: line {n}") for n, line in enumerate(read_text_file(path).splitlines(), 1)])]


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


def read_program(path: str | Path) -> Program:
    """Reads a program file (PDF, DOCX, HTML, XLSX, CSV/TSV, TXT) into sessions and items."""
    path = Path(path)
    parts = read_parts(path)
    texts = [t for p in parts for t in (p.texts() if isinstance(p, TablePart) else [x for x, _ in p.lines])]
    b = Builder(str(path), texts)
    for part in parts:
        if isinstance(part, TablePart):
            feed_rows(b, part.rows, part.where)
        else:
            feed_lines(b, part.lines)
    program = b.finish()
    if not (program.times_seen or program.sessions or program.items):
        raise CorpusError(f"{path}: no program found (no times, sessions or talks)")
    return program
