"""From a segmented book (and its program, if any) to records and a report.

Entries printed twice become one record; dates and times come from an entry's own labelled
fields, else from the section it sits in (a 'Time slot 15:45 - 16:45' heading, a day whose
other entries carry a date), else from the program item it was matched to by content.
Program items with no abstract become title-only records. Nothing is dropped silently:
every duplicate, unmatched item and empty page is a line of the report.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from abstract_search.ingest.entry import DAY_HEADING, Entry
from abstract_search.ingest.segment import Segmentation
from abstract_search.records import Abstract

DUPLICATE_MIN = 0.8  # word 4-gram Jaccard above which two printed bodies are the same abstract
PREFIX = {"talk": "T", "poster": "P", "keynote": "K", "paper": "A"}


@dataclass
class BookRecords:
    records: list[Abstract]
    entries: list[dict] = field(default_factory=list)  # per record: id, pages, confidence, evidence
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    attached: int = 0  # entries the program gave a slot to


def _shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(max(len(words) - n + 1, 0))}


def drop_duplicates(entries: list[Entry]) -> tuple[list[Entry], list[str]]:
    """Keeps the first print of an abstract printed more than once (same title, same body); reports the others."""
    kept, seen, skipped = [], [], []
    for entry in entries:
        shingles = _shingles(entry.body)
        title = _shingles(entry.title, 1)
        twin = next(
            (
                other
                for other, other_title, other_shingles in seen
                if _jaccard(title, other_title) >= DUPLICATE_MIN
                and (_jaccard(shingles, other_shingles) >= DUPLICATE_MIN or not (shingles or other_shingles))
            ),
            None,
        )
        if twin is not None:
            twin.pages = (min(twin.pages[0], entry.pages[0]), max(twin.pages[1], entry.pages[1]))
            skipped.append(f"{_pages(entry)}: duplicate of {_pages(twin, bare=True)} ({entry.title[:60]!r})")
            continue
        kept.append(entry)
        seen.append((entry, title, shingles))
    return kept, skipped


def drop_front_and_back_matter(entries: list[Entry]) -> tuple[list[Entry], list[str]]:
    """Headed text at the start or end of the book with no people, where nearly every entry has some.

    A welcome letter, a committee or a sponsor page can be set in the title style; what gives it
    away is that it names no author or presenter while the abstracts around it do.
    """

    def anonymous(entry: Entry) -> bool:
        return not (entry.authors or entry.presenter or entry.fields)

    named = [i for i, e in enumerate(entries) if not anonymous(e)]
    if len(named) < 3:
        return entries, []
    first, last = named[0], named[-1]
    if len(named) < 0.8 * (last - first + 1):  # the abstracts themselves often name nobody
        return entries, []
    dropped = entries[:first] + entries[last + 1 :]
    reasons = [f"{_pages(e)}: front or back matter ({e.title[:50]!r}: no author or presenter)" for e in dropped]
    return entries[first : last + 1], reasons


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _pages(entry: Entry, bare: bool = False) -> str:
    first, last = entry.pages
    span = str(first) if first == last else f"{first}-{last}"
    return span if bare else (f"p. {span}" if first == last else f"pp. {span}")


def book_year(texts: list[str]) -> int | None:
    years = Counter(int(y) for text in texts for y in re.findall(r"\b(?:19|20)\d\d\b", text))
    return years.most_common(1)[0][0] if years else None


def entry_times(entries: list[Entry], year: int | None) -> list[dict]:
    """date/start/end/session per entry: its own fields, then its sections', then its day's siblings'."""
    from abstract_search.ingest.program import parse_day, parse_time_range

    out = []
    for entry in entries:
        when = entry.fields.get("when", "")
        span = parse_time_range(when) if when else None
        day = parse_day(when, year) if when else None
        for heading in reversed(entry.sections):
            span = span or parse_time_range(heading)
            day = day or (parse_day(heading, year) if not DAY_HEADING.match(heading) else None)
        sessions = [h for h in entry.sections if not DAY_HEADING.match(h) and not parse_day(h, year)]
        out.append(
            {
                "date": day or "",
                "start": span[0] if span else "",
                "end": span[1] if span and len(span) > 1 else "",
                "session": entry.fields.get("session") or " / ".join(sessions),
                "day": next((h for h in entry.sections if DAY_HEADING.match(h)), ""),
            }
        )
    by_day: dict[str, Counter] = {}
    for times in out:
        if times["day"] and times["date"]:
            by_day.setdefault(times["day"], Counter())[times["date"]] += 1
    for times in out:  # a 'Day 2' heading means the date its dated entries share
        if not times["date"] and times["day"] in by_day:
            times["date"] = by_day[times["day"]].most_common(1)[0][0]
    return out


def build_records(seg: Segmentation, program=None, year: int | None = None, confirmed: bool = True) -> BookRecords:
    """Records (with ids by kind and order) from a segmented book and an optional program.

    `year` completes dates printed without one ('10th September'); the book's cover has it.
    A program the user gave is `confirmed`: its items with no abstract become title-only
    records. One found on the book's own pages only lends slots to the entries it matches.
    """
    entries, skipped = drop_front_and_back_matter(seg.entries)
    entries, twins = drop_duplicates(entries)
    skipped += twins
    year = year or book_year([e.fields.get("when", "") for e in entries] + [s for e in entries for s in e.sections])
    times = entry_times(entries, year)
    warnings, program_rows, extra = [], [], []
    if program is not None:
        times, extra, warnings, program_rows = attach_program(entries, times, program)
        if not confirmed:
            extra = []
    counters: Counter = Counter()
    records, report = [], []
    for entry, when in zip(entries, times, strict=True):
        counters[entry.kind] += 1
        record = Abstract(
            id=f"{PREFIX[entry.kind]}{counters[entry.kind]:03d}",
            title=entry.title,
            kind=entry.kind,
            number=counters[entry.kind],
            speakers=tuple(dict.fromkeys(entry.authors or ([entry.presenter] if entry.presenter else []))),
            affiliations=tuple(entry.affiliations),
            abstract=entry.body,
            tags=tuple(entry.keywords),
            references=tuple(entry.references),
            pages=_pages(entry, bare=True),
            **{k: when[k] for k in ("date", "start", "end", "session")},
        )
        records.append(record)
        report.append(
            {"id": record.id, "pages": record.pages, "confidence": entry.confidence, "evidence": entry.evidence}
        )
        if not entry.body:
            warnings.append(f"{record.id} ({_pages(entry)}): no abstract text under the title {entry.title[:60]!r}")
    for item in extra:
        kind = item.kind if item.kind in PREFIX else "talk"
        counters[kind] += 1
        record = Abstract(
            id=f"{PREFIX[kind]}{counters[kind]:03d}",
            title=item.title,
            kind=kind,
            number=counters[kind],
            speakers=tuple(item.speakers),
            date=item.date,
            start=item.start,
            end=item.end,
            session=item.session,
        )
        records.append(record)
        report.append({"id": record.id, "pages": "", "confidence": 0.5, "evidence": [f"program only: {item.where}"]})
        warnings.append(f"{record.id}: in the program but not in the book ({item.title[:60]!r}); title-only record")
    attached = sum(1 for row in program_rows if row["entry"] is not None)
    return BookRecords(records, report + program_rows, seg.skipped + skipped, warnings, attached)


def attach_program(entries: list[Entry], times: list[dict], program):
    """Fills each entry's empty date/time/session from the program item matched to it by content."""
    from abstract_search.ingest.program import match_program

    # The presenter alone when the book marks one: a co-author's name must not claim a program slot.
    keys = [(e.title, (e.presenter,) if e.presenter else tuple(e.authors)) for e in entries]
    matches = match_program(keys, program.items)
    extra, warnings, rows = [], list(program.warnings), []
    for match in matches:
        item = program.items[match.item]
        rows.append(
            {
                "program_item": item.where,
                "title": item.title,
                "entry": match.entry,
                "method": match.method,
                "score": round(match.score, 3),
            }
        )
        if match.entry is None:
            if item.title:
                extra.append(item)
            else:
                warnings.append(f"program item {item.where} ({', '.join(item.speakers)}) matches no abstract")
            continue
        when, entry = times[match.entry], entries[match.entry]
        for key in ("date", "start", "end", "session"):
            if not when[key] and getattr(item, key):
                when[key] = getattr(item, key)
        if item.kind in PREFIX and entry.kind == "talk" and item.kind != "talk":
            entry.kind = item.kind
        entry.evidence.append(f"program {item.where} ({match.method}, {match.score:.2f})")
    if not program.items:
        warnings.append(f"the program {program.source} lists no talk or poster that could be placed")
    elif not any(m.entry is not None for m in matches):
        warnings.append(f"the program {program.source} matches no abstract of the book")
    return times, extra, warnings, rows
