"""Matching abstract bodies to program entries by their content.

A surviving title block decides by itself. Otherwise each body is compared with every
program title twice, semantically (embedding cosine) and lexically (TF-IDF cosine), plus
whether a speaker's surname appears in the body or its references; the scores are
standardised per body and the bodies are assigned to entries as one linear assignment
problem, so no body serves two talks. Near-identical bodies are detected first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from abstract_search.ingest.book import Body, ProgramEntry

TITLE_BLOCK_MIN = 0.8  # title-block similarity that decides a match on its own
CONTENT_MIN = 1.5  # combined standardised score below which a body stays unmatched
DUPLICATE_MIN = 0.5
# A speaker's surname in a body or its references (authors cite their own work) counts as much
# as a clear lexical winner (about three standard deviations above the other titles).
NAME_WEIGHT = 3.0  # word 4-gram Jaccard above which two bodies are the same abstract


@dataclass(frozen=True)
class Match:
    """Where one body went, how, and how sure we are."""

    body: int
    entry: int | None
    method: str  # title block | content | duplicate | unmatched
    confidence: float
    score: float = 0.0
    runner_up: int | None = None
    duplicate_of: int | None = None


def _normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def title_similarity(a: str, b: str) -> float:
    from rapidfuzz.fuzz import ratio

    return ratio(_normalise(a), _normalise(b)) / 100 if a and b else 0.0


def _shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(max(len(words) - n + 1, 0))}


def find_duplicates(bodies: Sequence[Body]) -> dict[int, int]:
    """Maps each duplicate body to the copy that is kept (the one with a title block, else the first)."""
    shingles = [_shingles(b.text) for b in bodies]
    duplicate_of: dict[int, int] = {}
    for j in range(len(bodies)):
        for i in range(j):
            if i in duplicate_of or not shingles[i] or not shingles[j]:
                continue
            jaccard = len(shingles[i] & shingles[j]) / len(shingles[i] | shingles[j])
            if jaccard >= DUPLICATE_MIN:
                keep, drop = (j, i) if bodies[j].head_title and not bodies[i].head_title else (i, j)
                duplicate_of[drop] = keep
                break
    return duplicate_of


def _zscore_rows(matrix: np.ndarray) -> np.ndarray:
    mean = matrix.mean(axis=1, keepdims=True)
    std = matrix.std(axis=1, keepdims=True)
    std[std == 0] = 1.0
    return (matrix - mean) / std


def _surname_hits(bodies: Sequence[Body], entries: Sequence[ProgramEntry]) -> np.ndarray:
    hits = np.zeros((len(bodies), len(entries)))
    for i, body in enumerate(bodies):
        text = " ".join([body.text, *body.references, *body.head_lines])
        for j, entry in enumerate(entries):
            surnames = [s.split()[-1] for s in entry.speakers if s.split() and len(s.split()[-1]) >= 3]
            if any(re.search(rf"\b{re.escape(name)}\b", text) for name in surnames):
                hits[i, j] = 1.0
    return hits


def content_scores(bodies: Sequence[Body], entries: Sequence[ProgramEntry], embedder) -> np.ndarray:
    """Standardised semantic + lexical similarity of each body to each entry, plus name evidence."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    body_texts = [b.text or b.head_title for b in bodies]
    titles = [e.title for e in entries]
    semantic = embedder.encode(body_texts) @ embedder.encode(titles).T
    from abstract_search.search.lexical import tokenize  # the search stage's words: 'nanowires' meets 'nanowire'

    tfidf = TfidfVectorizer(sublinear_tf=True, analyzer=tokenize).fit(body_texts + titles)
    lexical = (tfidf.transform(body_texts) @ tfidf.transform(titles).T).toarray()
    return _zscore_rows(semantic) + _zscore_rows(lexical) + NAME_WEIGHT * _surname_hits(bodies, entries)


def match_bodies(bodies: Sequence[Body], entries: Sequence[ProgramEntry], embedder) -> list[Match]:
    """Assigns every body to at most one entry and every entry to at most one body."""
    from scipy.optimize import linear_sum_assignment

    duplicate_of = find_duplicates(bodies)
    unique = [b for b in bodies if b.index not in duplicate_of]
    if not unique or not entries:
        return [Match(b.index, None, "unmatched", 0.0) for b in bodies]
    scores = content_scores(unique, entries, embedder)
    titles = np.array([[title_similarity(b.head_title, e.title) for e in entries] for b in unique])
    decisive = titles >= TITLE_BLOCK_MIN
    combined = scores + 10.0 * decisive
    rows, cols = linear_sum_assignment(-combined)
    matches: dict[int, Match] = {}
    for r, c in zip(rows, cols, strict=True):
        body = unique[r]
        order = np.argsort(-combined[r])
        runner_up = int(order[1] if order[0] == c else order[0]) if len(order) > 1 else None
        if decisive[r, c]:
            matches[body.index] = Match(
                body.index, int(c), "title block", float(titles[r, c]), float(combined[r, c]), runner_up
            )
        elif scores[r, c] >= CONTENT_MIN:
            weights = np.exp(scores[r] - scores[r].max())
            confidence = float(weights[c] / weights.sum())
            matches[body.index] = Match(body.index, int(c), "content", confidence, float(scores[r, c]), runner_up)
    for body in bodies:
        if body.index in duplicate_of:
            kept = matches.get(duplicate_of[body.index])
            matches[body.index] = Match(
                body.index, kept.entry if kept else None, "duplicate", 1.0, duplicate_of=duplicate_of[body.index]
            )
        elif body.index not in matches:
            matches[body.index] = Match(body.index, None, "unmatched", 0.0)
    return [matches[b.index] for b in bodies]
