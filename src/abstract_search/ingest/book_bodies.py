"""The abstract bodies of a text book: cut into abstracts, title blocks split off, prose apart.

Kept apart from the program tables (`abstract_search.ingest.book_program`) and from the
whole-book parse (`abstract_search.ingest.book.parse_book`) because bodies are segmented on
other evidence: a page that starts a new abstract begins with a single space, a running
header repeats the book's title, and title blocks, e-mail and affiliation lines, numbered
references and "Fig. 1" captions are recognised by shape. Each `Body` keeps its title block,
prose, references and captions apart, with warnings where characters may have been lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from abstract_search.ingest.book_program import join_lines

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(\.[\w-]+)+|Corresponding Author", re.I)
AFFILIATION = re.compile(
    r"\b(Department|Departamento|Département|Dept\.|Universit\w*|Univ\.|Institut\w*|Laborator\w*|"
    r"School|Faculty|Directorate|Cent(er|re)|College|Academy|Inc\.|Ltd|GmbH|Corporation)\b"
)
POSTAL = re.compile(
    r"\b\d{3,6}\b|\b(Japan|China|U\.?S\.?A\.?|USA|Italia|Italy|France|Brazil|Germany|"
    r"India|U\.?K\.?|England|Spain|Korea|Canada)\b"
)
NAME_PARTICLES = {"de", "da", "van", "der", "von", "and", "&", "dos", "del", "di", "la", "le"}
REF_HEADER = re.compile(r"^References?\s*:?\s*$", re.I)
REF_START = re.compile(r"^(\[\d{1,3}\]|\d{1,3}[.)])\s+\S")
YEAR = re.compile(r"\b(19|20)\d\d\b|under review|accepted|to be appeared|in press", re.I)
CAPTION = re.compile(r"^(Fig\.?|Figure)\s*\d+", re.I)
TERMINAL = re.compile(r"[.!?:;]\)?$")


@dataclass(frozen=True)
class Body:
    """One abstract body as printed, with its title block (if it survived) split off."""

    index: int
    first_line: int
    head_title: str
    head_lines: tuple[str, ...]
    paragraphs: tuple[str, ...]
    references: tuple[str, ...]
    captions: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def is_page_header(line: str, book_title: str) -> bool:
    """A running header repeats the book's title (the first words of the document)."""
    words = set(re.findall(r"\w+", line.lower()))
    title_words = set(re.findall(r"\w+", book_title.lower()))
    return len(title_words) >= 4 and len(words & title_words) >= 0.8 * len(title_words)


def _is_author_line(line: str, next_line: str) -> bool:
    cleaned = re.sub(r"[\d*,&;()]|\ba\)|\bb\)", " ", line)
    words = cleaned.split()
    if len(words) < 2 or len(line) > 160 or line.rstrip().endswith("."):
        return False
    if not all(w[0].isupper() or w.lower() in NAME_PARTICLES for w in words):
        return False
    marked = bool(re.search(r"[\d*,&]", line))
    return marked or bool(AFFILIATION.search(next_line) or EMAIL.search(next_line))


def parse_head(lines: list[str]) -> tuple[str, tuple[str, ...], int]:
    """Finds a title block (title, authors, affiliations, e-mail) at the top of a body.

    Returns the title, the block's lines and how many non-blank lines it spans (0 if none).
    """
    window = lines[:16]
    author = next(
        (
            i
            for i in range(1, min(len(window), 4))  # a title has at most three lines
            if _is_author_line(window[i], window[i + 1] if i + 1 < len(window) else "")
        ),
        None,
    )
    email = next((i for i, line in enumerate(window) if EMAIL.search(line)), None)
    if author is None or any(AFFILIATION.search(line) or EMAIL.search(line) for line in window[:author]):
        return "", (), 0
    title = window[:author]  # a title is not a caption, a reference or finished sentences
    if any(CAPTION.match(line) or REF_START.match(line) for line in title) or any(
        line.rstrip().endswith(".") for line in title[:-1]
    ):
        return "", (), 0
    if _is_author_line(window[0], window[1] if len(window) > 1 else ""):
        return "", (), 0
    end = email
    if end is None:
        end = author
        while end + 1 < len(window) and (
            AFFILIATION.search(window[end + 1])
            or (end > author and POSTAL.search(window[end + 1]) and len(window[end + 1]) < 80)
        ):
            end += 1
        if end == author:
            return "", (), 0
    return join_lines(window[:author]), tuple(window[: end + 1]), end + 1


def _paragraphs(lines: list[str]) -> list[list[str]]:
    """Blank-line separated paragraphs, re-merged where a page or line spacing split a sentence."""
    paragraphs, current = [], []
    for raw in lines:
        if raw.strip():
            current.append(raw.rstrip())
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    merged: list[list[str]] = []
    for paragraph in paragraphs:
        first = paragraph[0].strip()
        starts_anew = REF_HEADER.match(first) or CAPTION.match(first) or REF_START.match(first)
        continues = re.match(r"^([a-z(\d]|[A-Z]{2,}\w*\b)", first)  # lower case, '(', digit, ACRONYM
        if merged and continues and not starts_anew and not TERMINAL.search(merged[-1][-1].strip()):
            merged[-1].extend(paragraph)
        else:
            merged.append(paragraph)
    return merged


def split_body(lines: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Separates prose from references (kept as a field) and figure captions."""
    prose, references, captions = [], [], []
    in_references = False
    for paragraph in _paragraphs(lines):
        first = paragraph[0].strip()
        if REF_HEADER.match(first) or re.match(r"^References?\s*:", first, re.I):
            in_references = True
            rest = re.sub(r"^References?\s*:?\s*", "", first, flags=re.I)
            paragraph = ([rest] if rest else []) + paragraph[1:]
            references.extend(paragraph)
            continue
        if CAPTION.match(first):
            captions.append(join_lines(paragraph))
            in_references = False
            continue
        if in_references and (REF_START.match(first) or YEAR.search(" ".join(paragraph)) or len(first.split()) < 12):
            references.extend(paragraph)
            continue
        in_references = False
        cut = _trailing_references(paragraph)
        references.extend(paragraph[cut:])
        paragraph = paragraph[:cut]
        if paragraph:
            prose.append(join_lines(paragraph))
    return prose, _split_references(references), captions


def _trailing_references(paragraph: list[str]) -> int:
    """Where a reference list without a header starts at the end of a paragraph (numbered
    items that all cite a year, after a finished sentence); len(paragraph) if there is none."""
    for i, line in enumerate(paragraph):
        if REF_START.match(line.strip()) and (i == 0 or TERMINAL.search(paragraph[i - 1].strip())):
            items = _split_references(paragraph[i:])
            if all(YEAR.search(item) for item in items):
                return i
    return len(paragraph)


def _split_references(lines: list[str]) -> list[str]:
    items: list[list[str]] = []
    for line in (s.strip() for s in lines):
        if not line:
            continue
        if REF_START.match(line) or not items:
            items.append([line])
        else:
            items[-1].append(line)
    return [join_lines(item) for item in items]


def _head_lines(lines: list[str], i: int) -> int:
    """How many raw lines (blank ones included) the title block starting at line i spans; 0 if none."""
    window = [(k, line.strip()) for k, line in enumerate(lines[i : i + 40]) if line.strip()][:16]
    span = parse_head([line for _, line in window])[2]
    return window[span - 1][0] + 1 if span else 0


def _starts_title_block(lines: list[str], i: int) -> bool:
    """Whether a title block (title lines, an author line, affiliations or an e-mail) starts at line i."""
    return not lines[i].strip()[:1].islower() and _head_lines(lines, i) > 0


def segment_bodies(lines: list[str], first_line: int, book_title: str) -> list[Body]:
    """Cuts the abstract section into bodies and merges fragments (captions, spilled pages)."""
    starts, blanks, previous, head_end = [0], 0, "", 0
    header_lines = set()
    for i, raw in enumerate(lines):
        if not raw.strip():
            blanks += 1
            continue
        if is_page_header(raw, book_title):
            header_lines.add(i)
            starts.append(i)
        elif i > 0 and re.match(r"^ \S", raw):
            starts.append(i)
        elif (
            i >= head_end
            and (blanks >= 3 or TERMINAL.search(previous) or CAPTION.match(previous))
            and _starts_title_block(lines, i)
        ):
            starts.append(i)  # a title block where a new abstract lost its page start
        if starts[-1] == i:
            head_end = i + _head_lines(lines, i)
        blanks, previous = 0, raw.strip()
    starts = sorted(set(starts)) + [len(lines)]
    bodies: list[Body] = []
    for a, b in zip(starts, starts[1:], strict=False):
        chunk = [line for i, line in enumerate(lines[a:b], start=a) if i not in header_lines]
        nonblank = [line.strip() for line in chunk if line.strip()]
        if not nonblank:
            continue
        title, head, span = parse_head(nonblank)
        body_lines, seen = [], 0
        for line in chunk:
            if seen >= span:
                body_lines.append(line)
            if line.strip():
                seen += 1
        prose, references, captions = split_body(body_lines)
        words = sum(len(p.split()) for p in prose)
        fragment = not head and bodies and (words < 40 or nonblank[0][:1].islower() or not prose)
        if fragment:
            previous = bodies[-1]
            bodies[-1] = Body(
                previous.index,
                previous.first_line,
                previous.head_title,
                previous.head_lines,
                previous.paragraphs,
                previous.references + tuple(references),
                previous.captions + tuple(prose) + tuple(captions),
                previous.warnings,
            )
            continue
        warnings = [] if prose else ["no abstract text after the title block"]
        short = [line.strip() for line in body_lines if 0 < len(line.strip()) <= 3]
        if short:
            warnings.append(f"possible lost characters (stray fragments {', '.join(map(repr, short[:4]))})")
        bodies.append(
            Body(
                len(bodies),
                first_line + a + 1,
                title,
                head,
                tuple(prose),
                tuple(references),
                tuple(captions),
                tuple(warnings),
            )
        )
    return bodies
