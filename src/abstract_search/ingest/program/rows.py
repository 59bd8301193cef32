"""Tables (from DOCX, HTML, XLSX, CSV, or found inside a PDF book) read row by row into the builder.

A header row, when a table has one, names the columns by fuzzy match ('Loca/on' is a
location); a table without one is read cell by cell, a time cell giving the slot and the
other cells read as title, speakers, session or room by their shapes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from abstract_search.ingest.lines import same_label
from abstract_search.ingest.program.model import Program
from abstract_search.ingest.program.names import split_names, split_speaker_cell
from abstract_search.ingest.program.shapes import clean_title, is_heading, is_room, is_service, session_kind
from abstract_search.ingest.program.text import Builder, at
from abstract_search.ingest.program.when import parse_day, time_match

_COLUMNS = {
    "title": ("title", "talk", "talktitle", "presentation", "paper", "abstract", "abstracttitle", "postertitle"),
    "speakers": ("presenter", "presenters", "speaker", "speakers", "author", "authors", "name", "names",
                 "presentingauthor", "presentedby"),
    "time": ("time", "slot", "timeslot", "hour", "hours", "when", "schedule"),
    "start": ("start", "from", "begin", "starts", "starttime"),
    "end": ("end", "to", "until", "ends", "endtime"),
    "date": ("date", "day"),
    "room": ("room", "location", "venue", "place", "hall", "where"),
    "session": ("session", "track", "block", "sessiontitle", "sessionname"),
    "kind": ("type", "kind", "format"),
    "number": ("no", "nr", "number", "id", "posterno", "board", "abstractid"),
}  # fmt: skip


def _header(cells: Sequence[str]) -> dict[str, int] | None:
    """Column positions from a header row ('Title | Presenter | Time | Loca/on'), else None."""
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = re.sub(r"[^a-z#]", "", cell.lower()).replace("#", "no")
        if not key or len(cell) > 30 or time_match(cell):
            continue
        for name, aliases in _COLUMNS.items():
            if name not in found and any(same_label(key, a) for a in aliases):
                found[name] = i
                break
    return found if len(found) >= 2 and found.keys() & {"title", "speakers", "session"} else None


def _dedupe(cells: Sequence[str]) -> list[str]:
    """Merged cells repeat their text in each column they cover; keep one."""
    out: list[str] = []
    for cell in cells:
        if not out or cell != out[-1]:
            out.append(cell)
    return out


def _cell_time(cell: str) -> tuple[str, str] | None:
    found = time_match(cell)
    rest = (cell[: found[0].start()] + cell[found[0].end() :]).split() if found else []
    return (found[1], found[2]) if found and len(rest) <= 1 else None


def _header_row(b: Builder, cells: list[str], header: dict[str, int], where: str) -> None:
    """A data row under a header: one item, or a heading/break written across the row."""
    distinct = {c for c in cells if c}
    if len(distinct) == 1:
        return b.block(distinct.pop().splitlines(), where)
    extra = len(cells) - (max(header.values()) + 1)
    if extra > 0 and all(re.fullmatch(r"[A-Z]?\d{0,4}\.?", c) for c in cells[:extra]):
        number, cells = " ".join(cells[:extra]), cells[extra:]  # a numbering column the header does not name
    else:
        number = ""
    value = {f: " ".join(cells[i].split()) if i < len(cells) else "" for f, i in header.items()}
    number = value.get("number") or number
    when = time_match(value.get("time", "")) or time_match(value.get("start", ""))
    start, end = (when[1], when[2]) if when else ("", "")
    if "end" in value and (until := time_match(value["end"])):
        end = until[1]
    if day := parse_day(value.get("date", ""), b.year, b.dayfirst):
        b.set_date(day)
    if value.get("session") and (not b.session or b.session.name != value["session"]):
        b.open_session(value["session"], where, timed=False)  # its span comes from its rows
    if start:
        b.set_slot(start, end, own=False)
    title, speakers = clean_title(value.get("title", "")), split_speaker_cell(value.get("speakers", ""))
    label = " ".join(x for x in (f"{start}-{end}".strip("-"), title) if x)
    if not title and not speakers:
        return b.skip(where, " | ".join(cells), "no title and no speaker")
    if not speakers and ("speakers" in header or is_service(title)):
        return b.skip(where, label, "not a talk (no speaker)")
    kind = session_kind(value.get("kind", ""))
    b.add(title, speakers, where, (start, end), room=value.get("room", ""), number=number, kind=kind)


def _loose_row(b: Builder, cells: list[str], where: str) -> None:
    """A row of a table without a header: a time cell, then cells read as text blocks or title/speaker."""
    cells = [c for c in _dedupe(cells) if c]
    rest, slot, number = [], None, ""
    for cell in cells:
        day = parse_day(cell, b.year, b.dayfirst) if len(cell.split()) <= 5 else None
        if slot is None and (slot := _cell_time(cell)):
            b.set_slot(*slot, own=False)
        elif day:
            b.set_date(day)
        elif re.fullmatch(r"[A-Z]?\d{1,4}\.?", cell) and not number:
            number = cell
        else:
            rest.append(cell)
    single = all(len([x for x in c.splitlines() if x.strip()]) == 1 for c in rest)
    names = [c for c in rest if split_names(c)]
    heads = [c for c in rest if not split_names(c) and is_heading(c)]
    others = [c for c in rest if not split_names(c) and c not in heads]
    if single and names and others:  # one line per cell: a title, its speakers, maybe a session and a room
        for head in heads:
            if not b.session or b.session.name != head:
                b.open_session(head, where, timed=False)
        title = max(others, key=len)
        room = next((c for c in others if c is not title and is_room(c)), "")
        for cell in [c for c in others if c not in (title, room)] + names[1:]:
            b.skip(where, cell, "a cell read as neither title, speaker, session nor room")
        return b.add(title, split_names(names[0]), where, slot or ("", ""), room=room, number=number)
    for k, cell in enumerate(rest, 1):
        b.block(cell.splitlines(), f"{where}, cell {k}" if len(rest) > 1 else where)


def feed_rows(b: Builder, rows: Sequence[Sequence[object]], where: str) -> None:
    """Feeds a table's rows to the builder: a header row, when there is one, names the columns."""
    header = None
    for r, raw in enumerate(rows, 1):
        cells = ["" if c is None else str(c).strip() for c in raw]
        if not any(cells):
            continue
        if found := _header(cells):
            header = found
        elif header:
            _header_row(b, cells, header, at(where, f"row {r}"))
        else:
            _loose_row(b, cells, at(where, f"row {r}"))
    b.flush()


def parse_program_rows(rows: list[list[str]], where: str) -> Program:
    """A program from one table; a header row names the columns, else each row's cells are inferred."""
    b = Builder(where, [str(c) for row in rows for c in row if c])
    feed_rows(b, rows, where)
    return b.finish()
