"""Cell values as records need them: text, lists, ISO dates (or bare years), HH:MM times, numbers, kinds.

A spreadsheet cell may already be typed (a number, a date, a time); a CSV cell is text in
whatever form the export chose. Each reader raises `ValueError` with a reason a person can
act on; the caller adds the file, line and column. What a column as a whole shows (its list
separator, its day/month order, its usual year) is decided once from all its cells, so every
row is read the same way.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from abstract_search.records import KINDS

# Names the exports use for the record kinds; a kind column may hold any of them.
KIND_NAMES = {**{k: k for k in KINDS}, "oral": "talk", "presentation": "talk", "plenary": "keynote"}


def cell_text(value: object) -> str:
    """A cell as text: typed spreadsheet values in ISO form, lists joined with '|'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(value, list):
        return "|".join(part for part in (cell_text(v) for v in value) if part)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value).strip()


# --- lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListSplit:
    """How one column's cells are cut into a list: a regex of separators and its name for the report."""

    pattern: str = ""
    label: str = "one value per cell"

    def split(self, value: object) -> tuple[str, ...]:
        if isinstance(value, list):  # a JSON list is a list already
            parts = [cell_text(v) for v in value]
        else:
            text = cell_text(value)
            parts = re.split(self.pattern, text) if self.pattern else [text]
        return tuple(dict.fromkeys(" ".join(p.split()) for p in parts if p.strip()))


_ANY_OF = {"|": r"\s*\|\s*", ";": r"\s*;\s*", "newline": r"\s*\n\s*", "&": r"\s+&\s+"}
# The separators each list field may use, in the order they are looked for: a column uses the
# first one that any of its cells holds. Affiliations never split on commas or 'and'
# ('Department of Physics and Astronomy, University of X' is one affiliation).
SEPARATORS = {
    "speakers": ("|", ";", "newline", "&"),
    "affiliations": ("|", ";", "newline"),
    "tags": ("|", ";", "newline"),
    "references": ("|", "newline"),
}


def _multiword(parts: Sequence[str]) -> bool:
    return bool(parts) and all(len(p.split()) >= 2 for p in parts if p.strip())


def list_split(field: str, cells: Sequence[object]) -> ListSplit:
    """The separator a column of `field` actually uses, judged from all its cells.

    Names are cut on commas only when every piece is a whole name of two or more words
    ('Ann Lee, Bo Chen'), so 'Lee, Ann' stays one person; ' and ' separates names only. Tags
    are cut on commas unless a cell with a comma repeats: then it is one label of a facet
    ('Syntax: Tagging, Chunking, and Parsing' is one track, written on every row of it).
    """
    texts = [cell_text(c) for c in cells if not isinstance(c, list)]
    texts = [t for t in texts if t]
    for name in SEPARATORS.get(field, ()):
        probe = "\n" if name == "newline" else f" {name} " if name == "&" else name
        if any(probe in t for t in texts):
            return ListSplit(_ANY_OF[name], f"split on {name!r}" if name != "newline" else "split on line breaks")
    with_comma = Counter(t for t in texts if "," in t)
    if field == "tags" and with_comma and max(with_comma.values()) == 1:
        return ListSplit(r"\s*,\s*", "split on ','")
    if field != "speakers":
        return ListSplit()
    with_and = [t for t in texts if " and " in t]
    pieces = [p for t in texts for p in re.split(r",|\s+and\s+", t)]
    if any("," in t for t in texts) and _multiword(pieces):
        return ListSplit(r"\s*,\s*(?:and\s+)?|\s+and\s+", "split on ',' and ' and '")
    if with_and:
        return ListSplit(r"\s+and\s+", "split on ' and '")
    return ListSplit()


# --- dates and times ---------------------------------------------------------------------------

_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})\b")
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")


@dataclass(frozen=True)
class DateOrder:
    """A date column's day/month order and usual year, read from its unambiguous cells."""

    dayfirst: bool | None = None  # None: no cell says; '/' reads month first, '.' and '-' day first
    year: int | None = None
    ambiguous: bool = False  # numeric dates exist but none shows the order

    @classmethod
    def of(cls, cells: Sequence[object]) -> DateOrder:
        orders: Counter[bool] = Counter()
        years: Counter[int] = Counter()
        numeric = 0
        for cell in cells:
            if isinstance(cell, date):
                years[cell.year] += 1
                continue
            text = cell_text(cell)
            found = _YEAR.search(text)
            if found:
                years[int(found.group(1))] += 1
            m = _NUMERIC_DATE.match(text)
            if m:
                numeric += 1
                a, b = int(m.group(1)), int(m.group(3))
                if max(a, b) > 12 and min(a, b) <= 12:
                    orders[a > 12] += 1
        dayfirst = orders.most_common(1)[0][0] if orders else None
        year = years.most_common(1)[0][0] if years else None
        return cls(dayfirst, year, numeric > 0 and not orders)


_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WEEKDAYS = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_DATE_WORDS = re.compile(
    rf"\b(?:{_MONTHS}|{_WEEKDAYS}|st|nd|rd|th|of|am|pm|a\.m\.|p\.m\.|noon|to|until)\b\.?"
    r"|(?<=\d)[Th](?=\d)|\d+|[\s,./:\-–—]+",
    re.I,
)


def _only_date_words(text: str) -> bool:
    """Nothing in `text` but digits, month and weekday names, clock marks and punctuation."""
    return not _DATE_WORDS.sub("", text).strip()


def parse_date(value: object, order: DateOrder = DateOrder()) -> str:
    """An ISO date from a typed cell or any common written form, or a bare year as "YYYY"; ValueError otherwise."""
    from dateutil import parser as date_parser

    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = cell_text(value)
    if not text:
        return ""
    if _YEAR.fullmatch(text):  # a bare year (a paper's "2018") stays a year-only date, not 2018-01-01
        return text
    if not re.search(r"\d", text) or not _only_date_words(text):
        raise ValueError(f"{text!r} is not a date")
    numeric = _NUMERIC_DATE.match(text)
    dayfirst = order.dayfirst if order.dayfirst is not None else bool(numeric and numeric.group(2) != "/")
    try:  # the parts a text leaves out come from the default: parse with two, see which moved
        one = date_parser.parse(text, dayfirst=dayfirst, default=datetime(2000, 1, 1))
        two = date_parser.parse(text, dayfirst=dayfirst, default=datetime(2004, 2, 2))
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not a date") from None
    if one.day != two.day or one.month != two.month:
        raise ValueError(f"{text!r} is not a whole date (no {'day' if one.month == two.month else 'month'})")
    if one.year != two.year:
        if order.year is None:
            raise ValueError(f"{text!r} has no year, and no other date in the column gives one")
        one = one.replace(year=order.year)
    return one.date().isoformat()


@dataclass(frozen=True)
class When:
    """What a time cell says: a start, maybe an end ('14:30-16:00'), maybe a day."""

    start: str = ""
    end: str = ""
    date: str = ""


def parse_time(value: object, order: DateOrder = DateOrder()) -> When:
    """HH:MM (and an end and a day when the cell holds them); ValueError when it is not a time."""
    from abstract_search.ingest.program import parse_time_range

    if isinstance(value, datetime):
        return When(value.strftime("%H:%M"), "", value.date().isoformat())
    if isinstance(value, time | timedelta):
        return When(cell_text(value))
    if isinstance(value, float) and 0 <= value < 1:  # a spreadsheet time stored as a fraction of a day
        minutes = round(value * 24 * 60)
        return When(f"{minutes // 60:02d}:{minutes % 60:02d}")
    text = cell_text(value)
    if not text:
        return When()
    found = parse_time_range(text) if _only_date_words(text) else None
    if found is None:
        raise ValueError(f"{text!r} is not a time (write it like 14:30 or 2:30 PM)")
    day = ""
    if re.search(r"\d{4}|[a-z]{3}", text, re.I):
        try:
            day = parse_date(re.sub(r"[T\s]+\d{1,2}[:.h]\d{2}.*$", "", text), order)
        except ValueError:
            day = ""
        day = "" if _YEAR.fullmatch(day) else day  # a time is on a day; a year alone does not name one
    return When(found[0], found[1], day)


# --- numbers and kinds -------------------------------------------------------------------------


def parse_number(value: object) -> int | None:
    """A whole number (a spreadsheet's 12.0 is 12); ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = cell_text(value)
    if not text:
        return None
    if not re.fullmatch(r"\d{1,9}", text):
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


def parse_kind(value: object, default: str) -> str:
    """The record kind a cell names ('Oral' is a talk); the default when it is empty."""
    text = cell_text(value).casefold()
    if not text:
        return default
    if text not in KIND_NAMES:
        raise ValueError(f"{cell_text(value)!r} is not a kind; kinds: {', '.join(KIND_NAMES)}")
    return KIND_NAMES[text]
