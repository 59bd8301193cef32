"""Cutting a book's lines into entries by the template its pages repeat.

An abstract book is one template printed many times. The body type is the style that
holds most of the text; the title role is the largest style (bold breaking ties) whose
blocks repeat about as often as the most frequent heading style. Each title block starts
an entry, together with the short lines just above it on its page (a presenter, an id, a
session heading). Rarer heading styles are section headings: they give the entries below
them a session, a day or a time slot. Contents pages (dot leaders) and author indexes are
skipped, and every page that became no entry is reported with its reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from abstract_search.ingest.entry import (
    CODE_LINE,
    DOT_LEADER,
    INDEX_LINE,
    SEPARATOR,
    TIME_LINE,
    Entry,
    Sections,
    is_headingish,
    is_prose,
    is_section_line,
    label_of,
    parse_entry,
)
from abstract_search.ingest.lines import Document, Line, word_counts
from abstract_search.ingest.people import is_name_like


@dataclass
class Segmentation:
    entries: list[Entry]
    skipped: list[str]  # pages or regions that became no entry, with the reason
    body_style: tuple[float, bool]
    title_style: tuple[float, bool] | None


def skipped_pages(doc: Document) -> dict[int, str]:
    """Contents pages (dot leaders) and index pages (names with page lists): no entries there."""
    by_page: dict[int, list[Line]] = {}
    for line in doc.lines:
        by_page.setdefault(line.page, []).append(line)
    reasons = {}
    for page, lines in by_page.items():
        leaders = sum(bool(DOT_LEADER.search(line.text)) for line in lines)
        index = sum(bool(INDEX_LINE.match(line.text)) for line in lines)
        if leaders >= max(3, 0.25 * len(lines)):
            reasons[page] = "contents (dot leaders and page numbers)"
        elif index >= max(5, 0.5 * len(lines)):
            reasons[page] = "index (names with page numbers)"
    return reasons


def learn_template(lines: list[Line]) -> tuple[tuple[float, bool], tuple[float, bool] | None, Counter]:
    """The body style, the title style and how many blocks each heading style has."""
    weight: Counter = Counter()
    for line in lines:
        weight[line.style] += len(line.text)
    body = weight.most_common(1)[0][0] if weight else (0.0, False)
    blocks: Counter = Counter()
    previous = None
    for line in lines:
        style = line.style if is_headingish(line, body) else None
        if style is not None and style != previous:
            blocks[style] += 1
        previous = style
    if not blocks:
        return body, None, blocks
    most = max(blocks.values())
    frequent = [s for s, n in blocks.items() if n >= max(2, 0.6 * most)]
    return body, max(frequent, key=lambda s: (s[0], s[1])), blocks


def _entry_starts(lines: list[Line], body, title_style) -> list[tuple[int, int]]:
    """(first line, title line) of each entry: a title block plus the short lines above it."""
    starts = []
    for i, line in enumerate(lines):
        if not _is_title_line(lines, i, body, title_style):
            continue
        if i > 0 and lines[i - 1].style == line.style and _is_title_line(lines, i - 1, body, title_style):
            continue  # the title's second line
        first = i
        floor = starts[-1][1] + 1 if starts else 0
        while first - 1 >= floor and i - first < 6:
            above = lines[first - 1]
            if above.page != line.page or not _fits_above_title(above, body):
                break
            first -= 1
        starts.append((first, i))
    return starts


def _fits_above_title(line: Line, body) -> bool:
    """What books print just above a title: a label, a heading, a name, a code ('P-12'), a time."""
    if SEPARATOR.match(line.text):
        return False
    text = line.text.strip()
    return (
        bool(label_of(text))
        or (is_headingish(line, body) and is_section_line(line))
        or is_name_like(text)
        or bool(CODE_LINE.match(text) or TIME_LINE.match(text))
    )


def _is_title_line(lines: list[Line], i: int, body, title_style) -> bool:
    """A line in the title style, or a heading-like block right above a labelled presenter/author field."""
    line = lines[i]
    if not is_headingish(line, body):
        return False
    if line.style == title_style:
        return True
    j = i
    while j + 1 < len(lines) and lines[j + 1].style == line.style and is_headingish(lines[j + 1], body):
        j += 1
    following = label_of(lines[j + 1].text) if j + 1 < len(lines) else None
    return bool(following) and following[0] in ("presenter", "authors")


def segment(doc: Document) -> Segmentation:
    """Cuts a document into entries and reports what became no entry."""
    skip = skipped_pages(doc)
    lines = [line for line in doc.lines if line.page not in skip]
    body, title_style, blocks = learn_template(lines)
    prose = [line for line in lines if is_prose(line, body)]
    body_italic = sum(line.italic for line in prose) * 2 > len(prose)
    skipped = [f"p. {page}: {reason}" for page, reason in sorted(skip.items())]
    if title_style is None:
        return Segmentation([], skipped + ["no repeated title style: no entries found"], body, None)
    vocabulary = word_counts(doc.lines)
    # Section headings: heading styles rarer than the title (per-entry styles, such as a
    # presenter line printed above every title, repeat as often as the title does).
    rare = {s for s, n in blocks.items() if s != title_style and n < 0.6 * blocks[title_style]}
    starts = _entry_starts(lines, body, title_style)
    entries, context = [], Sections(body_italic=body_italic)
    if starts and starts[0][0] > 0:
        pages = sorted({line.page for line in lines[: starts[0][0]]})
        skipped.append(f"{_page_span(pages)}: front matter (before the first entry title)")
    for k, (first, title_at) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        chunk = lines[first:end]
        entry = parse_entry(chunk, title_at - first, body, title_style, rare, vocabulary, context)
        entries.append(entry)
        for table in entry.tables:
            entries += table
    used = {p for e in entries for p in range(e.pages[0], e.pages[1] + 1)}
    empty = sorted({line.page for line in doc.lines} - used - set(skip))
    blank = sorted(set(range(1, doc.pages + 1)) - {line.page for line in doc.lines})
    if empty:
        skipped.append(f"{_page_span(empty)}: no entry on these pages")
    if blank:
        skipped.append(f"{_page_span(blank)}: blank (no text besides page furniture)")
    return Segmentation(entries, skipped, body, title_style)


def _page_span(pages: list[int]) -> str:
    if not pages:
        return "p. -"
    if len(pages) == 1:
        return f"p. {pages[0]}"
    if pages == list(range(pages[0], pages[-1] + 1)):
        return f"pp. {pages[0]}-{pages[-1]}"
    return "pp. " + ", ".join(map(str, pages))
