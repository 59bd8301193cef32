"""Joining program items to the book's entries by content: title similarity and speaker surnames.

Matching is one linear assignment over pair scores, so an item never goes to an entry by
its position, and a speaker alone decides only when nothing else can.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from abstract_search.ingest.program.model import ProgramItem, ProgramMatch
from abstract_search.ingest.program.names import PARTICLES

TITLE_MIN = 0.85  # title similarity that matches on its own: typos and broken glyphs stay above, other talks far below
TITLE_WITH_SPEAKER_MIN = 0.55  # a reworded title still matches when a speaker agrees too
SPEAKER_SCORE = 0.5  # the score of a speaker-only match (no title to compare), and the bonus a speaker adds
SURNAME_FUZZ = 85  # surnames of 5+ letters this similar (rapidfuzz ratio) are equal: prints drop or garble letters


def normalise_title(text: str) -> str:
    """NFKC, lower case, every run of non-alphanumerics a single space."""
    import unicodedata

    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).lower()).split())


def _name_keys(name: str) -> dict[str, set[str]]:
    """Each word that could be the surname, with the initials of the rest ('Doe J.' and 'Jane Doe' share doe->{j})."""
    import unicodedata

    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).lower()
    tokens = [t for t in re.split(r"[\s.]+", re.sub(r"[^a-z\s.\-']", "", folded)) if t and t not in PARTICLES]
    keys: dict[str, set[str]] = {}
    for i, token in enumerate(tokens):
        if len(token.replace("-", "")) < 2:
            continue
        rest = {t[0] for j, t in enumerate(tokens) if j != i}
        for key in {token.replace("-", ""), *(p for p in token.split("-") if len(p) >= 3)}:
            keys.setdefault(key, set()).update(rest)
    return keys


def _speaker_hits(names: Sequence[str], index: dict[str, list[tuple[int, set[str]]]]) -> set[int]:
    """Entries with a speaker whose surname equals one of `names` and whose first initial agrees."""
    from rapidfuzz import fuzz, process

    hits: set[int] = set()
    for name in names:
        for key, initials in _name_keys(name).items():
            similar = [key] if len(key) < 5 else [k for k, _, _ in process.extract(
                key, list(index), scorer=fuzz.ratio, score_cutoff=SURNAME_FUZZ, limit=None)]  # fmt: skip
            for other in similar:
                for entry, theirs in index.get(other, ()):
                    if not initials or not theirs or initials & theirs:
                        hits.add(entry)
    return hits


def match_program(entries: Sequence[tuple[str, tuple[str, ...]]], items: Sequence[ProgramItem]) -> list[ProgramMatch]:
    """Attaches each program item to at most one book entry by title and speaker, as one linear assignment.

    Pair scores: title similarity t (rapidfuzz ratio on normalised titles) when t >= TITLE_MIN,
    plus SPEAKER_SCORE when a speaker agrees; t + SPEAKER_SCORE when t >= TITLE_WITH_SPEAKER_MIN
    and a speaker agrees; SPEAKER_SCORE alone for an item without a title, and only when its
    speaker fits exactly one entry not already claimed by a title. Everything else is 0 and
    never kept, so nothing is matched by position.
    """
    import numpy as np
    from rapidfuzz import fuzz, process
    from scipy.optimize import linear_sum_assignment

    if not items or not entries:
        return [ProgramMatch(i, None, 0.0, "unmatched") for i in range(len(items))]
    item_titles = [normalise_title(it.title) for it in items]
    entry_titles = [normalise_title(title) for title, _ in entries]
    titles = process.cdist(item_titles, entry_titles, scorer=fuzz.ratio, dtype=np.float32) / 100.0
    titles[[not t for t in item_titles], :] = 0
    titles[:, [not t for t in entry_titles]] = 0
    index: dict[str, list[tuple[int, set[str]]]] = {}
    for e, (_, speakers) in enumerate(entries):
        for speaker in speakers:
            for key, initials in _name_keys(speaker).items():
                index.setdefault(key, []).append((e, initials))
    claimed = set(np.flatnonzero((titles >= TITLE_MIN).any(axis=0)))
    score = np.zeros_like(titles)
    speaker = np.zeros(titles.shape, dtype=bool)
    for i, item in enumerate(items):
        hits = _speaker_hits(item.speakers, index)
        speaker[i, list(hits)] = True
        t = titles[i]
        keep = (t >= TITLE_MIN) | ((t >= TITLE_WITH_SPEAKER_MIN) & speaker[i])
        score[i] = np.where(keep, t + SPEAKER_SCORE * speaker[i], 0.0)
        free = hits - claimed
        if len(free) == 1:
            (e,) = free
            if not item_titles[i] or not entry_titles[e]:  # no two titles to compare: the speaker decides
                score[i, e] = max(score[i, e], SPEAKER_SCORE)
    rows, cols = linear_sum_assignment(-score)
    chosen = {int(i): int(e) for i, e in zip(rows, cols, strict=True) if score[i, e] > 0}
    out = []
    for i in range(len(items)):
        e = chosen.get(i)
        if e is None:
            out.append(ProgramMatch(i, None, 0.0, "unmatched"))
            continue
        t, s = float(titles[i, e]), bool(speaker[i, e])
        method = "speaker" if t < TITLE_WITH_SPEAKER_MIN else ("title+speaker" if s else "title")
        out.append(ProgramMatch(i, e, round(float(score[i, e]), 3), method))
    return out
