"""Answer sentences: split abstracts into sentences and pick the ones that answer a query.

A sentence ends at . ! or ? followed by a space and a capital, digit or bracket, except after
abbreviations ("et al.", "Fig. 1", "e.g.", initials such as "A. N. Cormack"); decimals and
formulas (0.5, Na2O·SiO2) never contain a space after the dot, so they never split. Matching
words are returned as character spans of the snippet; `mark` renders them as «word» for a
terminal (the app renders the spans itself; nothing here emits HTML).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from abstract_search.search.lexical import token_spans

ABBREVIATIONS = frozenset(
    """al fig figs eq eqs ref refs e.g i.e etc vs cf ca approx resp no nos dr prof mr ms
    sect sec ch vol pp ed eds incl est dept univ inc ltd co corp jr sr st""".split()
)
_BOUNDARY_RE = re.compile(r"[.!?]+[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9αβγδ])|\n\s*\n")
SEPARATOR = " … "
MARK_OPEN, MARK_CLOSE = "«", "»"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, stripped of surrounding whitespace."""
    spans, start = [], 0
    for match in _BOUNDARY_RE.finditer(text):
        before = text[start : match.start() + 1]
        last_word = re.findall(r"([A-Za-z][A-Za-z.]*)\.?$", before.rstrip())
        word = last_word[0].rstrip(".").lower() if last_word else ""
        if (
            match.group().strip()
            and match.group()[0] == "."
            and (word in ABBREVIATIONS or (len(word) == 1 and before.rstrip()[-2:-1].isupper()))
        ):
            continue
        spans.append((start, match.start() + len(match.group().rstrip())))
        start = match.end()
    spans.append((start, len(text)))
    result = []
    for begin, end in spans:
        while begin < end and text[begin].isspace():
            begin += 1
        while end > begin and text[end - 1].isspace():
            end -= 1
        if end > begin:
            result.append((begin, end))
    return result


@dataclass(frozen=True)
class Snippet:
    """The answer sentences of one hit: plain text, spans of matched words, the words themselves."""

    text: str
    highlights: tuple[tuple[int, int], ...]
    matched_terms: tuple[str, ...]

    def marked(self) -> str:
        """The snippet with each matched word wrapped as «word»."""
        out, last = [], 0
        for start, end in self.highlights:
            out.append(self.text[last:start] + MARK_OPEN + self.text[start:end] + MARK_CLOSE)
            last = end
        return "".join(out) + self.text[last:]


def matched_spans(text: str, query_tokens: set[str]) -> list[tuple[int, int]]:
    """Spans of the words of `text` that share an index token with the query."""
    return [(s.start, s.end) for s in token_spans(text) if query_tokens.intersection(s.tokens)]


def sentence_scores(
    sentences: Sequence[str],
    query_tokens: set[str],
    idf: Mapping[str, float],
    sentence_vectors: np.ndarray | None = None,
    query_vector: np.ndarray | None = None,
    lexical_weight: float = 0.5,
) -> np.ndarray:
    """How well each sentence answers: cosine to the query plus the idf share of query terms it has."""
    total_idf = sum(idf.get(t, 0.0) for t in query_tokens) or 1.0
    lexical = np.array(
        [
            sum(idf.get(t, 0.0) for t in query_tokens.intersection(tok for s in token_spans(text) for tok in s.tokens))
            / total_idf
            for text in sentences
        ],
        dtype=np.float32,
    )
    if sentence_vectors is None or query_vector is None or len(sentence_vectors) == 0:
        return lexical
    return sentence_vectors @ query_vector + lexical_weight * lexical


def build_snippet(
    text: str,
    spans: Sequence[tuple[int, int]],
    scores: np.ndarray,
    query_tokens: set[str],
    max_sentences: int = 2,
    second_ratio: float = 0.85,
) -> Snippet:
    """The best sentence, plus the runner-up when it scores close, in reading order."""
    if not spans:
        return Snippet("", (), ())
    order = np.argsort(-scores, kind="stable")
    chosen = [int(order[0])]
    best = float(scores[order[0]])
    for row in order[1:max_sentences]:
        if best > 0 and float(scores[row]) >= second_ratio * best:
            chosen.append(int(row))
    pieces, highlights, terms, offset = [], [], [], 0
    for row in sorted(chosen):
        sentence = text[spans[row][0] : spans[row][1]]
        if pieces:
            offset += len(SEPARATOR)
        for start, end in matched_spans(sentence, query_tokens):
            highlights.append((offset + start, offset + end))
            terms.append(sentence[start:end])
        pieces.append(sentence)
        offset += len(sentence)
    return Snippet(SEPARATOR.join(pieces), tuple(highlights), tuple(dict.fromkeys(terms)))
