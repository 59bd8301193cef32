"""People in an entry's lines: a printed name, an author list, an affiliation line.

Shapes any book shows (capitalised words with name particles, affiliation markers after names,
an institution's words, numbered or italic lines under the authors), never one book's names.
`entry.py` uses them to read an entry's head and to choose its presenter.
"""

from __future__ import annotations

import re

from abstract_search.ingest.lines import Line

PARTICLES = {"de", "van", "von", "da", "der", "di", "la", "le", "du", "del", "dos", "den", "ten", "y"}


AFFILIATION = re.compile(
    r"\b(Department|Dept\.|Division|Universit\w*|Univ\.|Institut\w*|Laborator\w*|School|Faculty|"
    r"Cent(er|re)|College|Academy|Hospital|Clinic\w*|Inc\.|Ltd|GmbH|Corporation|Research)\b"
)


def is_name_like(text: str) -> bool:
    """'Zach David', 'J. van der Berg': a few capitalised words, no sentence, no numbers."""
    plain = re.sub(r"<[^>]*>", "", text).strip()
    words = plain.replace(",", " ").split()
    if (
        not 1 <= len(words) <= 6
        or re.search(r"\d{2,}", plain)
        or re.search(r"[.!?;:]$", plain[:-1] + plain[-1:])
        and not re.search(r"\b[A-Z]\.$", plain)
    ):
        return False
    return all(w[:1].isupper() or w.lower() in PARTICLES for w in words)


def is_author_line(text: str) -> bool:
    """Names separated by commas/and, with affiliation markers (digits, *, †) and no sentence."""
    parts = split_people(text)
    if not parts or len(text.split()) > 60 or AFFILIATION.search(text):
        return False
    namelike = [
        p for p in parts if 1 <= len(p.split()) <= 5 and all(w[:1].isupper() or w in PARTICLES for w in p.split())
    ]
    return len(namelike) >= max(1, 0.7 * len(parts)) and (len(parts) > 1 or len(parts[0].split()) <= 4)


def split_people(text: str) -> list[str]:
    """'David Zach1, Ursula Reiter2,3 and Jo Li*' -> ['David Zach', 'Ursula Reiter', 'Jo Li']."""
    cleaned = re.sub(r"(?<=[A-Za-z.)])(\s?[\d*†‡§¶#^]+(,[\d*†‡§¶#^]+)*)(?=\s*(,|;|\band\b|&|$|\s))", "", text)
    parts = re.split(r"\s*(?:,|;|\band\b|&)\s*", cleaned)
    return [
        p.strip(" .*") if not re.search(r"\b[A-Z]\.$", p.strip()) else p.strip(" *") for p in parts if p.strip(" .*")
    ]


def is_affiliation_line(line: Line, body_italic: bool) -> bool:
    """Below the authors: an institution's words, a numbered line, or italics where the body is upright."""
    if AFFILIATION.search(line.text) or re.match(r"^\d{1,2}\s?[A-Z]", line.text):
        return True
    return line.italic and not body_italic and len(line.text.split()) <= 30


def name_words(name: str) -> list[str]:
    """A name's words, lower-cased, hyphens and dots as spaces: 'Cosic-Mujkanovic N.' -> cosic, mujkanovic, n."""
    plain = re.sub(r"<[^>]*>|\?", "", name.lower())  # codes a broken font printed in place of letters
    return [w for w in re.split(r"[\s,.\-]+", plain) if w]
