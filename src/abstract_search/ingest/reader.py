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
from dataclasses import dataclass, field
from pathlib import Path

from abstract_search.records import CorpusError

MAX_PAGES = 3000  # a book longer than this is refused rather than read for minutes
MAX_CHARS = 20_000_000  # about 10,000 dense pages of text
MAX_OBJECTS = 200_000  # drawing and text objects on one page; a dense text page has a few thousand
MEMORY_BUDGET = 3 * 2**30  # bytes a PDF may take to read, beyond what the process already maps
TIME_BUDGET = 600.0  # seconds; a 126-page book reads in a few
ITALIC_NAME = re.compile(r"italic|oblique|(?<![a-z])cmti|cmsl", re.I)
BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|(?<![a-z])cmbx|cmb\d|\bbx\b", re.I)
FURNITURE_MARGIN = 0.14  # fraction of the page height at the top and bottom where furniture lives
PAGE_NUMBER = re.compile(r"^(page\s*)?[-–—]?\s*[ivxlc\d]{1,4}\s*[-–—]?(\s*(/|of)\s*\d+)?$", re.I)


@dataclass(frozen=True)
class Line:
    """One printed line: its text, where it is and in which type (size 0 for plain text)."""

    text: str
    page: int
    top: float = 0.0
    x0: float = 0.0
    x1: float = 0.0
    bottom: float = 0.0
    size: float = 0.0
    bold: bool = False
    italic: bool = False
    font: str = ""
    cells: tuple[tuple[float, float, str], ...] = ()  # (x0, x1, text) pieces split at wide gaps

    @property
    def style(self) -> tuple[float, bool]:
        """Type size to the half point and weight: what repeats across a book's template."""
        return (round(self.size * 2) / 2, self.bold)


@dataclass
class Document:
    """A book as lines in reading order, plus what was dropped as page furniture."""

    source: str
    lines: list[Line]
    pages: int
    page_width: float = 0.0
    furniture: list[str] = field(default_factory=list)


def clean_text(text: str) -> str:
    """NFKC (ligatures, full-width forms) and ftfy's repair of mojibake, whitespace collapsed."""
    import ftfy

    text = ftfy.fix_text(text, normalization="NFKC", unescape_html=False, fix_latin_ligatures=True)
    return re.sub(r"\s+", " ", text).strip()


# --- PDF --------------------------------------------------------------------------------------


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


def run_guarded(function, args: tuple, *, memory: int, seconds: float, what: str):
    """Runs `function(*args)` in a forked child under an address-space limit and a deadline."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, function, args, memory), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            child.kill()
            raise CorpusError(f"{what}: reading took longer than {seconds:g} s; not read")
        try:
            status, value = receiver.recv()
        except EOFError:
            child.join()
            raise CorpusError(
                f"{what}: reading needed more than {memory / 2**30:.1f} GiB of memory or crashed "
                f"(exit code {child.exitcode}); not read"
            ) from None
    finally:
        receiver.close()
        child.join(timeout=5)
    if status == "error":
        raise CorpusError(value)
    return value


def _child_main(sender, function, args, memory: int) -> None:
    import faulthandler
    import resource

    faulthandler.disable()  # a child stopped by its memory limit is reported by the parent, not dumped

    try:
        with open("/proc/self/statm") as handle:
            mapped = int(handle.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (mapped + memory, mapped + memory))
    except (OSError, ValueError):
        pass  # no /proc or no limit on this system: read unguarded
    try:
        sender.send(("ok", function(*args)))
    except CorpusError as err:
        sender.send(("error", str(err)))
    except MemoryError:
        sender.send(("error", f"{args[0]}: reading needed more than {memory / 2**30:.1f} GiB of memory; not read"))
    finally:
        sender.close()


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


def order_columns(lines: list[Line], width: float) -> list[Line]:
    """Two-column pages read left column then right, band by band between full-width lines."""
    gutter = find_gutter(lines, width)
    if gutter is None:
        return lines
    lines = [part for line in lines for part in _split_line(line, gutter)]
    ordered, band = [], []
    for line in sorted(lines, key=lambda item: item.top):
        if line.x0 < gutter < line.x1:  # spans the gutter: closes a band
            ordered += _band_order(band, gutter) + [line]
            band = []
        else:
            band.append(line)
    return ordered + _band_order(band, gutter)


def find_gutter(lines: list[Line], width: float) -> float | None:
    """The x of a column gutter: no printed piece crosses it, and many lines have text on both sides."""
    pieces = [cell for line in lines for cell in (line.cells or ((line.x0, line.x1, line.text),))]
    best, best_count = None, 0
    for step in range(36, 65):
        x = width * step / 100
        if any(c[0] < x < c[1] for c in pieces):
            continue
        left = sum(1 for line in lines if line.x1 <= x)
        right = sum(1 for line in lines if line.x0 >= x)
        both = sum(1 for line in lines if line.x0 < x < line.x1)
        count = min(left + both, right + both)
        if count > best_count:
            best, best_count = x, count
    return best if best_count >= max(5, 0.25 * len(lines)) else None


def _split_line(line: Line, gutter: float) -> list[Line]:
    if not (line.x0 < gutter < line.x1) or not line.cells:
        return [line]
    parts = [[c for c in line.cells if c[1] <= gutter], [c for c in line.cells if c[0] >= gutter]]
    return [
        Line(
            text=" ".join(c[2] for c in cells),
            page=line.page,
            top=line.top,
            bottom=line.bottom,
            x0=cells[0][0],
            x1=cells[-1][1],
            size=line.size,
            bold=line.bold,
            italic=line.italic,
            font=line.font,
            cells=tuple(cells),
        )
        for cells in parts
        if cells
    ]


def _band_order(band: list[Line], gutter: float) -> list[Line]:
    return sorted(band, key=lambda line: (line.x0 >= gutter, line.top))


def drop_furniture(lines: list[Line], heights: dict[int, float]) -> tuple[list[Line], list[str]]:
    """Drops running headers/footers (the same text near the same edge on many pages) and page numbers."""

    def shape(line: Line) -> str:
        """The text with its page's own number blanked: 'Page 12 of 64' repeats as 'Page # of 64'."""
        return re.sub(rf"(?<!\d){line.page}(?!\d)", "#", line.text.lower())

    def in_margin(line: Line) -> bool:
        height = heights.get(line.page) or 1.0
        return line.top < FURNITURE_MARGIN * height or line.bottom > (1 - FURNITURE_MARGIN) * height

    pages_of: dict[str, set[int]] = {}
    for line in lines:
        if in_margin(line):
            pages_of.setdefault(shape(line), set()).add(line.page)
    # Three pages suffice: a section's running header repeats on its own pages only.
    repeated = {s for s, pages in pages_of.items() if len(pages) >= 3}
    kept, dropped, seen = [], [], set()
    for line in lines:
        number = in_margin(line) and PAGE_NUMBER.match(line.text)
        if number or (in_margin(line) and shape(line) in repeated):
            key = "page number" if number else line.text
            if key not in seen:
                seen.add(key)
                dropped.append("page numbers" if number else f"running header/footer {line.text[:70]!r}")
            continue
        kept.append(line)
    return kept, dropped


# --- plain text --------------------------------------------------------------------------------


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


def join_lines(texts: list[str], vocabulary: Counter | None = None) -> str:
    """Joins wrapped lines into one text, mending words hyphenated at line ends.

    'neces-' + 'sity' becomes 'necessity'; 'HPV-' + 'independent' keeps its hyphen when the
    book prints 'HPV-independent' elsewhere in a line and never 'HPVindependent'.
    """
    out = ""
    for piece in texts:
        piece = piece.strip()
        if not piece:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and piece[:1].isalpha():
            head = re.findall(r"[\w-]+$", out[:-1])
            tail = re.match(r"[\w-]+", piece)
            joined_hyphen = f"{head[0] if head else ''}-{tail.group(0) if tail else ''}".lower()
            joined_plain = joined_hyphen.replace("-", "", 1)
            keep = piece[0].isupper() and not out[-2].isupper()
            if vocabulary is not None and vocabulary[joined_hyphen] > vocabulary[joined_plain]:
                keep = True
            out = out + piece if keep else out[:-1] + piece
        else:
            out = f"{out} {piece}" if out else piece
    return out


def word_counts(lines: list[Line]) -> Counter:
    """Lower-cased words (hyphenated ones whole) as printed inside lines: evidence for join_lines."""
    counts: Counter = Counter()
    for line in lines:
        words = re.findall(r"[\w]+(?:-[\w]+)*", line.text.lower())
        counts.update(words[:-1] if line.text.endswith("-") else words)
    return counts
