"""Ingest: turning an abstract book (PDF or text, with its program) or a table into records.

`ingest_file` picks the reader by file type and returns the records together with a report
of everything that was matched, doubted, skipped or left empty: nothing vanishes silently.
A PDF book goes reader (lines with layout) -> segment (entries) -> assemble (records, with
the program attached by content); a text book with its program inside goes through book.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from abstract_search.ingest.book import Book, ProgramEntry, parse_book
from abstract_search.ingest.match import Match, match_bodies
from abstract_search.ingest.reader import read_text_file
from abstract_search.ingest.tables import SUFFIXES as TABLE_FILE_SUFFIXES
from abstract_search.ingest.tables import read_table
from abstract_search.records import Abstract, CorpusError

BOOK_SUFFIXES = {".txt", ".text", ".pdf"}
TABLE_SUFFIXES = set(TABLE_FILE_SUFFIXES)


@dataclass
class IngestResult:
    """Records plus the report of how they were made."""

    source: str
    records: list[Abstract]
    lines: list[str] = field(default_factory=list)  # human-readable report lines
    warnings: list[str] = field(default_factory=list)
    matches: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)  # per record: pages, confidence, evidence

    def report_text(self) -> str:
        out = [f"ingested {self.source}: {len(self.records)} records"]
        out += self.lines
        out += [f"warning: {w}" for w in self.warnings]
        if self.skipped:
            out.append(f"skipped {len(self.skipped)} row(s):")
            out += [f"  {s}" for s in self.skipped]
        return "\n".join(out)

    def report_json(self) -> dict:
        counts: dict[str, int] = {}
        for record in self.records:
            counts[record.kind] = counts.get(record.kind, 0) + 1
        return {
            "source": self.source,
            "records": len(self.records),
            "counts": counts,
            "matches": self.matches,
            "warnings": self.warnings,
            "skipped": self.skipped,
            "entries": self.entries,
        }


def _record_id(entry: ProgramEntry, width: int) -> str:
    return f"{'T' if entry.kind == 'talk' else 'P'}{entry.number:0{width}d}"


def _day_date(book: Book, day: int) -> str:
    if day <= 0:
        return ""
    if day <= len(book.dates):
        return book.dates[day - 1].isoformat()
    if book.dates:
        return (book.dates[-1] + timedelta(days=day - len(book.dates))).isoformat()
    return ""


def _block_labels(entries: list[ProgramEntry]) -> dict[tuple[int, int], str]:
    """A readable label per (day, block): 'Day 1, block 2 (13:00-15:00)'."""
    spans: dict[tuple[int, int], list[str]] = {}
    for e in entries:
        if e.kind == "talk":
            span = spans.setdefault((e.day, e.block), [e.start, e.end])
            span[1] = e.end
    return {key: f"Day {key[0]}, block {key[1]} ({_pad(s)}-{_pad(t)})" for key, (s, t) in spans.items()}


def _pad(hhmm: str) -> str:
    return f"{int(hhmm.split(':')[0]):02d}:{hhmm.split(':')[1]}" if hhmm else ""


def book_to_records(book: Book, matches: list[Match]) -> IngestResult:
    """Builds talk and poster records from a parsed book and its body matches."""
    body_of = {m.entry: book.bodies[m.body] for m in matches if m.entry is not None and m.method != "duplicate"}
    labels = _block_labels(book.entries)
    width = max(2, len(str(max((e.number for e in book.entries), default=1))))
    records, lines, warnings, match_rows = [], [], list(book.warnings), []
    for index, entry in enumerate(book.entries):
        body = body_of.get(index)
        if entry.kind == "talk":
            when = dict(
                date=_day_date(book, entry.day),
                start=_pad(entry.start),
                end=_pad(entry.end),
                session=labels.get((entry.day, entry.block), ""),
            )
        elif book.poster_slot:
            day, start, end = book.poster_slot
            when = dict(date=_day_date(book, day), start=_pad(start), end=_pad(end), session="Poster session")
        else:
            when = {}
        record = Abstract(
            id=_record_id(entry, width),
            kind=entry.kind,
            number=entry.number,
            title=entry.title,
            speakers=entry.speakers,
            affiliations=(entry.affiliation,) if entry.affiliation else (),
            abstract=body.text if body else "",
            tags=entry.tags,
            references=body.references if body else (),
            figure_captions=body.captions if body else (),
            **when,
        )
        records.append(record)
        if body:
            warnings += [f"{record.id}: {w}" for w in body.warnings]
        elif entry.kind == "talk":
            warnings.append(f"{record.id} ({entry.title[:60]}): no abstract body found; abstract left empty")
    lines.append("matches (body line -> record, method, confidence, runner-up):")
    for m in matches:
        body = book.bodies[m.body]
        target = _record_id(book.entries[m.entry], width) if m.entry is not None else None
        runner = _record_id(book.entries[m.runner_up], width) if m.runner_up is not None else None
        start = (body.head_title or body.text)[:60]
        if m.method == "duplicate":
            kept = book.bodies[m.duplicate_of]
            warnings.append(
                f"body at line {body.first_line} duplicates the body at line {kept.first_line} "
                f"({target}); the copy is ignored"
            )
        elif m.method == "unmatched":
            warnings.append(f"body at line {body.first_line} matches no program entry: {start!r}")
        lines.append(
            f"  line {body.first_line:5d} -> {target or '-':4s} {m.method:11s} "
            f"{m.confidence:5.2f}  2nd {runner or '-':4s} {start}"
        )
        match_rows.append(
            {
                "body_line": body.first_line,
                "record": target,
                "method": m.method,
                "confidence": round(m.confidence, 3),
                "score": round(m.score, 2),
                "runner_up": runner,
                "duplicate_of_line": book.bodies[m.duplicate_of].first_line if m.duplicate_of is not None else None,
            }
        )
    kinds = {k: sum(r.kind == k for r in records) for k in ("talk", "poster")}
    lines.insert(
        0,
        f"program: {kinds['talk']} talks, {kinds['poster']} posters; "
        f"{len(book.bodies)} abstract bodies; dates: "
        f"{', '.join(d.isoformat() for d in book.dates) or 'none found'}",
    )
    return IngestResult("", records, lines, warnings, match_rows)


def ingest_layout_book(path: Path, program: Path | None = None) -> IngestResult:
    """A PDF book read with its layout, cut by its template, and joined to its program."""
    from abstract_search.ingest.assemble import book_year, build_records
    from abstract_search.ingest.reader import read_pdf
    from abstract_search.ingest.segment import segment

    doc = read_pdf(path)
    seg = segment(doc)
    if not seg.entries:
        raise CorpusError(f"{path}: nothing here looks like abstracts ({'; '.join(seg.skipped[-1:])})")
    first = seg.entries[0].pages[0]
    year = book_year([line.text for line in doc.lines if line.page <= first])
    if program is not None:
        from abstract_search.ingest.program import read_program

        built = build_records(seg, read_program(program), year)
    else:
        built = build_records(seg, None, year)
        inside = program_inside(doc, seg)
        if inside is not None:
            with_program = build_records(seg, inside, year, confirmed=False)
            if with_program.attached >= 0.5 * len(seg.entries):
                built = with_program
    kinds = Counter(r.kind for r in built.records)
    lines = [
        f"book: {doc.pages} pages, {len(seg.entries)} entries; body type {seg.body_style[0]:g} pt, "
        f"titles {seg.title_style[0]:g} pt{' bold' if seg.title_style[1] else ''}",
        "records: " + ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items())),
        *[f"dropped as page furniture: {f}" for f in doc.furniture],
        *[f"not an entry: {s}" for s in built.skipped],
    ]
    return IngestResult("", built.records, lines, built.warnings, [], built.skipped, built.entries)


def program_inside(doc, seg):
    """The program printed on the book's own pages that hold no entry (front matter, a timetable)."""
    from abstract_search.ingest.program import parse_program_lines

    used = {p for e in seg.entries for p in range(e.pages[0], e.pages[1] + 1)}
    texts = [line.text for line in doc.lines if line.page not in used]
    if not texts:
        return None
    try:
        found = parse_program_lines(texts, Path(doc.source).name)
    except CorpusError:
        return None
    return found if found.items else None


def ingest_book(text: str, embedder=None) -> IngestResult:
    """Parses a book's text and matches its bodies to the program by content."""
    book = parse_book(text)
    if not book.entries:
        raise CorpusError("no program or poster table found: is this an abstract book?")
    if embedder is None:
        from abstract_search.embed.backends import load_embedder

        embedder = load_embedder()
    return book_to_records(book, match_bodies(book.bodies, book.entries, embedder))


def ingest_file(
    source: str | Path,
    *,
    program: str | Path | None = None,
    columns: dict | None = None,
    kind: str | None = None,
    embedder=None,
    sheet: str | None = None,
    skip_bad_rows: bool = False,
) -> IngestResult:
    """Reads any supported file into records, with a report.

    A table is strict: a bad row fails the import unless `skip_bad_rows`; `sheet` picks an
    XLSX sheet (the first by default).
    """
    path = Path(source)
    if not path.is_file():
        raise CorpusError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise CorpusError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    program_path = Path(program) if program else None
    if program_path is not None and not program_path.is_file():
        raise CorpusError(f"{program_path}: no such program file")
    if suffix == ".pdf":
        result = ingest_layout_book(path, program_path)
    elif suffix in BOOK_SUFFIXES:
        result = ingest_book(read_text_file(path), embedder)
        if program_path is not None:
            result.warnings.append(f"{program_path}: this text book carries its own program; the file was not read")
    elif suffix in TABLE_SUFFIXES:
        table = read_table(path, columns or {}, kind or "paper", sheet=sheet, skip_bad_rows=skip_bad_rows)
        result = IngestResult("", table.records, table.lines, table.warnings, [], table.skipped)
    else:
        raise CorpusError(
            f"{path}: unsupported file type {suffix or '(none)'}; use one of "
            f"{', '.join(sorted(BOOK_SUFFIXES | TABLE_SUFFIXES))}"
        )
    result.source = str(path)
    return result


__all__ = ["IngestResult", "ingest_book", "ingest_file", "read_text_file"]
