"""Reading a meeting's program file and attaching its items to the abstract book's entries.

A program says when and where: sessions with their slot, room and kind, and the talks and
posters under them. `read_program` turns a file into that plain data; `match_program` joins
its items to the book's entries by content (title similarity, speaker surnames), never by
position. Every rule rests on shapes any program shows (time ranges, dates, table headers,
"Name - Title" lines, name lists), and every line or row not used is listed with its reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from abstract_search.records import CorpusError


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


# --- times and dates ------------------------------------------------------------------------

_CLOCK = r"(?<![\d:.,/])(\d{1,2})(?:([:.h])(\d{2})(?::\d{2})?)?(?![\d:/]|\.\d)\s*(?:([aApP])\.?\s?[mM]\b\.?)?"
_SEP = r"\s*(?:[-–—‒―~]|\bto\b|\buntil\b|\btill\b|\bbis\b)\s*"
_RANGE = re.compile(_CLOCK + _SEP + _CLOCK)
_ONE = re.compile(_CLOCK)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_ORD = r"\d{1,2}(?:st|nd|rd|th)?\b\.?"
_DATE = re.compile(
    rf"(?P<iso>\b\d{{4}}-\d{{1,2}}-\d{{1,2}}\b)"
    rf"|(?P<num>(?<![\d.:/])(?P<a>\d{{1,2}})(?P<sep>[./-])(?P<b>\d{{1,2}})(?P=sep)(?P<y>\d{{4}}|\d{{2}})(?![\d.:/]))"
    rf"|(?P<dmy>\b{_ORD}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}}\b)?)"
    rf"|(?P<mdy>\b{_MONTH}\s+{_ORD}(?:,?\s+\d{{4}}\b)?)",
    re.I,
)
_WEEKDAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rs|rsday|urday|\.)?(?![a-z])", re.I)


def _clock(hour: str, minute: str | None, meridiem: str | None) -> tuple[int, int] | None:
    h, m = int(hour), int(minute or 0)
    if meridiem:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if meridiem.lower() == "p" else 0)
    return (h, m) if h < 24 and m < 60 else None


def _fmt(hm: tuple[int, int]) -> str:
    return f"{hm[0]:02d}:{hm[1]:02d}"


def _time_match(text: str) -> tuple[re.Match, str, str] | None:
    """The first time range (or lone start) in `text`, as its match and HH:MM strings."""
    for m in _RANGE.finditer(text):
        h1, _, m1, p1, h2, _, m2, p2 = m.groups()
        if not (m1 or p1 or p2) or not (m2 or p2):
            continue
        end = _clock(h2, m2, p2)
        start = _clock(h1, m1, p1 or p2)
        if p2 and not p1 and start and end and start > end:  # "11:30-1:00 pm": the start is a morning
            start = _clock(h1, m1, None)
        if start and end and end < start and not (p1 or p2) and end[0] + 12 < 24:
            end = (end[0] + 12, end[1])  # "12:30-1:30" written on a 12-hour clock
        if start and end:
            return m, _fmt(start), _fmt(end)
    for m in _ONE.finditer(text):
        hour, sep, minute, meridiem = m.groups()
        if (minute or meridiem) and (sep != "." or not text[: m.start()].strip()):
            start = _clock(hour, minute, meridiem)
            if start:
                return m, _fmt(start), ""
    return None


def parse_time_range(text: str) -> tuple[str, str] | None:
    """`("10:30", "11:00")` from '10:30-11:00', '10.30 – 11.00', '2:30-3:00 pm', '14h30' ...; end '' if alone.

    A dotted time ('10.30') counts alone only at the start of the text, where it cannot be a number.
    """
    found = _time_match(text)
    return (found[1], found[2]) if found else None


def _find_date(text: str) -> re.Match | None:
    for m in _DATE.finditer(text):
        before, after = text[: m.start()], text[m.end() :]
        if re.search(r"\d\s*[-–—]\s*$", before) or (m["mdy"] and re.match(r"\s*[-–—]\s*\d", after)):
            continue  # '4–9 August 2014' is a span of days, not a day
        return m
    return None


def parse_day(text: str, year: int | None = None, dayfirst: bool | None = None) -> str | None:
    """The ISO day written in `text`, or None; a date without a year takes `year`.

    Numeric dates: a part above 12 decides the order; else `dayfirst` (the program's other
    dates); else '8.6.2025' and '8-6-2025' are day-first (the European shapes) and '8/6/2025'
    month-first (the US shape, the same reading as the book's program tables). A weekday
    printed next to the date overrides the order when only the other order agrees with it.
    """
    from dateutil import parser as date_parser

    m = _find_date(text)
    if not m:
        return None
    try:
        if m["iso"]:
            return date(*map(int, m["iso"].split("-"))).isoformat()
        if m["num"]:
            a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
            y += 2000 if y < 100 else 0
            first = a > 12 or (b <= 12 and (dayfirst if dayfirst is not None else m["sep"] != "/"))
            day = date(y, b, a) if first else date(y, a, b)
            weekday = _WEEKDAY.search(text)
            if weekday and a <= 12 and b <= 12 and a != b:
                other = date(y, a, b) if first else date(y, b, a)
                if day.strftime("%a").lower() != weekday[1].lower() == other.strftime("%a").lower():
                    day = other
            return day.isoformat()
        has_year = re.search(r"\d{4}", m.group(0))
        if not has_year and year is None:
            return None
        parsed = date_parser.parse(m.group(0).replace(" of ", " "), default=datetime(year or 2000, 1, 1))
        return parsed.date().isoformat()
    except (ValueError, OverflowError):
        return None


def _date_context(texts: Sequence[str]) -> tuple[int | None, bool | None]:
    """The program's usual year and numeric date order, from its dates that say so."""
    years: Counter[int] = Counter()
    orders: Counter[bool] = Counter()
    for text in texts:
        for m in _DATE.finditer(text):
            found = re.search(r"\d{4}", m.group(0))
            if found:
                years[int(found.group(0))] += 1
            if m["num"] and max(int(m["a"]), int(m["b"])) > 12:
                orders[int(m["a"]) > 12] += 1
    return (years.most_common(1)[0][0] if years else None, orders.most_common(1)[0][0] if orders else None)


# --- names ------------------------------------------------------------------------------------

_PARTICLES = {"de", "da", "van", "der", "von", "den", "del", "di", "la", "le", "du", "dos", "zu", "ter", "bin"}
_FUNCTION = {"the", "of", "for", "and", "in", "on", "at", "to", "with", "from", "by", "a", "an", "or", "via", "new"}
_SESSION_WORDS = (
    r"sessions?|posters?|talks?|oral|lectures?|key\s?notes?|plenary|symposium|minisymposium|presentations?"
    r"|seminar|colloquium|workshop|tutorial|panel|track|forum|flash|speakers?"
)
_SERVICE = re.compile(
    r"\b(break|coffee|lunch|dinner|breakfast|registration|opening|welcome|closing|awards?|reception|banquet"
    r"|get[- ]together|excursion|social|farewell|departure|arrival)\b",
    re.I,
)
_SESSION = re.compile(rf"\b({_SESSION_WORDS})\b", re.I)
_ROMAN = re.compile(r"^(?:I{1,3}|IV|VI{0,3}|IX|X{1,2})$")
_INITIALS = re.compile(r"^(?:[A-Z]\.-?){1,3}[A-Z]?$|^[A-Z]$")
_HONORIFIC = re.compile(r"^(?:prof|dr|mr|mrs|ms|mag|dipl|univ|priv|doz|ing|phd|md|msc|bsc)\.?,?$", re.I)


def _is_name(text: str) -> bool:
    """A person's name in any order: 'Jane Doe', 'Doe J.', 'J. A. Doe', 'Grgic-Mustafic R.', 'DOE Jane'."""
    tokens = [t for t in text.split() if not _HONORIFIC.match(t)]
    core = [t for t in tokens if t not in _PARTICLES]
    if not 2 <= len(core) <= 5 or (_ROMAN.match(core[-1]) and not core[-1].endswith(".")):
        return False
    words = 0
    for token in core:
        if _INITIALS.match(token):
            continue
        bare = token.rstrip(".")
        if not (bare[:1].isupper() and re.fullmatch(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", bare)):
            return False
        if bare.lower() in _FUNCTION or _SESSION.fullmatch(bare) or _SERVICE.fullmatch(bare):
            return False
        words += len(bare) >= 2
    return words >= 1


@lru_cache(maxsize=8192)
def split_names(text: str) -> tuple[str, ...]:
    """The names in a line that is only names ('Sylvie Briand (WHO) & Kerstin Meyer'), else ()."""
    text = re.sub(r"\([^)]*\)", " ", text).strip().rstrip(";,")
    parts = [p.strip() for p in re.split(r"\s*(?:[,;&/]|\band\b|\bund\b)\s*", text) if p.strip()]
    parts = [re.sub(r"(?<=[^\W\d_])\s+[-–]\s+(?=[A-Z])", "-", p) for p in parts]  # 'Lederer – Hutsteiner T.'
    parts = [" ".join(t for t in p.split() if not _HONORIFIC.match(t)) for p in parts]
    if not parts or len(parts) > 60 or not all(_is_name(p) for p in parts):
        return ()
    return tuple(parts)


def _split_speaker_cell(text: str) -> tuple[str, ...]:
    """A table's speaker cell: names split on ';', '&', 'and', and on commas unless 'Doe, Jane'."""
    names = split_names(text)
    if names:
        return names
    text = re.sub(r"\([^)]*\)", " ", text)
    parts = [p.strip() for p in re.split(r"\s*(?:;|&|\band\b)\s*", text) if p.strip()]
    return tuple(" ".join(p.split()) for p in parts)


def session_kind(heading: str) -> str:
    """'poster', 'keynote' or 'talk' from the words of a heading, '' when it has none of them."""
    if re.search(r"\bposters?\b", heading, re.I):
        return "poster"
    if re.search(r"\b(key\s?notes?|plenary|plenaries)\b", heading, re.I):
        return "keynote"
    return "talk" if _SESSION.search(heading) else ""


# --- lines into sessions and items -----------------------------------------------------------------

_CODE = re.compile(r"^[A-Z0-9]+(?:[-_][A-Z0-9]+)+-?$")
_PLACEHOLDER = re.compile(
    r"^(?:tba|tbd|tbc|n/?a|to be (?:announced|confirmed|determined)|x{3,}|\[[^\]]*\]|\{[^}]*\}|<[^>]*>|lorem ipsum.*)$",
    re.I,
)
_TALK_SEP = re.compile(r"\s+[-–—]\s+|\s[–—]|[–—]\s|:\s+")
_NUMBERED = re.compile(r"^\(?([A-Z]{0,2}\d{1,3}[a-z]?)[.)]?\s+(?=\S)")
_QUOTES = "\"'“”„‟«»‘’"
_LABELS = {
    "chair": ("chair", "chairs", "chairperson", "chairpersons", "judge", "judges", "jury", "moderator", "moderators",
              "convener", "conveners", "organiser", "organisers", "organizer", "organizers", "host", "hosts"),
    "speakers": ("speaker", "speakers", "presenter", "presenters", "author", "authors", "presentedby",
                 "presentingauthor"),
    "title": ("title", "talktitle", "postertitle"),
    "room": ("room", "location", "venue", "place", "hall"),
    "when": ("date", "time", "datetime", "when"),
    "session": ("session", "track"),
}  # fmt: skip


@lru_cache(maxsize=8192)
def _label(text: str) -> tuple[str, str]:
    """('speakers', 'Jane Doe') from 'Presenter: Jane Doe'; labels garbled by a PDF font ('Loca/on') still count."""
    from rapidfuzz import fuzz

    m = re.match(r"^([^\W\d_](?:[^\W\d_]|[ /()-]){0,24}?)\s*:\s*(.*)$", text)
    if not m:
        return "", text
    key = re.sub(r"[^a-z]", "", m[1].lower())
    for name, aliases in _LABELS.items():
        if any(key == a or (len(a) >= 5 and fuzz.ratio(key, a) >= 85) for a in aliases):
            return name, m[2].strip()
    return "", text


def _clean_title(text: str) -> str:
    text = " ".join(text.split()).strip(_QUOTES + " ,;–—-")
    return "" if _is_placeholder(text) else text


def _is_placeholder(text: str) -> bool:
    """Template stand-ins ('MON-PLEN-1-TITLE', 'TBA', '[Speaker]') that name no real talk."""
    tokens = [t for t in text.split() if not re.fullmatch(r"\d{1,2}[:.h]\d{2}", t)]
    return bool(_PLACEHOLDER.match(text.strip()) or (tokens and all(_CODE.match(t) for t in tokens)))


def _leading_time(text: str) -> tuple[re.Match, str, str] | None:
    found = _time_match(text)
    if found and re.fullmatch(r"(?:from|at|since|ab|starting)?\s*", text[: found[0].start()], re.I):
        return found
    return None


def _title_like(text: str) -> bool:
    """Could this next line be the title of a speaker named just above it?"""
    return bool(text) and not (split_names(text) or _leading_time(text) or _label(text)[0] or _is_heading(text))


def _speakers_line(text: str) -> bool:
    return 0 < len(split_names(text)) < 2 or _label(text)[0] == "speakers"


def _is_service(text: str) -> bool:
    """A break, meal or ceremony heading ('Lunch Break', 'Opening and Welcome Note'); an 'Opening Keynote' is a talk."""
    return (
        bool(_SERVICE.search(text))
        and len(text.split()) <= 8
        and session_kind(text) != "keynote"
        and not split_names(text)
        and not _split_talk(text)
    )


def _is_heading(text: str) -> bool:
    return (
        text[:1] not in _QUOTES
        and bool(_SESSION.search(text))
        and len(text.split()) <= 12
        and not text.endswith(".")
        and not split_names(text)
    )


_ROOM = re.compile(r"\b(room|hall|auditorium|aula|theat(?:re|er)|salle|saal|h[öo]rsaal|foyer|lobby)\b", re.I)


def _is_room(text: str) -> bool:
    if _ROOM.search(text):
        return len(text.split()) <= 5
    return len(text) <= 12 and " " not in text and bool(re.search(r"\d|^[A-Z]{2,}$", text))


def _split_talk(text: str) -> tuple[tuple[str, ...], str] | None:
    """Speakers and title from 'Jane Doe – A title' or 'A title - Jane Doe'."""
    for m in _TALK_SEP.finditer(text):
        left, right = text[: m.start()].strip(), text[m.end() :].strip()
        if not left or not right:
            continue
        names, right_names = split_names(left), split_names(right)
        if names and not right_names:
            return names, _clean_title(right)
        if right_names and not names and not _is_heading(left) and m.group(0).strip() != ":":
            return right_names, _clean_title(left)
    for m in re.finditer(r",\s+", text):  # 'A title, Doe J.': only names with initials, 'Biology, Cell Science' is none
        names = split_names(text[m.end() :])
        if names and any(_INITIALS.match(t) for n in names for t in n.split()) and not split_names(text[: m.start()]):
            return names, _clean_title(text[: m.start()])
    return None


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


class _Builder:
    """Reads lines and rows in document order, keeping the day, slot, session and pending title."""

    def __init__(self, source: str, texts: Sequence[str]):
        self.year, self.dayfirst = _date_context(texts)
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
        title = _clean_title(title)
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
        m = _find_date(text)
        if m and len(text[: m.start()].split()) <= 2 and (day := parse_day(text, self.year, self.dayfirst)):
            self.set_date(day)
            self.state, self.service = "fresh", ""
            text = text[m.end() :].strip(" ,;:-–—|")
            if not _leading_time(text):  # 'Monday, 6 August 2025, 09:00 Opening' goes on with its time
                return
        found = _leading_time(text)
        if found:
            self.set_slot(found[1], found[2], own=True)
            text = text[found[0].end() :].strip(" ,;:-–—|")
            if not text:
                return
        self.content(text, where, nxt, nxt2)

    def content(self, text: str, where: str, nxt: str, nxt2: str) -> None:
        if self.service and (self.in_block or not _is_heading(text)):
            return self.skip(where, text, f"inside a slot that is not a talk ({self.service})")
        self.service = ""
        if _is_placeholder(text):
            return self.skip(where, text, "a template placeholder, not a talk")
        if not re.search(r"\w", text):
            self.flush()  # a rule of stars or dashes ends whatever came before
            return
        label, value = _label(text)
        if label:
            return self.labelled(label, value, text, where)
        if self.state == "head" and _ROOM.search(text) and _is_room(text) and self.session:
            self.session.room = text
            return
        fresh, number = self.state == "fresh", ""
        if m := _NUMBERED.match(text):
            number, text = m[1], text[m.end() :]
        if fresh and _is_service(text):
            self.flush()  # what follows a break has its own time
            self.service, self.slot, self.own = "break, meal or ceremony", ("", ""), ("", "")
            return self.skip(where, text, "not a talk (break, meal or ceremony)")
        if (
            fresh
            and self.in_span()
            and len(split_names(nxt)) >= 2
            and len(split_names(text)) < 2
            and not _is_heading(text)
        ):
            self.flush()
            self.group, self.state = text, "body"
            return
        prefix, _, rest = text.partition(":")
        names = split_names(text) or (split_names(rest) if len(split_names(rest)) >= 2 else ())
        if names and self.state == "head" and not self.title and (_is_room(nxt) or _split_talk(nxt)):
            names = ()  # 'Health Research & Clinical Science' between a heading and its room: a subtitle
        if names:
            if names != split_names(text):
                self.flush()
                self.group = prefix.strip()
            if self.title:
                title, self.title = self.title[0], None
                return self.add(title, names, where, self.own, number=number)
            if len(names) == 1 and _title_like(nxt):
                self.flush()
                self.names = (names, where, self.own)
                return
            self.flush()
            for name in names:
                self.add("", (name,), where, self.own, number=number)
            return
        talk = _split_talk(text)
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
        quoted = text[:1] in _QUOTES
        nxt, nxt2 = following
        title_next = _speakers_line(nxt) or (_title_like(nxt) and _speakers_line(nxt2))  # a title wraps
        if not quoted and (fresh or self.state == "head"):
            if _is_heading(text) and not (_ROOM.search(text) and _is_room(text)):
                return self.open_session(text, where)
            if _is_room(text):
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
            self.add(title, _split_speaker_cell(value), where, self.own)
            self.last_labelled = len(self.program.items) - 1
            return
        if label == "speakers":
            self.names = (_split_speaker_cell(value), where, self.own)
            return
        i = self.last_labelled
        if i is None:
            return self.skip(where, text, "a label with no talk to attach to")
        item = self.program.items[i]
        if label == "room":
            self.program.items[i] = replace(item, room=value)
            return
        found, day = _time_match(value), parse_day(value, self.year, self.dayfirst)
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


def _at(where: str, what: str) -> str:
    return f"{where}, {what}" if ":" in where else f"{where}: {what}"


def _feed_lines(b: _Builder, lines: Sequence[tuple[str, str]]) -> None:
    texts = [(" ".join(t.split()), w) for t, w in lines]
    texts = [(t, w) for t, w in texts if t]
    b.state = "fresh"
    for i, (text, where) in enumerate(texts):
        b.line(text, where, *[t for t, _ in texts[i + 1 : i + 3]])
    b.flush()


def parse_program_lines(lines: list[str], where: str) -> Program:
    """A program from free text (a PDF's or a text file's lines); `where` names the source."""
    b = _Builder(where, lines)
    _feed_lines(b, [(text, _at(where, f"line {i}")) for i, text in enumerate(lines, 1)])
    return b.finish()


def parse_program_rows(rows: list[list[str]], where: str) -> Program:
    """A program from one table; a header row names the columns, else each row's cells are inferred."""
    from abstract_search.ingest.program_files import feed_rows

    b = _Builder(where, [str(c) for row in rows for c in row if c])
    feed_rows(b, rows, where)
    return b.finish()


def read_program(path: str | Path) -> Program:
    """Reads a program file (PDF, DOCX, HTML, XLSX, CSV/TSV, TXT) into sessions and items."""
    from abstract_search.ingest.program_files import TablePart, feed_rows, read_parts

    path = Path(path)
    parts = read_parts(path)
    texts = [t for p in parts for t in (p.texts() if isinstance(p, TablePart) else [x for x, _ in p.lines])]
    b = _Builder(str(path), texts)
    for part in parts:
        if isinstance(part, TablePart):
            feed_rows(b, part.rows, part.where)
        else:
            _feed_lines(b, part.lines)
    program = b.finish()
    if not (program.times_seen or program.sessions or program.items):
        raise CorpusError(f"{path}: no program found (no times, sessions or talks)")
    return program


# --- matching program items to book entries ------------------------------------------------------

TITLE_MIN = 0.85  # title similarity that matches on its own: typos and broken glyphs stay above, other talks far below
TITLE_WITH_SPEAKER_MIN = 0.55  # a reworded title still matches when a speaker agrees too
SPEAKER_SCORE = 0.5  # the score of a speaker-only match (no title to compare), and the bonus a speaker adds
SURNAME_FUZZ = 85  # surnames of 5+ letters this similar (rapidfuzz ratio) are equal: prints drop or garble letters


def normalise_title(text: str) -> str:
    """NFKC, lower case, every run of non-alphanumerics a single space."""
    import unicodedata

    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).lower()).split())


def _name_keys(name: str) -> dict[str, set[str]]:
    """Each word that could be the surname, with the initials of the rest ('Doe J.' and 'Jane Doe' share doe->{j})."""
    import unicodedata

    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).lower()
    tokens = [t for t in re.split(r"[\s.]+", re.sub(r"[^a-z\s.\-']", "", folded)) if t and t not in _PARTICLES]
    keys: dict[str, set[str]] = {}
    for i, token in enumerate(tokens):
        if len(token.replace("-", "")) < 2:
            continue
        rest = {t[0] for j, t in enumerate(tokens) if j != i}
        for key in {token.replace("-", ""), *(p for p in token.split("-") if len(p) >= 3)}:
            keys.setdefault(key, set()).update(rest)
    return keys


def _speaker_hits(names: Sequence[str], index: dict[str, list[tuple[int, set[str]]]]) -> set[int]:
    """Entries with a speaker whose surname equals one of `names` and whose first initial agrees."""
    from rapidfuzz import fuzz, process

    hits: set[int] = set()
    for name in names:
        for key, initials in _name_keys(name).items():
            similar = [key] if len(key) < 5 else [k for k, _, _ in process.extract(
                key, list(index), scorer=fuzz.ratio, score_cutoff=SURNAME_FUZZ, limit=None)]  # fmt: skip
            for other in similar:
                for entry, theirs in index.get(other, ()):
                    if not initials or not theirs or initials & theirs:
                        hits.add(entry)
    return hits


def match_program(entries: Sequence[tuple[str, tuple[str, ...]]], items: Sequence[ProgramItem]) -> list[ProgramMatch]:
    """Attaches each program item to at most one book entry by title and speaker, as one linear assignment.

    Pair scores: title similarity t (rapidfuzz ratio on normalised titles) when t >= TITLE_MIN,
    plus SPEAKER_SCORE when a speaker agrees; t + SPEAKER_SCORE when t >= TITLE_WITH_SPEAKER_MIN
    and a speaker agrees; SPEAKER_SCORE alone for an item without a title, and only when its
    speaker fits exactly one entry not already claimed by a title. Everything else is 0 and
    never kept, so nothing is matched by position.
    """
    import numpy as np
    from rapidfuzz import fuzz, process
    from scipy.optimize import linear_sum_assignment

    if not items or not entries:
        return [ProgramMatch(i, None, 0.0, "unmatched") for i in range(len(items))]
    item_titles = [normalise_title(it.title) for it in items]
    entry_titles = [normalise_title(title) for title, _ in entries]
    titles = process.cdist(item_titles, entry_titles, scorer=fuzz.ratio, dtype=np.float32) / 100.0
    titles[[not t for t in item_titles], :] = 0
    titles[:, [not t for t in entry_titles]] = 0
    index: dict[str, list[tuple[int, set[str]]]] = {}
    for e, (_, speakers) in enumerate(entries):
        for speaker in speakers:
            for key, initials in _name_keys(speaker).items():
                index.setdefault(key, []).append((e, initials))
    claimed = set(np.flatnonzero((titles >= TITLE_MIN).any(axis=0)))
    score = np.zeros_like(titles)
    speaker = np.zeros(titles.shape, dtype=bool)
    for i, item in enumerate(items):
        hits = _speaker_hits(item.speakers, index)
        speaker[i, list(hits)] = True
        t = titles[i]
        keep = (t >= TITLE_MIN) | ((t >= TITLE_WITH_SPEAKER_MIN) & speaker[i])
        score[i] = np.where(keep, t + SPEAKER_SCORE * speaker[i], 0.0)
        free = hits - claimed
        if len(free) == 1:
            (e,) = free
            if not item_titles[i] or not entry_titles[e]:  # no two titles to compare: the speaker decides
                score[i, e] = max(score[i, e], SPEAKER_SCORE)
    rows, cols = linear_sum_assignment(-score)
    chosen = {int(i): int(e) for i, e in zip(rows, cols, strict=True) if score[i, e] > 0}
    out = []
    for i in range(len(items)):
        e = chosen.get(i)
        if e is None:
            out.append(ProgramMatch(i, None, 0.0, "unmatched"))
            continue
        t, s = float(titles[i, e]), bool(speaker[i, e])
        method = "speaker" if t < TITLE_WITH_SPEAKER_MIN else ("title+speaker" if s else "title")
        out.append(ProgramMatch(i, e, round(float(score[i, e]), 3), method))
    return out
