"""The first labeller, kept as a baseline: class-based TF-IDF over key phrases alone.

A group's keywords are the n-grams (1-3 words) that are frequent inside the group and rare
across the other groups (BERTopic's c-TF-IDF). Labels are 2-4 words built from the best
phrases and are made distinct across groups. `labels.describe_groups` replaced it as the
default; benchmarks/topic_labels_emnlp2020.py compares the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from abstract_search.topics.labels import GroupDescription, descriptions
from abstract_search.topics.phrases import (
    absorb_fragments,
    class_tfidf,
    contains,
    count_phrases,
    group_coverage,
    label_key,
    same_root,
    surface_forms,
)


@dataclass(frozen=True)
class _GroupPhrases:
    """One group's best phrases (best first), with c-TF-IDF and label scores."""

    phrases: list[str]
    scores: np.ndarray
    label_scores: np.ndarray


def _group_phrases(scores, per_group, coverage, totals: np.ndarray, row: int, vocabulary, pool: int) -> _GroupPhrases:
    """The group's top phrases by c-TF-IDF, with fragments folded into their longer phrase.

    The label score also weighs how much of a phrase's use falls in this group, so a phrase
    every group uses ('models', 'glass') does not name one group, and how many of the group's
    items use it, so a phrase repeated in one abstract ('boroxol rings') does not either.
    """
    start, end = scores.indptr[row], scores.indptr[row + 1]
    columns, values = scores.indices[start:end], scores.data[start:end]
    counts = np.asarray(per_group[row, columns].todense()).ravel()
    order = np.argsort(-values, kind="stable")[:pool]
    columns, values, counts = columns[order], values[order], counts[order]
    share = counts / np.maximum(totals[columns], 1e-12)
    used_by = np.asarray(coverage[row, columns].todense()).ravel()
    label_values = values * np.sqrt(share * used_by)
    phrases = [str(vocabulary[c]) for c in columns]
    longer = absorb_fragments(phrases, counts)
    merged: dict[str, tuple[float, float]] = {}
    for i in range(len(phrases)):
        target = phrases[longer.get(i, i)]
        best = merged.get(target, (0.0, 0.0))
        merged[target] = (max(best[0], float(values[i])), max(best[1], float(label_values[i])))
    ranked = sorted(merged, key=lambda p: -merged[p][0])
    return _GroupPhrases(
        phrases=ranked,
        scores=np.array([merged[p][0] for p in ranked]),
        label_scores=np.array([merged[p][1] for p in ranked]),
    )


def top_keywords(phrases: Sequence[str], n: int) -> list[str]:
    """The first n phrases, skipping one already said by a better-ranked phrase."""
    chosen: list[str] = []
    for phrase in phrases:
        if len(chosen) >= n:
            break
        if not any(contains(other, phrase) for other in chosen):
            chosen.append(phrase)
    return chosen


def label_candidates(found: _GroupPhrases, max_words: int, n: int = 12) -> list[str]:
    """Labels in order of preference: a distinctive multi-word phrase, then pairs of keywords."""
    # Only the group's top phrases by c-TF-IDF may name it; among them, the distinctive first.
    pool = min(len(found.phrases), n)
    order = np.argsort(-found.label_scores[:pool], kind="stable")
    distinctive = top_keywords([found.phrases[i] for i in order], n)
    score = dict(zip(found.phrases, found.label_scores, strict=True))
    top = score[distinctive[0]] if distinctive else 0.0
    candidates = [p for p in distinctive if 2 <= len(p.split()) <= max_words and score[p] >= 0.4 * top]
    # Two phrases about equally strong say more together ('machine learning / interatomic potentials').
    if len(candidates) >= 2:
        first, second = candidates[:2]
        fits = len(first.split()) + len(second.split()) <= max_words and not same_root(first, second)
        if fits and score[second] >= 0.75 * score[first]:
            candidates.insert(0, f"{first} / {second}")
    for i, first in enumerate(distinctive[:6]):
        for second in distinctive[i + 1 : 6]:
            if len(first.split()) + len(second.split()) <= max_words and not same_root(first, second):
                candidates.append(f"{first} / {second}")
    candidates.extend(p for p in distinctive if p not in candidates)
    return candidates


def describe_groups_ctfidf(
    texts: Sequence[str],
    groups: Sequence[int],
    *,
    n_keywords: int = 8,
    max_label_words: int = 4,
) -> list[GroupDescription]:
    """Labels and keywords for each group of texts, from class-based TF-IDF over 1-3 word phrases.

    Args:
        texts: one text per item (title + abstract, or just a title).
        groups: the group id of each item (any ints; an outlier group -1 is just another group).
        n_keywords: how many keywords to keep per group.
        max_label_words: the longest label, in words. Labels have 2..max_label_words words when
            the texts allow; a group whose texts hold a single content word gets a one-word label.

    Returns:
        One GroupDescription per distinct group id, sorted by id; no two labels are the same.
    """
    if len(texts) != len(groups):
        raise ValueError(f"got {len(texts)} texts but {len(groups)} group ids")
    groups_array = np.asarray(groups, dtype=np.int64)
    group_ids = np.unique(groups_array)
    if len(group_ids) == 0:
        return []
    counts, vocabulary = count_phrases(texts, max_words=min(3, max_label_words))
    # Sublinear counts: one abstract repeating its own jargon ('subcritical crack growth'
    # five times) must not name a group whose other members never mention it.
    counts.data = np.log1p(counts.data)
    scores, per_group = class_tfidf(counts, groups_array, group_ids)
    totals = np.asarray(per_group.sum(axis=0)).ravel()
    coverage = group_coverage(counts, groups_array, group_ids)
    forms = surface_forms(texts)
    sizes = {int(g): int((groups_array == g).sum()) for g in group_ids}
    keywords: dict[int, list[str]] = {}
    candidates: dict[int, list[str]] = {}
    for row, group in enumerate(group_ids.tolist()):
        found = _group_phrases(scores, per_group, coverage, totals, row, vocabulary, pool=max(200, 20 * n_keywords))
        keywords[group] = top_keywords(found.phrases, n_keywords)
        candidates[group] = label_candidates(found, max_label_words)
    # Bigger groups choose first: they have the most evidence for their best label.
    labels: dict[int, str] = {}
    taken: set[str] = set()
    for group in sorted(candidates, key=lambda g: (-sizes[g], g)):
        label = next((c for c in candidates[group] if label_key(c) not in taken), None)
        if label is None:
            label = f"{candidates[group][0] if candidates[group] else 'topic'} {group}"
        taken.add(label_key(label))
        labels[group] = label
    return descriptions(group_ids, labels, keywords, forms)
