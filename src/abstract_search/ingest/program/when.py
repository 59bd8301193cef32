"""Times and dates as programs print them: '10:30-11:00', '2:30-3:00 pm', '14h30', '6 August 2025'.

The builder and the table reader both need to find a slot or a day inside a line or a cell,
and both must read the same text the same way; the program's usual year and day/month order
come from its own unambiguous dates.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime

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


def time_match(text: str) -> tuple[re.Match, str, str] | None:
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
    found = time_match(text)
    return (found[1], found[2]) if found else None


def find_date(text: str) -> re.Match | None:
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

    m = find_date(text)
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


def date_context(texts: Sequence[str]) -> tuple[int | None, bool | None]:
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
