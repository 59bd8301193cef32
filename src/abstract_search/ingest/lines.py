"""The unit every book reader gives and the segmenter reads: a printed line with its layout.

A `Line` keeps its text, page, position and type (size, weight, italics) and the pieces it is
printed in (cells split at wide gaps, for tables); `join_lines` mends words hyphenated at line ends.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    """One printed line: its text, where it is and in which type (size 0 for plain text)."""

    text: str
    page: int
    top: float = 0.0
    x0: float = 0.0
    x1: float = 0.0
    bottom: float = 0.0
    size: float = 0.0
    bold: bool = False
    italic: bool = False
    font: str = ""
    cells: tuple[tuple[float, float, str], ...] = ()  # (x0, x1, text) pieces split at wide gaps

    @property
    def style(self) -> tuple[float, bool]:
        """Type size to the half point and weight: what repeats across a book's template."""
        return (round(self.size * 2) / 2, self.bold)


@dataclass
class Document:
    """A book as lines in reading order, plus what was dropped as page furniture."""

    source: str
    lines: list[Line]
    pages: int
    page_width: float = 0.0
    furniture: list[str] = field(default_factory=list)


def clean_text(text: str) -> str:
    """NFKC (ligatures, full-width forms) and ftfy's repair of mojibake, whitespace collapsed."""
    import ftfy

    text = ftfy.fix_text(text, normalization="NFKC", unescape_html=False, fix_latin_ligatures=True)
    return re.sub(r"\s+", " ", text).strip()


def join_lines(texts: list[str], vocabulary: Counter | None = None) -> str:
    """Joins wrapped lines into one text, mending words hyphenated at line ends.

    'neces-' + 'sity' becomes 'necessity'; 'HPV-' + 'independent' keeps its hyphen when the
    book prints 'HPV-independent' elsewhere in a line and never 'HPVindependent'.
    """
    out = ""
    for piece in texts:
        piece = piece.strip()
        if not piece:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and piece[:1].isalpha():
            head = re.findall(r"[\w-]+$", out[:-1])
            tail = re.match(r"[\w-]+", piece)
            joined_hyphen = f"{head[0] if head else ''}-{tail.group(0) if tail else ''}".lower()
            joined_plain = joined_hyphen.replace("-", "", 1)
            keep = piece[0].isupper() and not out[-2].isupper()
            if vocabulary is not None and vocabulary[joined_hyphen] > vocabulary[joined_plain]:
                keep = True
            out = out + piece if keep else out[:-1] + piece
        else:
            out = f"{out} {piece}" if out else piece
    return out


def word_counts(lines: list[Line]) -> Counter:
    """Lower-cased words (hyphenated ones whole) as printed inside lines: evidence for join_lines."""
    counts: Counter = Counter()
    for line in lines:
        words = re.findall(r"[\w]+(?:-[\w]+)*", line.text.lower())
        counts.update(words[:-1] if line.text.endswith("-") else words)
    return counts


def label_key(text: str) -> str:
    """A label's letters, lower-cased: 'Date / Time' -> 'datetime', 'Loca/on' -> 'locaon'."""
    return re.sub(r"[^a-z]", "", text.lower())


def same_label(key: str, known: str) -> bool:
    """Whether a label key names a known label, also when a broken font printed a ligature as one
    symbol ('locaon' for 'location'): equal, or a rapidfuzz ratio of 85 or more for names of five
    letters and more (shorter ones must be exact: 'id' is not 'ad')."""
    if key == known:
        return True
    from rapidfuzz.fuzz import ratio

    return len(known) >= 5 and ratio(key, known) >= 85
