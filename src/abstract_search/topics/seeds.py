"""Seed topics: a person names the topics they want ("interatomic potentials", "NMR"), and each
name collects the items written about it before the rest of the corpus is clustered.

BERTopic calls this zero-shot topic modelling. The rule here: an item whose title holds every word
of a seed joins it (of several such seeds, the most similar). Otherwise an item joins the seed it is most
similar to when that similarity, measured with the corpus's mean vector removed (the space the
topics live in, see `TopicModel.centre`), is at least `SEED_MIN_SIMILARITY`, and when there are
several seeds, at least `SEED_MARGIN` above its similarity to the next seed; and its plain cosine
similarity to the seed is at least `SEED_MIN_RAW_SIMILARITY`. The last guards a seed the corpus
is not about at all: with the mean removed, what is left of such a seed is noise, and noise
still has a best match. Removing the mean matters in a one-field corpus: every workshop abstract
is close to "glass-ceramics" because every one is about glass; with the shared direction gone,
only the glass-ceramics talks are.

The three numbers were chosen on the tuning half of the EMNLP 2020 main papers, giving three
organizer track names at a time as seeds and taking the best mean F0.5 (precision weighs more:
"clearly about it"); `benchmarks/seed_threshold_emnlp2020.py` prints the grid and the held-out
half (precision 0.61, recall 0.26 there with three seeds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from abstract_search.embed.backends import normalize_rows

SEED_MIN_SIMILARITY = 0.25
SEED_MARGIN = 0.05
SEED_MIN_RAW_SIMILARITY = 0.40
NO_SEED = -1


@dataclass(frozen=True)
class SeedMatch:
    """Which seed each item joined (-1: none), and each seed's best similarity, for the report."""

    assignments: np.ndarray  # (n_items,) seed index or NO_SEED
    similarity: np.ndarray  # (n_items, n_seeds) in the centred space
    best: np.ndarray  # (n_seeds,) the highest similarity any item has to each seed
    best_raw: np.ndarray  # (n_seeds,) the same in plain cosine, with the mean kept


def clean_seeds(seeds: Sequence[str]) -> tuple[str, ...]:
    """The seeds as given, stripped, blank and repeated ones (ignoring case) dropped, order kept."""
    seen: set[str] = set()
    kept = []
    for seed in seeds:
        text = " ".join(str(seed).split())
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            kept.append(text)
    return tuple(kept)


def titles_naming(titles: Sequence[str], seeds: Sequence[str]) -> np.ndarray:
    """(items x seeds) booleans: the title holds every word of the seed (as the search stems them).

    A title is what an author says the work is about, so "Sulfide Glass-Ceramics" joins the seed
    "glass-ceramics" even when the abstract's vector leans elsewhere.
    """
    from abstract_search.search.lexical import tokenize

    wanted = [set(tokenize(seed)) for seed in seeds]
    named = np.zeros((len(titles), len(seeds)), dtype=bool)
    for row, title in enumerate(titles):
        words = set(tokenize(title))
        named[row] = [bool(w) and w <= words for w in wanted]
    return named


def match_seeds(
    item_vectors: np.ndarray,
    seed_vectors: np.ndarray,
    mean: np.ndarray,
    *,
    named: np.ndarray | None = None,
    min_similarity: float = SEED_MIN_SIMILARITY,
    margin: float = SEED_MARGIN,
    min_raw_similarity: float = SEED_MIN_RAW_SIMILARITY,
) -> SeedMatch:
    """Assigns items to the seeds they are clearly about.

    Args:
        item_vectors: one row per item (document embeddings).
        seed_vectors: one row per seed (the seed text embedded as a query).
        mean: the corpus's mean unit vector, removed from both before comparing.
        named: (items x seeds) booleans from `titles_naming`: an item whose title names seeds
            joins the one of those it is most similar to, whatever the thresholds.
    """
    raw = normalize_rows(item_vectors) @ normalize_rows(seed_vectors).T
    items = normalize_rows(normalize_rows(item_vectors) - mean)
    seeds = normalize_rows(normalize_rows(seed_vectors) - mean)
    similarity = items @ seeds.T
    n_items, n_seeds = similarity.shape
    assignments = np.full(n_items, NO_SEED, dtype=np.int64)
    if n_seeds == 0 or n_items == 0:
        return SeedMatch(assignments, similarity, np.zeros(n_seeds), np.zeros(n_seeds))
    nearest = similarity.argmax(axis=1)
    best = similarity[np.arange(n_items), nearest]
    runner_up = np.sort(similarity, axis=1)[:, -2] if n_seeds > 1 else np.full(n_items, -np.inf)
    raw_best = raw[np.arange(n_items), nearest]
    clear = (best >= min_similarity) & (best - runner_up >= margin) & (raw_best >= min_raw_similarity)
    assignments[clear] = nearest[clear]
    if named is not None and named.any():
        by_title = np.where(named, similarity, -np.inf).argmax(axis=1)
        has_title = named.any(axis=1)
        assignments[has_title] = by_title[has_title]
    return SeedMatch(assignments, similarity, similarity.max(axis=0), raw.max(axis=0))


def seed_rule() -> dict:
    """The rule's numbers, for the key of saved topics: change one and seeded topics are recomputed."""
    return {"min_similarity": SEED_MIN_SIMILARITY, "margin": SEED_MARGIN, "min_raw": SEED_MIN_RAW_SIMILARITY}
