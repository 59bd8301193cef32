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
    """One talk or poster of the program; `where` is the evidence for a review."""

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
_WEEKDAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.I)


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
_INITIALS = re.compile(r"^(?:[A-Z]\.-?){1,3}$|^[A-Z]$")
_HONORIFIC = re.compile(r"^(?:prof|dr|mr|mrs|ms|mag|dipl|univ|priv|doz|ing|phd|md|msc|bsc)\.?$", re.I)


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


def split_names(text: str) -> tuple[str, ...]:
    """The names in a line that is only names ('Sylvie Briand (WHO) & Kerstin Meyer'), else ()."""
    text = re.sub(r"\([^)]*\)", " ", text).strip().rstrip(".;,")
    parts = [p.strip() for p in re.split(r"\s*(?:[,;&/]|\band\b|\bund\b)\s*", text) if p.strip()]
    parts = [re.sub(r"(?<=[^\W\d_])\s+[-–]\s+(?=[A-Z])", "-", p) for p in parts]  # 'Lederer – Hutsteiner T.'
    if not parts or len(parts) > 60 or not all(_is_name(" ".join(p.split())) for p in parts):
        return ()
    return tuple(" ".join(p.split()) for p in parts)


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
    "speakers": ("speaker", "speakers", "presenter", "presenters", "author", "authors", "presentedby", "presentingauthor"),
    "title": ("title", "talktitle", "postertitle"),
    "room": ("room", "location", "venue", "place", "hall"),
    "when": ("date", "time", "datetime", "when"),
    "session": ("session", "track"),
}  # fmt: skip


def _label(text: str) -> tuple[str, str]:
    """('speakers', 'Jane Doe') from 'Presenter: Jane Doe'; labels garbled by a PDF font ('Loca/on') still count."""
    from rapidfuzz import fuzz

    m = re.match(r"^([^\W\d_][^:]{0,24}?)\s*:\s*(.*)$", text)
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
    return bool(text) and not (
        split_names(text) or _leading_time(text) or _label(text)[0] or _is_heading(text) or _SERVICE.search(text)
    )


def _is_heading(text: str) -> bool:
    return bool(_SESSION.search(text)) and len(text.split()) <= 12 and not text.endswith(".") and not split_names(text)


def _is_room(text: str) -> bool:
    if re.search(r"\b(room|hall|auditorium|aula|lecture theat[a-z]+|salle|saal|h[öo]rsaal|foyer|lobby)\b", text, re.I):
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

    def open_session(self, name: str, where: str) -> None:
        self.flush()
        self.session = _Open(name, self.date, *self.slot, self.room, where)
        self.opened.append(self.session)
        self.group, self.state = "", "head"

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

    def line(self, text: str, where: str, nxt: str = "") -> None:
        """One printed line: a date, a time slot, or content under the current slot."""
        text = " ".join(text.split())
        if not text:
            return
        self.lines_read += 1
        m = _find_date(text)
        if m and len(text[: m.start()].split()) <= 2 and (day := parse_day(text, self.year, self.dayfirst)):
            self.set_date(day)
            self.state, self.service = "fresh", ""
            return
        found = _leading_time(text)
        if found:
            self.set_slot(found[1], found[2], own=True)
            text = text[found[0].end() :].strip(" ,;:-–—|")
            if not text:
                return
        self.content(text, where, nxt)

    def content(self, text: str, where: str, nxt: str) -> None:
        if self.service and (self.in_block or not _is_heading(text)):
            return self.skip(where, text, f"inside a slot that is not a talk ({self.service})")
        self.service = ""
        if _is_placeholder(text):
            return self.skip(where, text, "a template placeholder, not a talk")
        label, value = _label(text)
        if label:
            return self.labelled(label, value, text, where)
        fresh, number = self.state == "fresh", ""
        if m := _NUMBERED.match(text):
            number, text = m[1], text[m.end() :]
        if fresh and _SERVICE.search(text) and len(text.split()) <= 8 and not split_names(text):
            self.flush()
            self.service = "break, meal or ceremony"
            return self.skip(where, text, "not a talk (break, meal or ceremony)")
        if fresh and self.in_span() and len(split_names(nxt)) >= 2 and len(split_names(text)) < 2:
            self.flush()
            self.group, self.state = text, "body"
            return
        prefix, _, rest = text.partition(":")
        names = split_names(text) or (split_names(rest) if len(split_names(rest)) >= 2 else ())
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
        self.text_line(text, where, nxt, fresh)

    def text_line(self, text: str, where: str, nxt: str, fresh: bool) -> None:
        """A line that is neither names nor a talk: a heading, room, topic, or (part of) a title."""
        quoted = text[:1] in _QUOTES
        title_next = bool(split_names(nxt)) and len(split_names(nxt)) < 2 or _label(nxt)[0] == "speakers"
        if not quoted and (fresh or self.state == "head"):
            if _is_heading(text):
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
        if self.title and self.title_line == self.lines_read - 1 and not quoted:
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
            self.line(text, where, texts[i + 1] if i + 1 < len(texts) else "")
        self.flush()
        self.service, self.in_block = "", False
