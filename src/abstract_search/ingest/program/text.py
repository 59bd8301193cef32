"""The builder: lines (and table cells) read in document order into sessions and items.

It keeps what a line alone cannot say (the day, the slot, the open session, a title still
waiting for its speakers) and lists every line it does not use with its reason. Free text
is fed here line by line; `rows` feeds it table cells through the same methods.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from abstract_search.ingest.program.model import Program, ProgramItem, ProgramSession
from abstract_search.ingest.program.names import split_names, split_speaker_cell
from abstract_search.ingest.program.shapes import (
    QUOTES,
    ROOM,
    clean_title,
    is_heading,
    is_placeholder,
    is_room,
    is_service,
    leading_time,
    session_kind,
    speakers_line,
    split_label,
    split_talk,
    title_like,
)
from abstract_search.ingest.program.when import date_context, find_date, parse_day, time_match

_NUMBERED = re.compile(r"^\(?([A-Z]{0,2}\d{1,3}[a-z]?)[.)]?\s+(?=\S)")


@dataclass
class _Open:
    """A session while it is being read; frozen into a ProgramSession at the end."""

    name: str
    date: str
    start: str
    end: str
    room: str
    where: str
    topic: str = ""


class Builder:
    """Reads lines and rows in document order, keeping the day, slot, session and pending title."""

    def __init__(self, source: str, texts: Sequence[str]):
        self.year, self.dayfirst = date_context(texts)
        self.program = Program(source, [], [], [], [])
        self.date, self.slot, self.own, self.room = "", ("", ""), ("", ""), ""
        self.session: _Open | None = None
        self.opened: list[_Open] = []
        self.owners: list[_Open | None] = []
        self.group, self.state, self.service, self.in_block = "", "fresh", "", False
        self.title: tuple[str, str] | None = None
        self.names: tuple[tuple[str, ...], str, tuple[str, str]] | None = None
        self.last_labelled: int | None = None
        self.lines_read, self.title_line = 0, -1

    def skip(self, where: str, text: str, reason: str) -> None:
        self.program.skipped.append(f"{where}: {' '.join(text.split())[:90]}: {reason}")

    def flush(self) -> None:
        if self.title:
            self.skip(self.title[1], self.title[0], "not a talk (no speaker)")
        if self.names:
            names, where, own = self.names
            self.names = None
            for name in names:
                self.add("", (name,), where, own)
        self.title = None

    def set_date(self, day: str) -> None:
        if day != self.date:
            self.flush()
            self.session, self.date, self.room = None, day, ""

    def set_slot(self, start: str, end: str, own: bool) -> None:
        self.flush()
        self.program.times_seen = True
        s = self.session
        if s and s.start and not (s.start <= start < (s.end or "99")):
            self.session, self.group = None, ""
        self.slot, self.own, self.state, self.service = (start, end), (start, end) if own else ("", ""), "fresh", ""

    def open_session(self, name: str, where: str, timed: bool = True) -> None:
        self.flush()
        self.session = _Open(name, self.date, *(self.slot if timed else ("", "")), self.room, where)
        self.opened.append(self.session)
        self.group, self.state, self.own = "", "head", ("", "")  # a heading's time is the session's

    def in_span(self) -> bool:
        s = self.session
        return bool(s) and (not s.start or not self.slot[0] or s.start <= self.slot[0] < (s.end or "99"))

    def add(self, title: str, speakers: tuple[str, ...], where: str, own=("", ""), **extra) -> None:
        title = clean_title(title)
        if not title and not (self.session or self.slot[0] or own[0]):
            self.skip(where, ", ".join(speakers), "a name with no title, session or time")
            return
        s = self.session
        kind = extra.pop("kind", "") or (session_kind(s.name) if s else "") or "talk"
        item = ProgramItem(title, speakers, s.name if s else "", self.date, own[0], own[1], kind, where, self.group,
                           extra.pop("room", "") or (s.room if s else self.room), **extra)  # fmt: skip
        self.program.items.append(item)
        self.owners.append(s)
        self.own, self.state = ("", ""), "body"

    def line(self, text: str, where: str, nxt: str = "", nxt2: str = "") -> None:
        """One printed line: a date, a time slot, or content under the current slot."""
        text = " ".join(text.split())
        if not text:
            return
        self.lines_read += 1
        m = find_date(text)
        if m and len(text[: m.start()].split()) <= 2 and (day := parse_day(text, self.year, self.dayfirst)):
            self.set_date(day)
            self.state, self.service = "fresh", ""
            text = text[m.end() :].strip(" ,;:-–—|")
            if not leading_time(text):  # 'Monday, 6 August 2025, 09:00 Opening' goes on with its time
                return
        found = leading_time(text)
        if found:
            self.set_slot(found[1], found[2], own=True)
            text = text[found[0].end() :].strip(" ,;:-–—|")
            if not text:
                return
        self.content(text, where, nxt, nxt2)

    def content(self, text: str, where: str, nxt: str, nxt2: str) -> None:
        if self.service and (self.in_block or not is_heading(text)):
            return self.skip(where, text, f"inside a slot that is not a talk ({self.service})")
        self.service = ""
        if is_placeholder(text):
            return self.skip(where, text, "a template placeholder, not a talk")
        if not re.search(r"\w", text):
            self.flush()  # a rule of stars or dashes ends whatever came before
            return
        label, value = split_label(text)
        if label:
            return self.labelled(label, value, text, where)
        if self.state == "head" and ROOM.search(text) and is_room(text) and self.session:
            self.session.room = text
            return
        fresh, number = self.state == "fresh", ""
        if m := _NUMBERED.match(text):
            number, text = m[1], text[m.end() :]
        if fresh and is_service(text):
            self.flush()  # what follows a break has its own time
            self.service, self.slot, self.own = "break, meal or ceremony", ("", ""), ("", "")
            return self.skip(where, text, "not a talk (break, meal or ceremony)")
        if (
            fresh
            and self.in_span()
            and len(split_names(nxt)) >= 2
            and len(split_names(text)) < 2
            and not is_heading(text)
        ):
            self.flush()
            self.group, self.state = text, "body"
            return
        prefix, _, rest = text.partition(":")
        names = split_names(text) or (split_names(rest) if len(split_names(rest)) >= 2 else ())
        if names and self.state == "head" and not self.title and (is_room(nxt) or split_talk(nxt)):
            names = ()  # 'Health Research & Clinical Science' between a heading and its room: a subtitle
        if names:
            if names != split_names(text):
                self.flush()
                self.group = prefix.strip()
            if self.title:
                title, self.title = self.title[0], None
                return self.add(title, names, where, self.own, number=number)
            if len(names) == 1 and title_like(nxt):
                self.flush()
                self.names = (names, where, self.own)
                return
            self.flush()
            for name in names:
                self.add("", (name,), where, self.own, number=number)
            return
        talk = split_talk(text)
        if talk:
            self.flush()
            return self.add(talk[1], talk[0], where, self.own, number=number)
        if self.names:  # 'Jane Doe' above, the title on this line
            names, _, own = self.names
            self.names = None
            return self.add(text, names, where, own, number=number)
        self.text_line(text, where, (nxt, nxt2), fresh)

    def text_line(self, text: str, where: str, following: tuple[str, str], fresh: bool) -> None:
        """A line that is neither names nor a talk: a heading, room, topic, or (part of) a title."""
        quoted = text[:1] in QUOTES
        nxt, nxt2 = following
        title_next = speakers_line(nxt) or (title_like(nxt) and speakers_line(nxt2))  # a title wraps
        if not quoted and (fresh or self.state == "head"):
            if is_heading(text) and not (ROOM.search(text) and is_room(text)):
                return self.open_session(text, where)
            if is_room(text):
                if self.session and self.state == "head":
                    self.session.room = text
                else:
                    self.room = text
                return
            if not title_next:
                if fresh:
                    return self.open_session(text, where)
                self.session.topic = f"{self.session.topic} {text}".strip() if self.session else text
                return
        if self.title and self.title_line == self.lines_read - 1 and not quoted and self.title[0][-1] not in ".!?":
            self.title = (f"{self.title[0]} {text}", self.title[1])  # a title wrapped over lines
        else:
            self.flush()
            self.title = (text, where)
        self.state, self.title_line = "body", self.lines_read

    def labelled(self, label: str, value: str, text: str, where: str) -> None:
        """A 'Label: value' line: chairs are skipped; speakers, title, room and time fill the item."""
        if label == "chair":
            return self.skip(where, text, "chair/judge line, not a talk")
        if label == "session":
            return self.open_session(value, where)
        if label == "title":
            self.flush()
            self.title, self.last_labelled = (value, where), None
            return
        if label == "speakers" and self.title:
            title, self.title = self.title[0], None
            self.add(title, split_speaker_cell(value), where, self.own)
            self.last_labelled = len(self.program.items) - 1
            return
        if label == "speakers":
            self.names = (split_speaker_cell(value), where, self.own)
            return
        i = self.last_labelled
        if i is None:
            return self.skip(where, text, "a label with no talk to attach to")
        item = self.program.items[i]
        if label == "room":
            self.program.items[i] = replace(item, room=value)
            return
        found, day = time_match(value), parse_day(value, self.year, self.dayfirst)
        self.program.times_seen |= bool(found)
        start, end = (found[1], found[2]) if found else (item.start, item.end)
        self.program.items[i] = replace(item, date=day or item.date, start=start, end=end)

    def block(self, lines: Sequence[str], where: str) -> None:
        """One table cell: its first line may head a session or a group; a break covers the whole cell."""
        self.flush()
        self.state, self.service, self.in_block = "fresh", "", True
        texts = [" ".join(t.split()) for t in lines]
        texts = [t for t in texts if t]
        for i, text in enumerate(texts):
            self.line(text, where, *texts[i + 1 : i + 3])
        self.flush()
        self.service, self.in_block = "", False

    def finish(self) -> Program:
        """Freezes the sessions (dropping headings with nothing under them) and gives posters their slot."""
        self.flush()
        program, frozen = self.program, {}
        counts = Counter(id(s) for s in self.owners if s)
        for s in self.opened:
            mine = [it for it, o in zip(program.items, self.owners, strict=True) if o is s]
            if not mine:
                self.skip(s.where, s.name, "a heading with no talks under it")
                continue
            start = s.start or min((it.start for it in mine if it.start), default="")
            end = s.end or max((it.end for it in mine if it.end), default="")
            frozen[id(s)] = ProgramSession(s.name, s.date, start, end, s.room, session_kind(s.name), s.topic, s.where)
        program.sessions = list(frozen.values())
        for i, (item, owner) in enumerate(zip(program.items, self.owners, strict=True)):
            session = frozen.get(id(owner))
            if session and session.start and not item.start and (item.kind == "poster" or counts[id(owner)] == 1):
                program.items[i] = replace(item, start=session.start, end=session.end)
        if not program.items:
            program.warnings.append(f"no talks or posters found ({len(program.skipped)} lines or rows skipped)")
        return program


def at(where: str, what: str) -> str:
    return f"{where}, {what}" if ":" in where else f"{where}: {what}"


def feed_lines(b: Builder, lines: Sequence[tuple[str, str]]) -> None:
    texts = [(" ".join(t.split()), w) for t, w in lines]
    texts = [(t, w) for t, w in texts if t]
    b.state = "fresh"
    for i, (text, where) in enumerate(texts):
        b.line(text, where, *[t for t, _ in texts[i + 1 : i + 3]])
    b.flush()


def parse_program_lines(lines: list[str], where: str) -> Program:
    """A program from free text (a PDF's or a text file's lines); `where` names the source."""
    b = Builder(where, lines)
    feed_lines(b, [(text, at(where, f"line {i}")) for i, text in enumerate(lines, 1)])
    return b.finish()
