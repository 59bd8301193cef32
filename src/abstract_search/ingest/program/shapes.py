"""What one line or cell is: a session heading, a room, a break, a 'Label: value', a talk, a title.

These tests look only at the text itself, with no state, so the free-text builder and the
table reader classify lines by the same rules.
"""

from __future__ import annotations

import re
from functools import lru_cache

from abstract_search.ingest.lines import same_label
from abstract_search.ingest.program.names import INITIALS, SERVICE, SESSION, split_names
from abstract_search.ingest.program.when import time_match

_CODE = re.compile(r"^[A-Z0-9]+(?:[-_][A-Z0-9]+)+-?$")
_PLACEHOLDER = re.compile(
    r"^(?:tba|tbd|tbc|n/?a|to be (?:announced|confirmed|determined)|x{3,}|\[[^\]]*\]|\{[^}]*\}|<[^>]*>|lorem ipsum.*)$",
    re.I,
)
_TALK_SEP = re.compile(r"\s+[-–—]\s+|\s[–—]|[–—]\s|:\s+")
QUOTES = "\"'“”„‟«»‘’"
_LABELS = {
    "chair": ("chair", "chairs", "chairperson", "chairpersons", "judge", "judges", "jury", "moderator", "moderators",
              "convener", "conveners", "organiser", "organisers", "organizer", "organizers", "host", "hosts"),
    "speakers": ("speaker", "speakers", "presenter", "presenters", "author", "authors", "presentedby",
                 "presentingauthor"),
    "title": ("title", "talktitle", "postertitle"),
    "room": ("room", "location", "venue", "place", "hall"),
    "when": ("date", "time", "datetime", "when"),
    "session": ("session", "track"),
}  # fmt: skip


@lru_cache(maxsize=8192)
def split_label(text: str) -> tuple[str, str]:
    """('speakers', 'Jane Doe') from 'Presenter: Jane Doe'; labels garbled by a PDF font ('Loca/on') still count."""
    m = re.match(r"^([^\W\d_](?:[^\W\d_]|[ /()-]){0,24}?)\s*:\s*(.*)$", text)
    if not m:
        return "", text
    key = re.sub(r"[^a-z]", "", m[1].lower())
    for name, aliases in _LABELS.items():
        if any(same_label(key, a) for a in aliases):
            return name, m[2].strip()
    return "", text


def clean_title(text: str) -> str:
    text = " ".join(text.split()).strip(QUOTES + " ,;–—-")
    return "" if is_placeholder(text) else text


def is_placeholder(text: str) -> bool:
    """Template stand-ins ('MON-PLEN-1-TITLE', 'TBA', '[Speaker]') that name no real talk."""
    tokens = [t for t in text.split() if not re.fullmatch(r"\d{1,2}[:.h]\d{2}", t)]
    return bool(_PLACEHOLDER.match(text.strip()) or (tokens and all(_CODE.match(t) for t in tokens)))


def leading_time(text: str) -> tuple[re.Match, str, str] | None:
    found = time_match(text)
    if found and re.fullmatch(r"(?:from|at|since|ab|starting)?\s*", text[: found[0].start()], re.I):
        return found
    return None


def title_like(text: str) -> bool:
    """Could this next line be the title of a speaker named just above it?"""
    return bool(text) and not (split_names(text) or leading_time(text) or split_label(text)[0] or is_heading(text))


def speakers_line(text: str) -> bool:
    return 0 < len(split_names(text)) < 2 or split_label(text)[0] == "speakers"


def session_kind(heading: str) -> str:
    """'poster', 'keynote' or 'talk' from the words of a heading, '' when it has none of them."""
    if re.search(r"\bposters?\b", heading, re.I):
        return "poster"
    if re.search(r"\b(key\s?notes?|plenary|plenaries)\b", heading, re.I):
        return "keynote"
    return "talk" if SESSION.search(heading) else ""


def is_service(text: str) -> bool:
    """A break, meal or ceremony heading ('Lunch Break', 'Opening and Welcome Note'); an 'Opening Keynote' is a talk."""
    return (
        bool(SERVICE.search(text))
        and len(text.split()) <= 8
        and session_kind(text) != "keynote"
        and not split_names(text)
        and not split_talk(text)
    )


def is_heading(text: str) -> bool:
    return (
        text[:1] not in QUOTES
        and bool(SESSION.search(text))
        and len(text.split()) <= 12
        and not text.endswith(".")
        and not split_names(text)
    )


ROOM = re.compile(r"\b(room|hall|auditorium|aula|theat(?:re|er)|salle|saal|h[öo]rsaal|foyer|lobby)\b", re.I)


def is_room(text: str) -> bool:
    if ROOM.search(text):
        return len(text.split()) <= 5
    return len(text) <= 12 and " " not in text and bool(re.search(r"\d|^[A-Z]{2,}$", text))


def split_talk(text: str) -> tuple[tuple[str, ...], str] | None:
    """Speakers and title from 'Jane Doe – A title' or 'A title - Jane Doe'."""
    for m in _TALK_SEP.finditer(text):
        left, right = text[: m.start()].strip(), text[m.end() :].strip()
        if not left or not right:
            continue
        names, right_names = split_names(left), split_names(right)
        if names and not right_names:
            return names, clean_title(right)
        if right_names and not names and not is_heading(left) and m.group(0).strip() != ":":
            return right_names, clean_title(left)
    for m in re.finditer(r",\s+", text):  # 'A title, Doe J.': only names with initials, 'Biology, Cell Science' is none
        names = split_names(text[m.end() :])
        if names and any(INITIALS.match(t) for n in names for t in n.split()) and not split_names(text[: m.start()]):
            return names, clean_title(text[: m.start()])
    return None
