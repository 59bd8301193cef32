"""The program inside a text book: the oral program table and the poster table, read by shape.

Kept apart from the abstract bodies (`abstract_search.ingest.book_bodies`) and from the
whole-book parse (`abstract_search.ingest.book.parse_book`) because the tables are a parser
of their own: table cells come broken over lines, so a line that ends in a space (or a
hyphen) was wrapped inside a cell, and rows, times, dates, chairs and breaks are recognised
by shape (numbered rows with two clock times, "Prof." chairs, dates, named events), never by
a table written for one book. The result is one `ProgramEntry` per numbered talk or poster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


def join_lines(lines: list[str]) -> str:
    """Lines of running text as one string: a word hyphenated over a line break is rejoined."""
    text = ""
    for line in (s.strip() for s in lines):
        if not line:
            continue
        if text.endswith("-") and line[:1].isalpha():
            text += line
        else:
            text = f"{text} {line}" if text else line
    return re.sub(r"\s+", " ", text).strip()


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
            title=join_lines(e["title"]),
            speakers=split_speakers(e["name"]),
            affiliation=e["org"],
        )
        for e in entries
    ]
