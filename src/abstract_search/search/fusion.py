"""Hybrid ranking: BM25 and dense scores fused, filters, and the `Hit` every caller receives.

Fusion is a convex combination of z-scored BM25 and cosine scores over the union of each
retriever's top candidates: on SciFact (train split) this beat min-max normalisation and
reciprocal-rank fusion at any k (see benchmarks/retrieval_scifact.py). A z-score keeps a lone
exact match (a speaker's name, a formula) far above the crowd, which is what lexical search is
for, while dense similarity carries paraphrases. Everything here works on NumPy arrays.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from abstract_search.records import Abstract, CorpusError

MAX_QUERY_CHARS = 1000


class QueryError(CorpusError):
    """A query that cannot be searched (empty, only whitespace)."""


class FilterError(CorpusError):
    """A filter value no record has; the message lists the valid values."""


@dataclass(frozen=True)
class FusionConfig:
    """How BM25 and dense rankings are combined (method: zscore, minmax or rrf).

    `dense_spread_floor` keeps a query the model cannot tell documents apart for (a name, an
    acronym: every cosine within a few hundredths) from having that noise blown up to full-size
    z-scores. The method, weight and floor are chosen on SciFact train only: the grid that
    benchmarks/retrieval_scifact.py prints (`train_fusion_grid_ndcg@10`); the workshop queries and
    SciFact test are only reported.
    """

    method: str = "zscore"
    dense_weight: float = 0.6
    candidates: int = 1000
    rrf_k: int = 60
    sentence_weight: float = 0.0
    dense_spread_floor: float = 0.1


@dataclass(frozen=True)
class Scores:
    """Why a hit ranks where it does: raw BM25, cosine, and the fused score it is sorted by."""

    lexical: float
    dense: float
    fused: float


@dataclass(frozen=True)
class Hit:
    """One search result, with its answer snippet (plain text plus spans of the matched words)."""

    id: str
    title: str
    speakers: tuple[str, ...]
    kind: str
    score: float
    scores: Scores
    snippet: str = ""
    highlights: tuple[tuple[int, int], ...] = ()
    matched_terms: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    date: str = ""
    session: str = ""
    rank: int = 0
    extra: tuple[tuple[str, str], ...] = ()  # the record's extra table columns

    def marked_snippet(self) -> str:
        """The snippet with matched words as «word» (for terminals; the app renders spans)."""
        from abstract_search.search.snippets import Snippet

        return Snippet(self.snippet, self.highlights, self.matched_terms).marked()

    def to_json(self) -> dict:
        data = asdict(self)
        data["speakers"] = list(self.speakers)
        data["affiliations"] = list(self.affiliations)
        data["matched_terms"] = list(self.matched_terms)
        data["highlights"] = [list(span) for span in self.highlights]
        data["extra"] = dict(self.extra)
        data["snippet_marked"] = self.marked_snippet()
        return data


def prepare_query(text: str, max_chars: int = MAX_QUERY_CHARS) -> tuple[str, bool]:
    """The query to search and whether it was truncated; an empty query is a QueryError."""
    text = " ".join(str(text).split())
    if not text:
        raise QueryError("the query is empty; type some words to search for")
    if len(text) <= max_chars:
        return text, False
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars], True


# --- fusion arithmetic ----------------------------------------------------------------------


def zscore(values: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Standard scores; `floor` bounds the spread from below, so near-equal values stay near 0."""
    values = np.asarray(values, dtype=np.float64)
    spread = max(float(values.std()) if len(values) else 0.0, floor)
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def minmax(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    spread = values.max() - values.min() if len(values) else 0.0
    return (values - values.min()) / spread if spread > 0 else np.zeros_like(values)


def reciprocal_ranks(values: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-np.asarray(values), kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(1, len(values) + 1)
    return 1.0 / (k + ranks)


NORMALIZERS = {"zscore": zscore, "minmax": minmax}


def fuse(
    lexical: np.ndarray, dense: np.ndarray, config: FusionConfig = FusionConfig(), sentence: np.ndarray | None = None
) -> np.ndarray:
    """Fused scores of one candidate set (arrays aligned by candidate)."""
    w = config.dense_weight
    if config.method == "rrf":
        return (1 - w) * reciprocal_ranks(lexical, config.rrf_k) + w * reciprocal_ranks(dense, config.rrf_k)
    if config.method not in NORMALIZERS:
        valid = ", ".join([*NORMALIZERS, "rrf"])
        raise ValueError(f"unknown fusion method {config.method!r}; valid: {valid}")
    norm = NORMALIZERS[config.method]
    dense_norm = zscore(dense, config.dense_spread_floor) if config.method == "zscore" else norm(dense)
    fused = (1 - w) * norm(lexical) + w * dense_norm
    if sentence is not None and config.sentence_weight:
        fused = fused + config.sentence_weight * norm(sentence)
    return fused


def top_rows(scores: np.ndarray, k: int, positive: bool = False) -> np.ndarray:
    """Row numbers of the k highest scores, best first (only scores > 0 if `positive`)."""
    rows = np.flatnonzero(scores > 0) if positive else np.arange(len(scores))
    if len(rows) > k:
        rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
    return rows[np.argsort(-scores[rows], kind="stable")]


def candidate_rows(
    lexical: np.ndarray, dense_rows: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> np.ndarray:
    """The union of each retriever's top-k, or every allowed row when a filter is set."""
    if allowed is not None:
        return np.flatnonzero(allowed)
    rows = np.union1d(top_rows(lexical, k, positive=True), dense_rows[dense_rows >= 0])
    return rows.astype(np.int64)


# --- filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Restrictions on results. kind/date/tag must equal a corpus value (case-insensitive);
    speaker/affiliation/session match a part of one ("Deringer", "Alfred", "Day 2"); extra holds
    (column, value) pairs that must equal a record's extra column (a table's "track", "decision")."""

    kind: str | None = None
    date: str | None = None
    session: str | None = None
    tag: str | None = None
    speaker: str | None = None
    affiliation: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    _fields: tuple[str, ...] = field(
        default=("kind", "date", "session", "tag", "speaker", "affiliation"), init=False, repr=False, compare=False
    )

    def is_empty(self) -> bool:
        return all(getattr(self, name) in (None, "") for name in self._fields) and not self.extra


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


_VALUES = {
    "kind": lambda r: (r.kind,),
    "date": lambda r: (r.date,),
    "session": lambda r: (r.session,),
    "tag": lambda r: r.tags,
    "speaker": lambda r: r.speakers,
    "affiliation": lambda r: r.affiliations,
}
_PARTIAL = {"speaker", "affiliation", "session"}


def _shown(values: Sequence[str]) -> str:
    return ", ".join(values[:40]) + (f", ... ({len(values)} in all)" if len(values) > 40 else "")


def _extra_mask(records: Sequence[Abstract], column: str, wanted: str) -> np.ndarray:
    """Records whose extra column equals `wanted` (case- and accent-insensitive)."""
    columns = sorted({key for r in records for key, _ in r.extra})
    if column not in columns:
        raise FilterError(
            f"no record has an extra column {column!r}; extra columns: {', '.join(columns) or '(none in this corpus)'}"
        )
    key = _fold(wanted)
    passes = np.array([_fold(r.extra_value(column)) == key for r in records])
    if not passes.any():
        valid = sorted({r.extra_value(column) for r in records} - {""})
        raise FilterError(f"no record has {column} {wanted!r}; valid {column} values: {_shown(valid)}")
    return passes


def filter_mask(records: Sequence[Abstract], filters: Filters | None) -> np.ndarray | None:
    """Which records pass the filters (None when there are none); unknown values are errors."""
    if filters is None or filters.is_empty():
        return None
    mask = np.ones(len(records), dtype=bool)
    for name, get in _VALUES.items():
        wanted = getattr(filters, name)
        if wanted in (None, ""):
            continue
        key = _fold(wanted)
        values = [[_fold(v) for v in get(r) if v] for r in records]
        if name in _PARTIAL:
            passes = np.array([any(key in v for v in vs) for vs in values])
        else:
            passes = np.array([key in vs for vs in values])
        if not passes.any():
            valid = sorted({v for r in records for v in get(r) if v})
            raise FilterError(
                f"no record has {name} {wanted!r}; valid {name} values: {_shown(valid) or '(none in this corpus)'}"
            )
        mask &= passes
    for column, wanted in filters.extra:
        if wanted not in (None, ""):
            mask &= _extra_mask(records, column, wanted)
    return mask
