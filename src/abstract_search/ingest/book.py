"""Parsing an abstract book's text: the oral program, the poster table and the abstract bodies.

The text comes from a PDF, so table cells are broken over lines and page furniture is mixed
in. Two facts of such extractions carry most of the parsing: a line that ends in a space
(or a hyphen) was wrapped inside a table cell, and a page that starts a new abstract begins
with a single space. Everything else is recognised by shape (times, dates, "Prof." chairs,
e-mail and affiliation lines, numbered references, "Fig. 1" captions), never by a table
written for one book.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from abstract_search.records import clock_minutes

TIME = r"\d{1,2}:\d{2}"
TALK_ROW = re.compile(rf"^(\d{{1,3}})\s+({TIME})\s+({TIME})\b\s*(.*)$")
EVENT_ROW = re.compile(rf"^([A-Z][A-Za-z/&\- ]*?)\s+({TIME})\s+({TIME})\b\s*(.*)$")
UNNUMBERED_ROW = re.compile(rf"^({TIME})\s+({TIME})\s+(.*)$")
DATE_CELL = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
TABLE_HEADER = re.compile(r"^(Chair\s+(Subject|Method)|No\.?\s+Presenter)\b", re.I)
CHAIR_CELL = re.compile(r"^(Prof|Dr|Chair)\b\.?", re.I)
POSTER_ROW = re.compile(r"^(\d{1,3})\s+(\S.*)$")
TAG_CELL = re.compile(r"^[A-Z][A-Za-z]{0,5}(/[A-Z]?[A-Za-z]{0,5})*$")

ORG_OF = {
    "University",
    "Université",
    "Universidade",
    "Universität",
    "Universita",
    "Institute",
    "Institut",
    "Instituto",
    "Laboratory",
    "College",
    "School",
    "Academy",
    "Centre",
    "Center",
}
ORG_TAIL = {
    "University",
    "Univ.",
    "Univ",
    "Inc.",
    "Inc",
    "AG",
    "Ltd.",
    "Ltd",
    "GmbH",
    "Corp.",
    "Corporation",
    "Institute",
    "Laboratory",
    "Co.",
    "S.A.",
    "SE",
}
ORG_LINKS = {"of", "de", "für", "for", "di", "del", "des"}

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
class ProgramEntry:
    """One numbered row of the oral program or the poster table."""

    kind: str  # talk | poster
    number: int
    title: str
    speakers: tuple[str, ...]
    affiliation: str
    tags: tuple[str, ...] = ()
    day: int = 0
    start: str = ""
    end: str = ""
    block: int = 0


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


@dataclass
class Book:
    """Everything parsed from a book, before bodies are matched to program entries."""

    title: str
    entries: list[ProgramEntry]
    dates: list[date]
    poster_slot: tuple[int, str, str] | None
    bodies: list[Body]
    warnings: list[str] = field(default_factory=list)


# --- cells and rows ------------------------------------------------------------------------


def join_wrapped(lines: list[str]) -> list[str]:
    """Merges lines wrapped inside a table cell (they end in a space or a hyphen) into cells."""
    cells, current = [], ""
    for raw in lines:
        if not raw.strip():
            continue
        piece = raw.strip()
        if current:
            current = current + piece if current.endswith("-") else f"{current} {piece}"
        else:
            current = piece
        if not (raw.endswith(" ") or raw.endswith("-")):
            cells.append(current)
            current = ""
    if current:
        cells.append(current)
    return cells


def split_person_org(text: str) -> tuple[str, str, str]:
    """Splits 'Collin Wilkinson Alfred University' into name, organisation and any remainder."""
    tokens = text.split()
    for i in range(2, len(tokens)):
        if tokens[i] in ORG_OF and i + 1 < len(tokens) and tokens[i + 1] in ORG_LINKS:
            return " ".join(tokens[:i]), " ".join(tokens[i:]), ""
    for i in range(2, len(tokens)):
        if tokens[i] in ORG_TAIL:
            start = max(i - 1, 2)
            return " ".join(tokens[:start]), " ".join(tokens[start : i + 1]), " ".join(tokens[i + 1 :])
    return text, "", ""


def split_speakers(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in re.split(r"\s*/\s*|\s*;\s*|\s+&\s+", text) if s.strip())


def _merge_tag_fragments(fragments: list[str], vocabulary: set[str]) -> tuple[str, ...]:
    """Rejoins a method tag that the PDF wrapped ('Expt/AI' + 'MD' is 'Expt/AIMD' when both
    parts are tags seen elsewhere in the program), then splits it into single tags."""
    if not fragments:
        return ()
    glued = "".join(fragments)
    parts = [p for p in glued.split("/") if p]
    if len(fragments) > 1 and not all(p in vocabulary for p in parts):
        parts = [p for f in fragments for p in f.split("/") if p]
    return tuple(dict.fromkeys(parts))


def parse_program(lines: list[str]) -> tuple[list[ProgramEntry], list[date], tuple[int, str, str] | None]:
    """Parses the oral program: numbered talk rows, event rows (breaks), dates and chairs."""
    cells = join_wrapped(lines)
    rows: list[dict] = []  # talk rows with their raw cells, in order
    dates: list[date] = []
    poster_slot = None
    day, fresh_day, last_start, block, expected = 0, False, -1, 0, 1
    current = None

    def new_day() -> None:
        nonlocal day, block, last_start
        day, block, last_start = day + 1, 0, -1

    for cell in cells:
        talk = TALK_ROW.match(cell)
        if talk and int(talk.group(1)) == expected:
            start = clock_minutes(talk.group(2))
            if day == 0 or (not fresh_day and start < last_start):
                new_day()
            if current is None or current["block_closed"]:
                block += 1
            fresh_day, last_start, expected = False, start, expected + 1
            current = {
                "number": int(talk.group(1)),
                "start": talk.group(2),
                "end": talk.group(3),
                "rest": talk.group(4).strip(),
                "cells": [],
                "day": day,
                "block": block,
                "open": True,
                "block_closed": False,
            }
            rows.append(current)
            continue
        if TABLE_HEADER.match(cell):
            if day > 0:
                new_day()
            fresh_day = True
            if current:
                current["open"], current["block_closed"] = False, True
            continue
        event = EVENT_ROW.match(cell) or UNNUMBERED_ROW.match(cell)
        if event:
            if current:
                current["open"], current["block_closed"] = False, True
            name = event.group(1) if EVENT_ROW.match(cell) else ""
            if name.lower().startswith("poster") and poster_slot is None:
                poster_slot = (max(day, 1), event.group(2), event.group(3))
            continue
        found = DATE_CELL.match(cell)
        if found:
            month, dom, year = (int(g) for g in found.groups())
            try:
                dates.append(date(year, month, dom))
            except ValueError:
                dates.append(date(year, dom, month))
            if current:
                current["open"] = False
            continue
        if re.fullmatch(r"[a-z]{1,2}", cell):  # a letter split off a wrapped chair name
            continue
        if CHAIR_CELL.match(cell):
            if current:
                current["open"] = False
            continue
        if current and current["open"]:
            current["cells"].append(cell)

    vocabulary = set()
    for row in rows:
        first = row["rest"].split()[0] if row["rest"] else ""
        if first and TAG_CELL.match(first):
            vocabulary.update(first.split("/"))
    entries = [_talk_from_row(row, vocabulary) for row in rows]
    return entries, dates, poster_slot


def _talk_from_row(row: dict, vocabulary: set[str]) -> ProgramEntry:
    items = list(row["cells"])
    title = items.pop() if items else ""
    fragments, rest = [], row["rest"]
    if rest:
        first, _, remainder = rest.partition(" ")
        if TAG_CELL.match(first):
            fragments, rest = [first], remainder.strip()
    else:
        while items and TAG_CELL.match(items[0]) and " " not in items[0] and len(items[0]) <= 8:
            fragments.append(items.pop(0))
    people = ([rest] if rest else []) + items
    if len(people) >= 2:
        speaker, affiliation = people[0], " ".join(people[1:])
    elif people:
        speaker, affiliation, _ = split_person_org(people[0])
    else:
        speaker, affiliation = "", ""
    return ProgramEntry(
        kind="talk",
        number=row["number"],
        title=title,
        speakers=split_speakers(speaker),
        affiliation=affiliation,
        tags=_merge_tag_fragments(fragments, vocabulary),
        day=row["day"],
        start=row["start"],
        end=row["end"],
        block=row["block"],
    )


def parse_posters(lines: list[str]) -> list[ProgramEntry]:
    """Parses a poster table: numbered rows of presenter, affiliation and a wrapped title."""
    entries, current, expected = [], None, 1
    for raw in lines:
        line = raw.strip()
        if not line or TABLE_HEADER.match(line):
            continue
        row = POSTER_ROW.match(line)
        if row and int(row.group(1)) == expected:
            name, org, title_start = split_person_org(row.group(2))
            current = {"number": expected, "name": name, "org": org, "title": [title_start] if title_start else []}
            entries.append(current)
            expected += 1
        elif current is not None:
            current["title"].append(line)
    return [
        ProgramEntry(
            kind="poster",
            number=e["number"],
            title=_join_lines(e["title"]),
            speakers=split_speakers(e["name"]),
            affiliation=e["org"],
        )
        for e in entries
    ]


# --- bodies --------------------------------------------------------------------------------


def _join_lines(lines: list[str]) -> str:
    text = ""
    for line in (s.strip() for s in lines):
        if not line:
            continue
        if text.endswith("-") and line[:1].isalpha():
            text += line
        else:
            text = f"{text} {line}" if text else line
    return re.sub(r"\s+", " ", text).strip()


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
    return _join_lines(window[:author]), tuple(window[: end + 1]), end + 1


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
            captions.append(_join_lines(paragraph))
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
            prose.append(_join_lines(paragraph))
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
    return [_join_lines(item) for item in items]


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


# --- the whole book ------------------------------------------------------------------------


def parse_book(text: str) -> Book:
    """Parses a whole abstract book: program, posters and bodies (not yet matched)."""
    lines = text.replace("\r\n", "\n").replace("\f", "\n").split("\n")
    nonblank = [line.strip() for line in lines if line.strip()]
    book_title = nonblank[0] if nonblank else ""
    program_at = next((i for i, line in enumerate(lines) if re.match(r"^\s*Program\b", line)), None)
    posters_at = next((i for i, line in enumerate(lines) if re.match(r"^\s*Poster presentations\b", line, re.I)), None)
    after = posters_at if posters_at is not None else (program_at if program_at is not None else 0)
    bodies_at = next((i for i in range(after + 1, len(lines)) if re.match(r"^ \S", lines[i])), len(lines))
    warnings = []
    if program_at is None:
        warnings.append("no 'Program' section found: no talks parsed")
        talks, dates, slot = [], [], None
    else:
        talks, dates, slot = parse_program(lines[program_at + 1 : posters_at or bodies_at])
    posters = parse_posters(lines[posters_at + 1 : bodies_at]) if posters_at is not None else []
    bodies = segment_bodies(lines[bodies_at:], bodies_at, book_title)
    return Book(book_title, talks + posters, dates, slot, bodies, warnings)
