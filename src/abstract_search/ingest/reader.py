"""Reading a book's pages into lines that keep their layout: font size, weight and position.

pypdfium2 (PDFium) reads the characters with their boxes and fonts; this module groups them
into lines, puts two-column pages in reading order, and drops the page furniture (running
headers and footers, page numbers), which is recognised by repetition across pages, never
by its words. Plain-text books become the same lines without styles.
"""

from __future__ import annotations

import ctypes
import re
import statistics
import unicodedata
from collections import Counter
from pathlib import Path

from abstract_search.ingest.guard import run_guarded
from abstract_search.ingest.lines import Document, Line, clean_text
from abstract_search.ingest.pages import drop_furniture, order_columns
from abstract_search.records import CorpusError

MAX_PAGES = 3000  # a book longer than this is refused rather than read for minutes


MAX_CHARS = 20_000_000  # about 10,000 dense pages of text


MAX_OBJECTS = 200_000  # drawing and text objects on one page; a dense text page has a few thousand


MEMORY_BUDGET = 3 * 2**30  # bytes a PDF may take to read, beyond what the process already maps


TIME_BUDGET = 600.0  # seconds; a 126-page book reads in a few


ITALIC_NAME = re.compile(r"italic|oblique|(?<![a-z])cmti|cmsl", re.I)


BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|(?<![a-z])cmbx|cmb\d|\bbx\b", re.I)


def _open_pdf(path: Path):
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as err:
        message = str(err).lower()
        if "password" in message:
            raise CorpusError(f"{path}: password-protected PDF; save an unprotected copy and read that") from None
        raise CorpusError(f"{path}: cannot read this PDF ({err})") from None
    if len(doc) == 0:
        raise CorpusError(f"{path}: the PDF has no pages")
    if len(doc) > MAX_PAGES:
        raise CorpusError(f"{path}: {len(doc)} pages; books of more than {MAX_PAGES} pages are not read")
    return doc


class _FontCache:
    """Font name, weight and effective size per text object (looked up once per object)."""

    def __init__(self) -> None:
        import pypdfium2.raw as raw

        self.raw, self.cache = raw, {}

    def style(self, obj) -> tuple[str, bool, float]:
        key = ctypes.cast(obj, ctypes.c_void_p).value
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self._lookup(obj)
        return found

    def _lookup(self, obj) -> tuple[str, bool, float]:
        raw = self.raw
        if not obj:
            return ("", False, 0.0, False)
        font = raw.FPDFTextObj_GetFont(obj)
        buffer = ctypes.create_string_buffer(256)
        raw.FPDFFont_GetBaseFontName(font, buffer, 256)
        name = buffer.value.decode("latin-1").split("+")[-1]
        size = ctypes.c_float()
        raw.FPDFTextObj_GetFontSize(obj, ctypes.byref(size))
        matrix = raw.FS_MATRIX()
        scale = 1.0
        if raw.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix)):
            scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5 or 1.0
        bold = raw.FPDFFont_GetWeight(font) >= 600 or bool(BOLD_NAME.search(name))
        italic = bool(raw.FPDFFont_GetFlags(font) & 64) or bool(ITALIC_NAME.search(name))  # PDF flag 7: Italic
        return (name, bold, round(size.value * scale, 1), italic)


def _page_lines(textpage, number: int, height: float, fonts: _FontCache) -> list[Line]:
    """Groups a page's characters into lines (by geometry) and lines into cells (at wide gaps)."""
    raw = fonts.raw
    rect = raw.FS_RECTF()
    lines: list[Line] = []
    chars: list[tuple[str, tuple | None, tuple]] = []  # (char, box or None for a space, style)
    last = None  # the previous inked character's box
    for i in range(raw.FPDFText_CountChars(textpage)):
        char = chr(raw.FPDFText_GetUnicode(textpage, i))
        if char in "\r\n" or (raw.FPDFText_IsGenerated(textpage, i) and char != " "):
            continue
        if char == "\x02":  # PDFium's mark for a hyphen at a line end
            char = "-"
        style = fonts.style(raw.FPDFText_GetTextObject(textpage, i))
        if char.isspace():
            if chars:
                chars.append((" ", None, style))
            continue
        raw.FPDFText_GetLooseCharBox(textpage, i, ctypes.byref(rect))
        box = (rect.left, rect.bottom, rect.right, rect.top)
        if last is not None and _starts_new_line(last, box):
            lines += _make_line(chars, number, height)
            chars = []
        chars.append((char, box, style))
        last = box
    lines += _make_line(chars, number, height)
    return merge_pieces(lines)


def _make_line(chars: list, number: int, height: float) -> list[Line]:
    inked = [(c, b, s) for c, b, s in chars if b is not None]
    if not inked:
        return []
    sizes = [s[2] for _, _, s in inked if s[2] > 0] or [0.0]
    size = statistics.median(sizes)
    cells, current, previous = [], [], None
    for char, box, _ in chars:
        if box is not None and previous is not None and box[0] - previous[2] > max(0.8 * size, 4.0):
            cells.append(current)
            current = []
        if box is not None:
            previous = box
        current.append((char, box))
    cells.append(current)
    texts = []
    for cell in cells:
        text = clean_text("".join(c for c, _ in cell))
        boxes = [b for _, b in cell if b is not None]
        if text and boxes:
            texts.append((round(min(b[0] for b in boxes), 1), round(max(b[2] for b in boxes), 1), text))
    if not texts:
        return []
    letters = [s for c, _, s in inked if c.isalpha()] or [s for _, _, s in inked]
    boxes = [b for _, b, _ in inked]
    return [
        Line(
            text=" ".join(t for _, _, t in texts),
            page=number,
            top=round(height - max(b[3] for b in boxes), 1),
            bottom=round(height - min(b[1] for b in boxes), 1),
            x0=round(min(b[0] for b in boxes), 1),
            x1=round(max(b[2] for b in boxes), 1),
            size=size,
            bold=sum(s[1] for s in letters) * 2 > len(letters),
            italic=sum(s[3] for s in letters) * 2 > len(letters),
            font=Counter(s[0] for s in letters).most_common(1)[0][0],
            cells=tuple(texts),
        )
    ]


def _starts_new_line(last: tuple, box: tuple) -> bool:
    """A character below the previous one's line that does not continue it to the right.

    Geometry, not PDFium's line breaks: those are missing after some hyphens and present
    around superscripts.
    """
    height = max(last[3] - last[1], box[3] - box[1], 1.0)
    centre_shift = abs((last[1] + last[3]) / 2 - (box[1] + box[3]) / 2)
    if centre_shift > 0.75 * height:  # a superscript rises about 0.35 em; the next line is 1 em or more away
        return True
    return centre_shift > 0.5 * height and box[0] < last[2] - 1


def merge_pieces(lines: list[Line]) -> list[Line]:
    """Rejoins pieces of one printed line (same baseline, continuing to the right)."""
    merged: list[Line] = []
    for line in lines:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev.page == line.page
            and abs(prev.bottom - line.bottom) < 0.4 * max(prev.size, line.size, 1.0)
            and line.x0 >= prev.x1 - 1
            and line.x0 - prev.x1 < 3 * max(prev.size, line.size, 1.0)
        ):
            gap = line.x0 - prev.x1 > 0.15 * max(prev.size, 1.0) and not line.text.startswith((",", ".", ";"))
            longer = prev if len(prev.text) >= len(line.text) else line
            merged[-1] = Line(
                text=f"{prev.text}{' ' if gap else ''}{line.text}",
                page=prev.page,
                top=min(prev.top, line.top),
                bottom=max(prev.bottom, line.bottom),
                x0=prev.x0,
                x1=line.x1,
                size=longer.size,
                bold=longer.bold,
                italic=longer.italic,
                font=longer.font,
                cells=prev.cells + line.cells,
            )
        else:
            merged.append(line)
    return merged


def read_pdf(path: str | Path, *, memory: int = MEMORY_BUDGET, seconds: float = TIME_BUDGET) -> Document:
    """All lines of a PDF in reading order, with the furniture removed and reported.

    A PDF is untrusted input (a decompression bomb, millions of objects), so it is read in a
    child process with a memory and a time limit; the parent only gets lines or one message.
    """
    return run_guarded(_read_pdf, (Path(path),), memory=memory, seconds=seconds, what=str(path))


def _read_pdf(path: Path) -> Document:
    doc = _open_pdf(path)
    fonts, lines, total, width = _FontCache(), [], 0, 0.0
    heights = {}
    try:
        for index in range(len(doc)):
            page = doc[index]
            objects = fonts.raw.FPDFPage_CountObjects(page.raw)
            if objects > MAX_OBJECTS:
                raise CorpusError(f"{path}: page {index + 1} holds {objects:,} objects; not an abstract book page")
            width, heights[index + 1] = max(width, page.get_width()), page.get_height()
            textpage = page.get_textpage()
            fonts.cache.clear()  # object handles are only unique within a page
            total += fonts.raw.FPDFText_CountChars(textpage.raw)
            if total > MAX_CHARS:
                raise CorpusError(f"{path}: more than {MAX_CHARS:,} characters of text; not an abstract book")
            page_lines = _page_lines(textpage.raw, index + 1, heights[index + 1], fonts)
            lines += order_columns(page_lines, page.get_width())
            textpage.close()
            page.close()
    finally:
        doc.close()
    inked = sum(len(line.text.replace(" ", "")) for line in lines)
    if inked < 20 * len(heights):
        raise CorpusError(f"{path}: scanned PDF: no text to read; run OCR first")
    kept, dropped = drop_furniture(lines, heights)
    return Document(str(path), kept, len(heights), width, dropped)


def read_text_file(path: Path) -> str:
    """A text file's contents as UTF-8 (a BOM allowed); a binary or mis-encoded file is a clear error."""
    data = Path(path).read_bytes()
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{path}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CorpusError(
            f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); re-save it as UTF-8"
        ) from None


def text_lines(text: str, source: str = "") -> Document:
    """A plain-text book as unstyled lines; form feeds separate pages."""
    lines, page = [], 1
    for raw_page in text.replace("\r\n", "\n").split("\f"):
        for row, raw in enumerate(raw_page.split("\n")):
            cleaned = unicodedata.normalize("NFKC", raw).strip()
            if cleaned:
                lines.append(Line(text=re.sub(r"\s+", " ", cleaned), page=page, top=float(row)))
        page += 1
    return Document(source, lines, page - 1)
