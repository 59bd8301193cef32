"""Tables printed inside a book (a poster-flash list, a session grid) read back into rows.

PDFium gives each printed piece with its position; a header row of column names fixes the
columns, each piece goes to the column it stands under, and a row starts where the first
column holds a row number (or, in unnumbered tables, where a new first-column piece begins).
"""

from __future__ import annotations

import re

# entry.py imports this module lazily (only when a table is met), so this import is no cycle.
from abstract_search.ingest.entry import KIND_WORDS, Entry, Sections
from abstract_search.ingest.lines import Line, label_key, same_label
from abstract_search.ingest.people import split_people

TIME_RANGE = re.compile(r"\b\d{1,2}[:.h]\d{2}\s*(?:[ap]\.?m\.?)?\s*[-–—]\s*\d{1,2}[:.h]\d{2}\s*(?:[ap]\.?m\.?)?", re.I)
ROW_NUMBER = re.compile(r"^(\d{1,3})[.)]?(\s+|$)")
COLUMN_FIELD = {
    "title": "title",
    "presenter": "presenter",
    "presenters": "presenter",
    "speaker": "presenter",
    "speakers": "presenter",
    "author": "authors",
    "authors": "authors",
    "time": "when",
    "start": "when",
    "date": "date",
    "day": "date",
    "room": "room",
    "location": "room",
    "session": "session",
    "affiliation": "affiliations",
    "no": "number",
    "no.": "number",
    "#": "number",
}


def _field(name: str) -> str:
    key = label_key(name)
    found = COLUMN_FIELD.get(name.lower().strip(".: "))
    return found or next((f for known, f in COLUMN_FIELD.items() if same_label(key, label_key(known))), name.lower())


def read_rows(header: Line, lines: list[Line]) -> list[dict[str, str]]:
    """The table under `header` as one dict per row (column field -> text)."""
    columns = [(x0, x1, _field(text)) for x0, x1, text in header.cells or ((header.x0, header.x1, header.text),)]
    if len(columns) < 2:
        return []
    bounds = [(a[1] + b[0]) / 2 for a, b in zip(columns, columns[1:], strict=False)]
    pieces = sorted(
        ((line.top, x0, x1, text) for line in lines for x0, x1, text in line.cells or ((line.x0, line.x1, line.text),)),
        key=lambda p: (round(p[0]), p[1]),
    )
    numbered = any(p[1] < bounds[0] and ROW_NUMBER.match(p[3]) for p in pieces)
    rows: list[tuple[float, dict[str, list[str]]]] = []
    for top, x0, _, text in pieces:
        column = sum(x0 >= b for b in bounds)
        starts = column == 0 and (ROW_NUMBER.match(text) if numbered else not rows or top > rows[-1][0] + 1)
        if starts or not rows:
            rows.append((top, {}))
        row = next((r for r in reversed(rows) if r[0] <= top + 2), rows[0])[1]
        name = columns[column][2]
        found = TIME_RANGE.search(text)
        if found and name != "when" and any(c[2] == "when" for c in columns):
            row.setdefault("when", []).append(found.group(0))
            text = (text[: found.start()] + text[found.end() :]).strip()
        if starts and numbered:
            number = ROW_NUMBER.match(text)
            row["number"] = [number.group(1)]
            text = text[number.end() :]
        if text:
            row.setdefault(name, []).append(text)
    return [{k: " ".join(v) for k, v in row.items()} for _, row in rows]


def table_entries(header: Line, lines: list[Line], context: Sections) -> list[Entry]:
    """Title-only entries from the rows of a table printed in the book (a poster-flash list)."""
    sections = context.current()
    entries = []
    for n, row in enumerate(read_rows(header, lines), start=1):
        if not row.get("title"):
            continue
        people = split_people(row.get("presenter", "") or row.get("authors", ""))
        entry = Entry(
            title=row["title"],
            pages=(header.page, header.page),
            authors=people,
            presenter=people[0] if people else "",
            sections=list(sections),
        )
        entry.fields = {k: v for k, v in row.items() if k in ("when", "room", "session", "date")}
        entry.evidence.append(f"row {row.get('number', n)} of the table on p. {header.page} ({header.text})")
        kind_text = " ".join(sections).lower()
        entry.kind = next((kind for word, kind in KIND_WORDS if word in kind_text), "talk")
        entry.confidence = 0.6
        entries.append(entry)
    return entries
