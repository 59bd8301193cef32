"""Parsing an abstract book's text: the oral program, the poster table and the abstract bodies.

The text comes from a PDF, so table cells are broken over lines and page furniture is mixed
in. Two facts of such extractions carry most of the parsing: a line that ends in a space
(or a hyphen) was wrapped inside a table cell, and a page that starts a new abstract begins
with a single space. Everything else is recognised by shape (times, dates, "Prof." chairs,
e-mail and affiliation lines, numbered references, "Fig. 1" captions), never by a table
written for one book. The tables are read in `abstract_search.ingest.book_program`, the
bodies in `abstract_search.ingest.book_bodies`; this module finds the sections and ties them
together (their public names are re-exported here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from abstract_search.ingest.book_bodies import (
    Body,
    is_page_header,
    parse_head,
    segment_bodies,
    split_body,
)
from abstract_search.ingest.book_program import (
    ProgramEntry,
    join_wrapped,
    parse_posters,
    parse_program,
    split_person_org,
    split_speakers,
)

__all__ = [
    "Body",
    "Book",
    "ProgramEntry",
    "is_page_header",
    "join_wrapped",
    "parse_book",
    "parse_head",
    "parse_posters",
    "parse_program",
    "segment_bodies",
    "split_body",
    "split_person_org",
    "split_speakers",
]


@dataclass
class Book:
    """Everything parsed from a book, before bodies are matched to program entries."""

    title: str
    entries: list[ProgramEntry]
    dates: list[date]
    poster_slot: tuple[int, str, str] | None
    bodies: list[Body]
    warnings: list[str] = field(default_factory=list)


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
