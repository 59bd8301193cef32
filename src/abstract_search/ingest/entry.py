"""One entry's lines: what each line is (a label, a name, an author list, an affiliation, a
section heading) and the entry they make: title, people, fields, body and references.

The rules read shapes any book shows, never one book's words: labelled fields (`Presenter:`,
`Abstract:`), names with affiliation markers, numbered or italic affiliations, e-mails, reference
lists. `segment.py` decides where entries start; this module reads each one, with `people.py`
telling names, author lists and affiliation lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from abstract_search.ingest.lines import Line, join_lines, label_key, same_label
from abstract_search.ingest.people import is_affiliation_line, is_author_line, is_name_like, name_words, split_people

DOT_LEADER = re.compile(r"(\.\s?){4,}\s*\d+\s*$|\.{6,}|…{2,}")


INDEX_LINE = re.compile(r"^[^\d]{3,60}[ ,]\s*\d{1,4}(\s*[,;]\s*\d{1,4})+\s*$")


SEPARATOR = re.compile(r"^[\W_]{3,}$")


LABEL = re.compile(r"^\s*([A-Z][A-Za-z]*(?:\s*[/&]?\s*[A-Za-z]+){0,3})\s*:\s*(.*)$")


LABEL_FIELDS = {
    "presenter": "presenter",
    "presenters": "presenter",
    "presenting author": "presenter",
    "speaker": "presenter",
    "speakers": "presenter",
    "author": "authors",
    "authors": "authors",
    "affiliation": "affiliations",
    "affiliations": "affiliations",
    "abstract": "abstract",
    "keywords": "keywords",
    "key words": "keywords",
    "keyword": "keywords",
    "date": "when",
    "time": "when",
    "date / time": "when",
    "date/time": "when",
    "when": "when",
    "session": "session",
    "track": "session",
    "type": "type",
    "presentation type": "type",
    "location": "room",
    "room": "room",
    "abstract id": "id",
    "id": "id",
    "e-mail": "email",
    "email": "email",
}


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


TERMINAL = re.compile(r"[.!?]\)?[\"”']?$")


REF_HEADER = re.compile(r"^(References?|Bibliography|Literature)\s*:?\s*$", re.I)


REF_ITEM = re.compile(r"^(\[\d{1,3}\]|\d{1,3}[.)])\s+\S")


YEAR = re.compile(r"\b(19|20)\d\d\b")


COLUMN_WORDS = {
    "title",
    "presenter",
    "presenters",
    "speaker",
    "speakers",
    "author",
    "authors",
    "time",
    "date",
    "day",
    "room",
    "location",
    "session",
    "no",
    "no.",
    "#",
    "affiliation",
    "abstract",
    "start",
    "end",
}


DAY_HEADING = re.compile(r"^(day\s+\d+|(mon|tues|wednes|thurs|fri|satur|sun)day\b)", re.I)


KIND_WORDS = (("poster", "poster"), ("keynote", "keynote"), ("plenary", "keynote"), ("invited", "talk"))


@dataclass
class Entry:
    """One abstract as the book prints it, before records are made."""

    title: str
    pages: tuple[int, int]
    authors: list[str] = field(default_factory=list)
    presenter: str = ""
    affiliations: list[str] = field(default_factory=list)
    body: str = ""
    references: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # labelled fields as printed
    sections: list[str] = field(default_factory=list)  # the section headings above it
    kind: str = ""
    evidence: list[str] = field(default_factory=list)
    confidence: float = 0.0
    tables: list[list[Entry]] = field(default_factory=list)  # title-only entries from tables printed in it


def is_table_header(text: str) -> bool:
    """'Title  Presenter  Time  Location': a row of column names starts a table, not prose."""
    words = [w.strip(".:") for w in text.lower().split()]
    keys = [label_key(c) for c in COLUMN_WORDS]
    named = sum(w in COLUMN_WORDS or any(same_label(label_key(w), k) for k in keys if k) for w in words)
    return named >= 3 and named >= 0.75 * len(words)


def is_prose(line: Line, body: tuple[float, bool]) -> bool:
    return abs(line.size - body[0]) <= 0.6 and line.bold == body[1]


_FIELD_OF_KEY = {label_key(name): field_name for name, field_name in LABEL_FIELDS.items()}


def label_of(text: str) -> tuple[str, str] | None:
    """('presenter', 'Jane Doe') for 'Presenter: Jane Doe'; None when the text is no labelled field."""
    found = LABEL.match(text)
    if not found:
        return None
    key = label_key(found.group(1))
    field_name = next((f for known, f in _FIELD_OF_KEY.items() if same_label(key, known)), None)
    return (field_name, found.group(2).strip()) if field_name else None


def is_headingish(line: Line, body: tuple[float, bool]) -> bool:
    letters = sum(c.isalpha() for c in line.text)
    if letters < 3 or SEPARATOR.match(line.text) or label_of(line.text):
        return False
    return line.size >= body[0] - 0.1 and (line.size > body[0] + 0.6 or line.bold != body[1])


CODE_LINE = re.compile(
    r"^[A-Z]{0,4}[-\s.]?\d{1,4}(?:[-.]\d{1,3})?[a-z]?$|^(Poster|Talk|Abstract|Paper)\s+[A-Z]?-?\d{1,4}$", re.I
)


CLOCK = r"\d{1,2}[:.h]\d{2}\s*(?:[ap]\.?m\.?)?"


TIME_LINE = re.compile(rf"^{CLOCK}\s*(?:[-–—]\s*{CLOCK})?$", re.I)


@dataclass
class Sections:
    """The section headings in force where the reader is, and what the book's body type is like."""

    body_italic: bool = False
    day: str = ""
    headings: list[tuple[float, int, str]] = field(default_factory=list)  # (-type size, order, text)
    last: Line | None = None  # the heading entered last
    entered: int = 0  # headings entered so far: the order of headings of one type size

    def enter(self, line: Line) -> None:
        """A heading replaces earlier headings of its type size and smaller ones, except a heading
        printed right above it ('Day 1' over 'Short talks'): both are kept. A day outranks all."""
        if DAY_HEADING.match(line.text):
            self.day, self.headings, self.last = line.text, [], line
            return
        last = self.last
        together = last is not None and last.page == line.page and 0 <= line.top - last.bottom < 3 * line.size
        kept = [h for h in self.headings if h[0] < -line.size or (together and h[2] == last.text)]
        self.headings = [*kept, (-line.size, self.entered, line.text)]
        self.last, self.entered = line, self.entered + 1

    def current(self) -> list[str]:
        """The day, then the headings from the largest type down."""
        return ([self.day] if self.day else []) + [text for *_, text in sorted(self.headings)]


def parse_entry(chunk, title_at, body, title_style, rare, vocabulary, context: Sections) -> Entry:
    """Title, people, fields and body of one entry's lines (context: the section headings so far)."""
    pre, rest = chunk[:title_at], chunk[title_at:]
    n_title = 1
    while n_title < len(rest) and _continues_title(rest[n_title], rest[n_title - 1], body):
        n_title += 1
    title = join_lines([line.text for line in rest[:n_title]], vocabulary)
    entry = Entry(title=title, pages=(chunk[0].page, chunk[-1].page))
    entry.evidence.append(f"title in the book's title style ({title_style[0]:g} pt{' bold' if title_style[1] else ''})")
    names = []
    for line in pre:
        if line.style in rare and is_section_line(line):
            context.enter(line)
        elif (found := label_of(line.text)) is not None:
            entry.fields.setdefault(found[0], found[1])
        elif TIME_LINE.match(line.text.strip()):
            entry.fields.setdefault("when", line.text.strip())
        elif CODE_LINE.match(line.text.strip()):
            entry.fields.setdefault("id", line.text.strip())
        elif is_name_like(line.text):
            names.append(line.text)
        else:
            entry.fields["above title"] = " / ".join(filter(None, [entry.fields.get("above title"), line.text]))
    entry.sections = context.current()
    _parse_after_title(entry, rest[n_title:], body, rare, vocabulary, context)
    _choose_people(entry, names)
    kind_text = " ".join([entry.fields.get("type", ""), *entry.sections]).lower()
    entry.kind = next((kind for word, kind in KIND_WORDS if word in kind_text), "talk")
    entry.confidence = _confidence(entry)
    return entry


def _continues_title(line: Line, previous: Line, body) -> bool:
    """The title's next line: its type, or its font and size (a subscript can tip the weight count)."""
    if line.page != previous.page or label_of(line.text):
        return False
    same_font = line.font == previous.font and abs(line.size - previous.size) < 0.5
    return (line.style == previous.style and is_headingish(line, body)) or (same_font and line.font != "")


def _parse_after_title(entry: Entry, lines: list[Line], body, rare, vocabulary, context: Sections) -> None:
    """People, affiliations and labelled fields, then the body up to the next entry."""
    i, body_lines, in_head, pending, author_type = 0, [], True, [], None
    while i < len(lines):
        line = lines[i]
        if SEPARATOR.match(line.text):
            i += 1
            continue
        if is_table_header(line.text):
            while body_lines and body_lines[-1].style in rare and is_section_line(body_lines[-1]):
                heading = body_lines.pop()
                if not any(h is heading for h in pending):
                    pending.insert(0, heading)
            for heading in pending:
                context.enter(heading)
            from abstract_search.ingest.book_tables import table_entries

            entry.tables.append(table_entries(line, lines[i + 1 :], context))
            break
        found = label_of(line.text)
        if found is not None and (in_head or found[0] in ("keywords",)):
            key, value = found
            if key == "abstract":
                in_head = False
                if value:
                    body_lines.append(Line(value, line.page, size=line.size, bold=line.bold))
            else:
                entry.fields[key] = (entry.fields.get(key, "") + " " + value).strip()
        elif in_head and (EMAIL.search(line.text) or (not is_prose(line, body) and line.size < body[0])):
            entry.affiliations.append(line.text)
        elif (
            in_head
            and not entry.affiliations
            and author_type in (None, (line.style, line.italic))  # an author list goes on in its own type
            and is_author_line(line.text)
            and len(line.text) < 300
        ):
            entry.authors += split_people(line.text)
            author_type = (line.style, line.italic)
        elif in_head and entry.authors and is_affiliation_line(line, context.body_italic):
            entry.affiliations.append(line.text)
        elif line.style in rare and is_section_line(line) and _only_headings_follow(lines[i:], body):
            for heading in lines[i:]:
                if not SEPARATOR.match(heading.text):
                    context.enter(heading)
            break
        else:
            in_head = False
            body_lines.append(line)
        i += 1
    prose, refs = _split_references([line.text for line in body_lines])
    entry.body = join_lines(prose, vocabulary)
    entry.references = refs
    if "keywords" in entry.fields:
        entry.keywords = [k.strip() for k in re.split(r"[;,]", entry.fields["keywords"]) if k.strip()]
    entry.affiliations = [re.sub(r"^\d{1,2}\s*", "", a) for a in entry.affiliations if not EMAIL.fullmatch(a)]


def _only_headings_follow(lines: list[Line], body) -> bool:
    """The tail of an entry is the next section's headings: a few short heading lines."""
    headings = [line for line in lines if not SEPARATOR.match(line.text)]
    return len(headings) <= 4 and all(is_headingish(line, body) and is_section_line(line) for line in headings)


def is_section_line(line: Line) -> bool:
    return len(line.text.split()) <= 12 and not TERMINAL.search(line.text)


def _split_references(texts: list[str]) -> tuple[list[str], list[str]]:
    """Prose and the reference list (after a 'References' header, or trailing numbered items citing years)."""
    for i, text in enumerate(texts):
        if REF_HEADER.match(text):
            return texts[:i], _items(texts[i + 1 :])
    for i, text in enumerate(texts):
        if REF_ITEM.match(text) and (i == 0 or TERMINAL.search(texts[i - 1])):
            items = _items(texts[i:])
            if items and all(YEAR.search(item) for item in items):
                return texts[:i], items
    return texts, []


def _items(texts: list[str]) -> list[str]:
    items: list[list[str]] = []
    for text in texts:
        if REF_ITEM.match(text) or not items:
            items.append([text])
        else:
            items[-1].append(text)
    return [join_lines(item) for item in items]


def _choose_people(entry: Entry, names: list[str]) -> None:
    """Presenter first: a labelled presenter, else a name printed above the title that is an author."""
    labelled = entry.fields.get("presenter", "")
    if labelled:
        presenters = split_people(labelled)
        entry.presenter = presenters[0] if presenters else ""
        entry.evidence.append("presenter from a labelled field")
        entry.authors = presenters + [a for a in entry.authors if a not in presenters]
    elif "authors" in entry.fields and not entry.authors:
        entry.authors = split_people(entry.fields["authors"])
    if not entry.presenter and names:
        words = name_words(names[-1])
        match = next((a for a in entry.authors if name_words(a) and name_words(a)[-1] in words), None)
        initials_only = match is not None and all(len(w) <= 2 for w in name_words(match)[:-1])
        entry.presenter = names[-1] if match is None or initials_only else match
        entry.evidence.append("presenter printed above the title" + (" (an author)" if match else ""))
        if match is not None and initials_only:
            entry.authors.remove(match)
        if entry.presenter not in entry.authors:
            entry.authors.insert(0, entry.presenter)
    if entry.presenter and entry.presenter in entry.authors:
        entry.authors.remove(entry.presenter)
        entry.authors.insert(0, entry.presenter)


def _confidence(entry: Entry) -> float:
    """How sure we are this is an abstract: a title, people and a body of some length."""
    score = 0.4
    score += 0.2 if entry.authors else 0.0
    score += 0.3 if len(entry.body.split()) >= 40 else 0.1 if entry.body else 0.0
    score += 0.1 if entry.affiliations or entry.fields else 0.0
    return round(min(score, 1.0), 2)
