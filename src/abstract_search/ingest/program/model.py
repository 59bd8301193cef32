"""The plain data a program reads into: sessions, items, the whole program, and a match.

These are the types that cross from the program reader to the record builder, kept apart
from the parsing so that code which only consumes a program need not import the rules.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProgramSession:
    """A session heading as printed, with its slot, room and kind."""

    name: str
    date: str = ""  # ISO YYYY-MM-DD
    start: str = ""  # HH:MM, 24 h
    end: str = ""
    room: str = ""
    kind: str = ""  # talk | poster | keynote | ""
    topic: str = ""  # a subtitle printed under the heading
    where: str = ""


@dataclass(frozen=True)
class ProgramItem:
    """One talk or poster of the program; `where` is the evidence for a review.

    `start`/`end` are set only when the program prints a time for this item, when the item is a
    poster in a poster session (the session's slot), or when it is the only talk of its session
    (a keynote alone in its slot holds that slot).
    """

    title: str = ""
    speakers: tuple[str, ...] = ()
    session: str = ""
    date: str = ""
    start: str = ""
    end: str = ""
    kind: str = ""
    where: str = ""
    group: str = ""  # a topic group inside the session (poster walks)
    room: str = ""
    number: str = ""


@dataclass
class Program:
    """Everything read from one program file, and everything left out, with reasons."""

    source: str
    sessions: list[ProgramSession]
    items: list[ProgramItem]
    skipped: list[str]
    warnings: list[str]
    times_seen: bool = False


@dataclass(frozen=True)
class ProgramMatch:
    """Which book entry a program item went to, with the evidence's score and kind."""

    item: int
    entry: int | None
    score: float
    method: str  # title | speaker | title+speaker | unmatched
