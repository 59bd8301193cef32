"""People: whether a line is only names ('Jane Doe & Doe J.'), and the names in a speaker cell.

A name is told by its shape (capitalised words, initials, particles), never by a list of
people; the words that head sessions or breaks are never part of a name, so they live here
and the line shapes reuse them.
"""

from __future__ import annotations

import re
from functools import lru_cache

PARTICLES = {"de", "da", "van", "der", "von", "den", "del", "di", "la", "le", "du", "dos", "zu", "ter", "bin"}
_FUNCTION = {"the", "of", "for", "and", "in", "on", "at", "to", "with", "from", "by", "a", "an", "or", "via", "new"}
_SESSION_WORDS = (
    r"sessions?|posters?|talks?|oral|lectures?|key\s?notes?|plenary|symposium|minisymposium|presentations?"
    r"|seminar|colloquium|workshop|tutorial|panel|track|forum|flash|speakers?"
)
# the words of session and break headings, which are never part of a name (shapes.py reads headings by them)
SERVICE = re.compile(
    r"\b(break|coffee|lunch|dinner|breakfast|registration|opening|welcome|closing|awards?|reception|banquet"
    r"|get[- ]together|excursion|social|farewell|departure|arrival)\b",
    re.I,
)
SESSION = re.compile(rf"\b({_SESSION_WORDS})\b", re.I)
_ROMAN = re.compile(r"^(?:I{1,3}|IV|VI{0,3}|IX|X{1,2})$")
INITIALS = re.compile(r"^(?:[A-Z]\.-?){1,3}[A-Z]?$|^[A-Z]$")
_HONORIFIC = re.compile(r"^(?:prof|dr|mr|mrs|ms|mag|dipl|univ|priv|doz|ing|phd|md|msc|bsc)\.?,?$", re.I)


def _is_name(text: str) -> bool:
    """A person's name in any order: 'Jane Doe', 'Doe J.', 'J. A. Doe', 'Grgic-Mustafic R.', 'DOE Jane'."""
    tokens = [t for t in text.split() if not _HONORIFIC.match(t)]
    core = [t for t in tokens if t not in PARTICLES]
    if not 2 <= len(core) <= 5 or (_ROMAN.match(core[-1]) and not core[-1].endswith(".")):
        return False
    words = 0
    for token in core:
        if INITIALS.match(token):
            continue
        bare = token.rstrip(".")
        if not (bare[:1].isupper() and re.fullmatch(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", bare)):
            return False
        if bare.lower() in _FUNCTION or SESSION.fullmatch(bare) or SERVICE.fullmatch(bare):
            return False
        words += len(bare) >= 2
    return words >= 1


@lru_cache(maxsize=8192)
def split_names(text: str) -> tuple[str, ...]:
    """The names in a line that is only names ('Sylvie Briand (WHO) & Kerstin Meyer'), else ()."""
    text = re.sub(r"\([^)]*\)", " ", text).strip().rstrip(";,")
    parts = [p.strip() for p in re.split(r"\s*(?:[,;&/]|\band\b|\bund\b)\s*", text) if p.strip()]
    parts = [re.sub(r"(?<=[^\W\d_])\s+[-–]\s+(?=[A-Z])", "-", p) for p in parts]  # 'Lederer – Hutsteiner T.'
    parts = [" ".join(t for t in p.split() if not _HONORIFIC.match(t)) for p in parts]
    if not parts or len(parts) > 60 or not all(_is_name(p) for p in parts):
        return ()
    return tuple(parts)


def split_speaker_cell(text: str) -> tuple[str, ...]:
    """A table's speaker cell: names split on ';', '&', 'and', and on commas unless 'Doe, Jane'."""
    names = split_names(text)
    if names:
        return names
    text = re.sub(r"\([^)]*\)", " ", text)
    parts = [p.strip() for p in re.split(r"\s*(?:;|&|\band\b)\s*", text) if p.strip()]
    return tuple(" ".join(p.split()) for p in parts)
