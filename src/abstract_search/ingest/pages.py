"""What a page's layout means beyond its lines: columns and page furniture.

Two-column pages are put in reading order at the gutter no printed piece crosses; running
headers, footers and page numbers are found by repetition near the page edges, never by words.
"""

from __future__ import annotations

import re

from abstract_search.ingest.lines import Line

FURNITURE_MARGIN = 0.14  # fraction of the page height at the top and bottom where furniture lives


PAGE_NUMBER = re.compile(r"^(page\s*)?[-–—]?\s*[ivxlc\d]{1,4}\s*[-–—]?(\s*(/|of)\s*\d+)?$", re.I)


def order_columns(lines: list[Line], width: float) -> list[Line]:
    """Two-column pages read left column then right, band by band between full-width lines."""
    gutter = find_gutter(lines, width)
    if gutter is None:
        return lines
    lines = [part for line in lines for part in _split_line(line, gutter)]
    ordered, band = [], []
    for line in sorted(lines, key=lambda item: item.top):
        if line.x0 < gutter < line.x1:  # spans the gutter: closes a band
            ordered += _band_order(band, gutter) + [line]
            band = []
        else:
            band.append(line)
    return ordered + _band_order(band, gutter)


def find_gutter(lines: list[Line], width: float) -> float | None:
    """The x of a column gutter: no printed piece crosses it, and many lines have text on both sides."""
    pieces = [cell for line in lines for cell in (line.cells or ((line.x0, line.x1, line.text),))]
    best, best_count = None, 0
    for step in range(36, 65):
        x = width * step / 100
        if any(c[0] < x < c[1] for c in pieces):
            continue
        left = sum(1 for line in lines if line.x1 <= x)
        right = sum(1 for line in lines if line.x0 >= x)
        both = sum(1 for line in lines if line.x0 < x < line.x1)
        count = min(left + both, right + both)
        if count > best_count:
            best, best_count = x, count
    return best if best_count >= max(5, 0.25 * len(lines)) else None


def _split_line(line: Line, gutter: float) -> list[Line]:
    if not (line.x0 < gutter < line.x1) or not line.cells:
        return [line]
    parts = [[c for c in line.cells if c[1] <= gutter], [c for c in line.cells if c[0] >= gutter]]
    return [
        Line(
            text=" ".join(c[2] for c in cells),
            page=line.page,
            top=line.top,
            bottom=line.bottom,
            x0=cells[0][0],
            x1=cells[-1][1],
            size=line.size,
            bold=line.bold,
            italic=line.italic,
            font=line.font,
            cells=tuple(cells),
        )
        for cells in parts
        if cells
    ]


def _band_order(band: list[Line], gutter: float) -> list[Line]:
    return sorted(band, key=lambda line: (line.x0 >= gutter, line.top))


def drop_furniture(lines: list[Line], heights: dict[int, float]) -> tuple[list[Line], list[str]]:
    """Drops running headers/footers (the same text near the same edge on many pages) and page numbers."""

    def shape(line: Line) -> str:
        """The text with its page's own number blanked: 'Page 12 of 64' repeats as 'Page # of 64'."""
        return re.sub(rf"(?<!\d){line.page}(?!\d)", "#", line.text.lower())

    def in_margin(line: Line) -> bool:
        height = heights.get(line.page) or 1.0
        return line.top < FURNITURE_MARGIN * height or line.bottom > (1 - FURNITURE_MARGIN) * height

    pages_of: dict[str, set[int]] = {}
    for line in lines:
        if in_margin(line):
            pages_of.setdefault(shape(line), set()).add(line.page)
    # Three pages suffice: a section's running header repeats on its own pages only.
    repeated = {s for s, pages in pages_of.items() if len(pages) >= 3}
    kept, dropped, seen = [], [], set()
    for line in lines:
        number = in_margin(line) and PAGE_NUMBER.match(line.text)
        if number or (in_margin(line) and shape(line) in repeated):
            key = "page number" if number else line.text
            if key not in seen:
                seen.add(key)
                dropped.append("page numbers" if number else f"running header/footer {line.text[:70]!r}")
            continue
        kept.append(line)
    return kept, dropped
