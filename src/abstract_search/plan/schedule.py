"""Programs in and out: load the organizers' program from the records, export plans.

An existing program is read from the records' `session` labels (a block per label, ordered by
date and start time; blocks that overlap in time are parallel). Exports are CSV, JSON,
Markdown and iCalendar (one event per talk, the session's time split evenly between its talks).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from abstract_search.plan.frame import Frame, Place, PlanError
from abstract_search.records import Abstract, clock_minutes

_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Program:
    """An existing program as a frame (sizes, slots, times, block names) and a session per item."""

    frame: Frame
    labels: tuple[int, ...]


def has_program(records: Sequence[Abstract]) -> bool:
    return bool(records) and all(r.session for r in records)


def load_program(records: Sequence[Abstract]) -> Program:
    """The organizers' blocks of `records` (by `session` label), ordered by date and start time."""
    missing = [r.id for r in records if not r.session]
    if missing:
        raise PlanError(
            f"{len(missing)} items have no session label (e.g. {', '.join(missing[:3])}), "
            "so the corpus has no organizers' program to load"
        )
    blocks: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        blocks.setdefault(record.session, []).append(i)

    def span(rows):
        dates = sorted(records[i].date for i in rows if records[i].date)
        starts = sorted(records[i].start for i in rows if records[i].start)
        ends = sorted(records[i].end for i in rows if records[i].end)
        return (
            dates[0] if dates else "",
            min(starts, key=clock_minutes) if starts else "",
            max(ends, key=clock_minutes) if ends else "",
        )

    spans = {name: span(rows) for name, rows in blocks.items()}
    order = sorted(
        blocks, key=lambda name: (spans[name][0], clock_minutes(spans[name][1]) if spans[name][1] else 0, name)
    )
    places, slot, slot_members = [], -1, []
    for name in order:
        date, start, end = spans[name]
        overlaps = any(
            d == date
            and start
            and end
            and s
            and e
            and clock_minutes(start) < clock_minutes(e)
            and clock_minutes(s) < clock_minutes(end)
            for d, s, e in slot_members
        )
        if not overlaps:
            slot, slot_members = slot + 1, []
        places.append(Place(slot=slot, track=len(slot_members), date=date, start=start, end=end, name=name))
        slot_members.append((date, start, end))
    index = {name: k for k, name in enumerate(order)}
    labels = tuple(index[r.session] for r in records)
    sizes = tuple(len(blocks[name]) for name in order)
    return Program(Frame(tuple(places), sizes), labels)


def talk_times(place: Place, n_talks: int) -> list[tuple[datetime, datetime]] | None:
    """Splits a session's time evenly between its talks; None when the session has no times.

    A year-only date ("2018", from a table's year column) names no day, so it has no times either.
    """
    if not (_FULL_DATE.fullmatch(place.date) and place.start and place.end) or n_talks == 0:
        return None
    begin = datetime.strptime(f"{place.date} {place.start}", "%Y-%m-%d %H:%M")
    length = (clock_minutes(place.end) - clock_minutes(place.start)) / n_talks
    return [
        (begin + timedelta(minutes=k * length), begin + timedelta(minutes=(k + 1) * length)) for k in range(n_talks)
    ]


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 4)


def plan_rows(plan, records: Sequence[Abstract]) -> list[dict]:
    """One flat row per talk, in program order: what the CSV holds."""
    by_id = {r.id: r for r in records}
    fits = {f.id: f for f in plan.fits}
    rows = []
    for session in plan.sessions:
        times = talk_times(session.place, len(session.item_ids))
        for position, item_id in enumerate(session.item_ids):
            record = by_id[item_id]
            start, end = (t.strftime("%Y-%m-%d %H:%M") for t in times[position]) if times else ("", "")
            rows.append(
                {
                    "session": session.index + 1,
                    "slot": session.place.slot + 1,
                    "track": session.place.track + 1,
                    "session_title": session.title,
                    "block": session.place.name,
                    "order": position + 1,
                    "id": item_id,
                    "title": record.title,
                    "speakers": "; ".join(record.speakers),
                    "start": start,
                    "end": end,
                    "fit": _number(fits[item_id].fit),
                }
            )
    return rows


def fit_json(fit) -> dict:
    return {
        "id": fit.id,
        "session": fit.session + 1,
        "fit": _number(fit.fit),
        "best_alternative": fit.best_alternative + 1 if fit.best_alternative >= 0 else None,
        "gain": _number(fit.gain),
        "swap_with": fit.swap_with or None,
    }


def plan_json(plan, records: Sequence[Abstract]) -> dict:
    """The plan as plain JSON types (session numbers are 1-based, as printed)."""
    by_id = {r.id: r for r in records}
    fits = {f.id: f for f in plan.fits}
    return {
        "name": plan.name,
        "objective": _number(plan.objective),
        "coherence": _number(plan.coherence),
        "sessions": [
            {
                "session": s.index + 1,
                "slot": s.place.slot + 1,
                "track": s.place.track + 1,
                "block": s.place.name or None,
                "date": s.place.date or None,
                "start": s.place.start or None,
                "end": s.place.end or None,
                "title": s.title,
                "keywords": list(s.keywords),
                "coherence": _number(s.coherence),
                "items": [{"id": i, "title": by_id[i].title, "fit": _number(fits[i].fit)} for i in s.item_ids],
            }
            for s in plan.sessions
        ],
        "odd_ones": [fit_json(f) for f in plan.odd_ones()],
    }


def plan_markdown(plan, records: Sequence[Abstract]) -> str:
    by_id = {r.id: r for r in records}
    lines = [f"# Program ({plan.name}): mean session coherence {plan.coherence:.3f}", ""]
    for s in plan.sessions:
        when = " ".join(v for v in (s.place.date, f"{s.place.start}-{s.place.end}" if s.place.start else "") if v)
        lines.append(f"## Session {s.index + 1}: {s.title}")
        lines.append(
            f"*slot {s.place.slot + 1}, track {s.place.track + 1}{', ' + when if when else ''}"
            f"{', block ' + repr(s.place.name) if s.place.name else ''}; coherence {s.coherence:.3f}*"
        )
        if s.keywords:
            lines.append(f"Shared terms: {', '.join(s.keywords)}")
        lines.append("")
        for item_id in s.item_ids:
            speakers = ", ".join(by_id[item_id].speakers)
            lines.append(f"1. **{item_id}** {by_id[item_id].title}{' (' + speakers + ')' if speakers else ''}")
        lines.append("")
    odd = plan.odd_ones()
    if odd:
        lines += ["## Odd ones out", ""]
        for f in odd:
            change = f"swap with {f.swap_with}" if f.swap_with else "move"
            lines.append(
                f"- {f.id}: fit {f.fit:+.3f}; {change} into session {f.best_alternative + 1} (score +{f.gain:.4f})"
            )
    return "\n".join(lines) + "\n"


def plan_ics(plan, records: Sequence[Abstract]) -> bytes:
    """An iCalendar file with one event per talk; refuses a plan whose sessions have no times."""
    from icalendar import Calendar, Event

    untimed = [s.index + 1 for s in plan.sessions if talk_times(s.place, len(s.item_ids)) is None]
    if untimed:
        raise PlanError(
            f"sessions {untimed[:5]} have no date/start/end (a day as YYYY-MM-DD, not a year alone), so there "
            "is no calendar to export; plan into a program with times (e.g. the organizers' slots) or export "
            ".csv/.md/.json"
        )
    by_id = {r.id: r for r in records}
    calendar = Calendar()
    calendar.add("prodid", "-//abstract-search//session planner//EN")
    calendar.add("version", "2.0")
    for s in plan.sessions:
        for item_id, (start, end) in zip(s.item_ids, talk_times(s.place, len(s.item_ids)), strict=True):
            record = by_id[item_id]
            event = Event()
            event.add("uid", f"{item_id}-{start:%Y%m%dT%H%M}@abstract-search")
            event.add("dtstamp", datetime(2000, 1, 1))
            event.add("dtstart", start)
            event.add("dtend", end)
            event.add("summary", record.title)
            event.add("description", f"{', '.join(record.speakers)}\nSession {s.index + 1}: {s.title}")
            event.add("categories", [f"Session {s.index + 1}"])
            calendar.add_component(event)
    return calendar.to_ical()


def _csv_text(plan, records) -> str:
    rows = plan_rows(plan, records)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["id"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


EXPORTERS: dict[str, Callable] = {
    ".csv": _csv_text,
    ".json": lambda plan, records: json.dumps(plan_json(plan, records), ensure_ascii=False, indent=2) + "\n",
    ".md": plan_markdown,
    ".ics": plan_ics,
}


def export_plan(plan, records: Sequence[Abstract], path: str | Path) -> Path:
    """Writes the plan in the format its suffix names (.csv, .json, .md or .ics)."""
    path = Path(path)
    exporter = EXPORTERS.get(path.suffix.lower())
    if exporter is None:
        raise PlanError(f"cannot export to {path.name!r}; valid suffixes: {', '.join(EXPORTERS)}")
    content = exporter(plan, records)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def comparison_text(comparison, records: Sequence[Abstract], max_moves: int = 10) -> str:
    """The baseline and the proposal side by side, session by session, then improving moves."""
    base, prop = comparison.baseline, comparison.proposed
    lines = [f"{'#':>3}  {base.name + ' coherence':>22}  {'proposed':>9}  proposed title / {base.name} block", "-" * 96]
    for b, p in zip(base.sessions, prop.sessions, strict=True):
        lines.append(
            f"{b.index + 1:>3}  {b.coherence:>22.3f}  {p.coherence:>9.3f}  {p.title} / {b.place.name or b.title}"
        )
        lines.append(f"{'':>3}  {' '.join(b.item_ids):>22}  {' '.join(p.item_ids)}")
    lines.append("-" * 96)
    lines.append(f"mean coherence: {base.name} {base.coherence:.3f}, proposed {prop.coherence:.3f}")
    if comparison.improving_moves:
        lines.append(f"single changes that would improve the {base.name} program:")
        for f in comparison.improving_moves[:max_moves]:
            change = f"swap with {f.swap_with}" if f.swap_with else "move"
            lines.append(
                f"  {f.id} (session {f.session + 1}, fit {f.fit:+.3f}): {change} into session "
                f"{f.best_alternative + 1}, score +{f.gain:.4f}"
            )
    return "\n".join(lines)
