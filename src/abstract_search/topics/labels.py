"""Naming groups of texts with the phrases a person would write: distinctive, central, varied.

A group's candidates are its n-grams (1-3 words) and noun phrases (runs of content words trimmed
by English word endings, up to `max_label_words`) that at least two of its texts use and that
are shaped like noun phrases. The `pool` most distinctive by class-based TF-IDF are ranked again
by how close each phrase's embedding is to the group's centre, so a phrase that names what the
group is about beats one that is merely frequent in it; maximal marginal relevance (MMR) keeps
the keywords from repeating each other. A label must end on a word that usually ends a phrase
("visual" and "event" mostly modify a noun, and alone have lost it), and a lone word gives way
to the phrase the group uses it in when that is nearly as relevant ("gender bias", not "bias").
Bigger groups choose their label first, and labels are distinct.

Without embeddings the ranking is c-TF-IDF alone, under the same rules. The settings were chosen
on one half of the EMNLP 2020 papers; benchmarks/topic_labels_emnlp2020.py reports the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from abstract_search.topics.phrases import (
    absorb_fragments,
    class_tfidf,
    contains,
    count_phrases,
    display_keyword,
    display_label,
    group_document_frequency,
    head_shares,
    is_noun_phrase,
    label_key,
    looks_like_adjective,
    same_root,
    surface_forms,
)

Embed = Callable[[list[str]], np.ndarray]
MIXED = "mixed topics"  # the label of a group whose texts share no phrase


@dataclass(frozen=True)
class GroupDescription:
    """What a group of texts is about: a short label and its top keywords."""

    group: int
    label: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class LabelSettings:
    """How phrases are ranked and chosen; the defaults were chosen on the EMNLP 2020 tune half.

    Attributes:
        pool: candidates per group, the most distinctive by c-TF-IDF, that are embedded.
        closeness_weight: the weight of closeness to the centre in the weighted geometric mean
            with c-TF-IDF (0: c-TF-IDF alone, 1: closeness alone).
        centre_on_corpus: remove the corpus's mean document vector from phrase and centre vectors
            before comparing them, so the direction every text shares does not count.
        mmr_lambda: relevance against novelty in maximal marginal relevance (1: relevance alone).
        min_head_share: the share of its uses in which a label's last word ends a phrase, at least.
        pair_ratio: the label joins the best phrase and the next keyword ("A and B") when that
            keyword is at least this relevant relative to the first; above 1: never.
        specific_ratio: a best phrase of one word gives way to the most relevant longer phrase
            built on it ("attacks": "adversarial attacks") that is at least this relevant
            relative to it; above 1: never.
    """

    pool: int = 40
    closeness_weight: float = 0.5
    centre_on_corpus: bool = True
    mmr_lambda: float = 0.7
    min_head_share: float = 0.5
    pair_ratio: float = 0.5
    min_label_words: int = 1
    specific_ratio: float = 0.5


DEFAULT_SETTINGS = LabelSettings()


@dataclass(frozen=True)
class _Candidates:
    """One group's candidate phrases, most distinctive first."""

    phrases: list[str]
    distinctness: np.ndarray  # c-TF-IDF x sqrt(share of the phrase's use x coverage of the group)
    head_share: np.ndarray  # how often the phrase's last word ends a phrase, in the whole corpus


def describe_groups(
    texts: Sequence[str],
    groups: Sequence[int],
    *,
    embeddings: np.ndarray | None = None,
    embed: Embed | None = None,
    n_keywords: int = 8,
    max_label_words: int = 4,
) -> list[GroupDescription]:
    """Labels and keywords for each group of texts.

    Args:
        texts: one text per item (title + abstract, or just a title).
        groups: the group id of each item (any ints; an outlier group -1 is just another group).
        embeddings: one unit row per text; with `embed`, phrases are ranked by closeness to the
            group's centre as well as by c-TF-IDF.
        embed: turns a list of phrases into unit rows with the model that made `embeddings`;
            called once, with every group's candidates.
        n_keywords: how many keywords to keep per group.
        max_label_words: the longest label, in words.

    Returns:
        One GroupDescription per distinct group id, sorted by id; no two labels are the same.
        Every label and keyword is a phrase that two or more of the group's texts use (any phrase
        of a group of one); a group whose texts share none that can name it is labelled "Mixed topics".
    """
    return describe_groups_with(
        texts,
        groups,
        DEFAULT_SETTINGS,
        embeddings=embeddings,
        embed=embed,
        n_keywords=n_keywords,
        max_label_words=max_label_words,
    )


def describe_groups_with(
    texts: Sequence[str],
    groups: Sequence[int],
    settings: LabelSettings,
    *,
    embeddings: np.ndarray | None = None,
    embed: Embed | None = None,
    n_keywords: int = 8,
    max_label_words: int = 4,
) -> list[GroupDescription]:
    """`describe_groups` with explicit settings (the benchmark tunes them)."""
    if len(texts) != len(groups):
        raise ValueError(f"got {len(texts)} texts but {len(groups)} group ids")
    if embeddings is not None and len(embeddings) != len(texts):
        raise ValueError(f"got {len(texts)} texts but {len(embeddings)} embeddings")
    groups_array = np.asarray(groups, dtype=np.int64)
    group_ids = np.unique(groups_array)
    if len(group_ids) == 0:
        return []
    found = _candidates(texts, groups_array, group_ids, max_label_words, settings.pool)
    embedded = None
    if embeddings is not None and embed is not None:
        embedded = _embed_candidates(found, groups_array, group_ids, embeddings, embed, settings.centre_on_corpus)
    keywords: dict[int, list[str]] = {}
    options: dict[int, list[str]] = {}
    for row, group in enumerate(group_ids.tolist()):
        candidates = found[row]
        if embedded is not None:
            closeness, vectors = embedded[row]
            relevance = combine_scores(candidates.distinctness, closeness, settings.closeness_weight)
            similarity = vectors @ vectors.T
        else:
            relevance = combine_scores(candidates.distinctness, None, 0.0)
            similarity = word_overlap(candidates.phrases)
        order = select_mmr(relevance, similarity, settings.mmr_lambda, candidates.phrases)
        keywords[group] = [candidates.phrases[i] for i in order[:n_keywords]]
        options[group] = label_options(candidates, relevance, order, max_label_words, settings)
    sizes = {int(g): int((groups_array == g).sum()) for g in group_ids}
    return descriptions(group_ids, _distinct_labels(options, sizes), keywords, surface_forms(texts))


def descriptions(group_ids: np.ndarray, labels: dict, keywords: dict, forms: dict) -> list[GroupDescription]:
    """The groups' labels and keywords as GroupDescriptions, in the texts' own spelling (`forms`)."""
    return [
        GroupDescription(
            group=group,
            label=display_label(labels[group], forms),
            keywords=tuple(display_keyword(k, forms) for k in keywords[group]),
        )
        for group in group_ids.tolist()
    ]


def _candidates(
    texts: Sequence[str], groups: np.ndarray, group_ids: np.ndarray, max_words: int, pool: int
) -> list[_Candidates]:
    """Each group's `pool` most distinctive noun-phrase-shaped phrases that 2+ of its texts use.

    Distinctness is c-TF-IDF times sqrt(share x coverage): how much of the phrase's use falls in
    this group (so "models", used by every group, names none) and how many of the group's texts
    use it. A phrase nearly always followed by the same longer phrase is folded into it.
    """
    counts, vocabulary = count_phrases(texts, max_words=min(3, max_words), noun_phrases_up_to=max_words)
    raw_totals = np.asarray(counts.sum(axis=0)).ravel()
    # Sublinear counts: one abstract repeating its own jargon ('subcritical crack growth'
    # five times) must not name a group whose other members never mention it.
    counts.data = np.log1p(counts.data)
    scores, per_group = class_tfidf(counts, groups, group_ids)
    totals = np.asarray(per_group.sum(axis=0)).ravel()
    document_frequency = group_document_frequency(counts, groups, group_ids)
    sizes = np.bincount(np.searchsorted(group_ids, groups), minlength=len(group_ids))
    pools: list[tuple[list[str], np.ndarray]] = []
    for row in range(len(group_ids)):
        start, end = scores.indptr[row], scores.indptr[row + 1]
        columns, values = scores.indices[start:end], scores.data[start:end]
        used_by = np.asarray(document_frequency[row, columns].todense()).ravel()
        frequency = np.asarray(per_group[row, columns].todense()).ravel()
        values = values * np.sqrt(frequency / np.maximum(totals[columns], 1e-12) * used_by / sizes[row])
        values[used_by < min(2, sizes[row])] = 0.0
        order = [i for i in np.argsort(-values, kind="stable")[: 8 * pool] if values[i] > 0]
        order = [i for i in order if is_noun_phrase(str(vocabulary[columns[i]]).split(" "))][: 4 * pool]
        phrases = [str(vocabulary[columns[i]]) for i in order]
        longer = absorb_fragments(phrases, frequency[order])
        merged: dict[str, float] = {}
        for i, at in enumerate(order):
            target = phrases[longer.get(i, i)]
            merged[target] = max(merged.get(target, 0.0), float(values[at]))
        best = sorted(merged, key=lambda p: (-merged[p], -len(p), p))[:pool]
        pools.append((best, np.array([merged[p] for p in best], dtype=np.float64)))
    shares = head_shares({p.split(" ")[-1] for best, _ in pools for p in best}, raw_totals, vocabulary)
    return [
        _Candidates(best, scored, np.array([shares.get(p.split(" ")[-1], 1.0) for p in best], dtype=np.float64))
        for best, scored in pools
    ]


def _embed_candidates(
    found: list[_Candidates],
    groups: np.ndarray,
    group_ids: np.ndarray,
    embeddings: np.ndarray,
    embed: Embed,
    centre_on_corpus: bool,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per group: each candidate's cosine to the group's centre, and the candidates' unit vectors.

    Every group's candidates are embedded in one call, each distinct phrase once.
    """
    unique = sorted({p for candidates in found for p in candidates.phrases})
    documents = np.asarray(embeddings, dtype=np.float64)
    vectors = np.asarray(embed(unique), dtype=np.float64) if unique else np.zeros((0, documents.shape[1]))
    position = {p: i for i, p in enumerate(unique)}
    mean = documents.mean(axis=0) if centre_on_corpus else np.zeros(documents.shape[1])
    embedded = []
    for row, group in enumerate(group_ids.tolist()):
        rows = vectors[[position[p] for p in found[row].phrases]] if found[row].phrases else vectors[:0]
        centre = _unit_rows(documents[groups == group].mean(axis=0, keepdims=True) - mean)[0]
        embedded.append((_unit_rows(rows - mean) @ centre, _unit_rows(rows)))
    return embedded


def combine_scores(distinctness: np.ndarray, closeness: np.ndarray | None, weight: float) -> np.ndarray:
    """A weighted geometric mean of distinctness (scaled to at most 1) and closeness (scaled to 0..1)."""
    scores = distinctness / max(float(distinctness.max(initial=0.0)), 1e-12)
    if closeness is None or weight <= 0 or closeness.size == 0:
        return scores
    low, high = float(closeness.min()), float(closeness.max())
    close = (closeness - low) / max(high - low, 1e-12)
    return scores ** (1.0 - weight) * close**weight


def word_overlap(phrases: Sequence[str]) -> np.ndarray:
    """Jaccard overlap of the phrases' folded words: the similarity MMR uses without embeddings."""
    words = [set(label_key(p).split()) for p in phrases]
    return np.array([[len(a & b) / max(len(a | b), 1) for b in words] for a in words], dtype=np.float64)


def select_mmr(relevance: np.ndarray, similarity: np.ndarray, weight: float, phrases: Sequence[str]) -> list[int]:
    """Orders phrases by maximal marginal relevance: relevant, and unlike those already chosen.

    A phrase that is part of a chosen phrase, or contains one, is left out: it says the same.
    """
    words = [tuple(label_key(p).split()) for p in phrases]
    left = list(range(len(relevance)))
    chosen: list[int] = []
    while left:
        redundancy = similarity[np.ix_(left, chosen)].max(axis=1) if chosen else np.zeros(len(left))
        pick = left[int(np.argmax(weight * relevance[left] - (1.0 - weight) * redundancy))]
        left.remove(pick)
        if not any(_inside(words[c], words[pick]) or _inside(words[pick], words[c]) for c in chosen):
            chosen.append(pick)
    return chosen


def _inside(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    size = len(shorter)
    return any(longer[i : i + size] == shorter for i in range(len(longer) - size + 1))


def label_options(
    candidates: _Candidates, relevance: np.ndarray, order: list[int], max_words: int, settings: LabelSettings
) -> list[str]:
    """A group's labels in order of preference: its most relevant phrases that can name it.

    A label ends on a word that usually ends a phrase (`min_head_share`) and is not a lone word
    that ends like an adjective ("visual"; a small corpus has too few counts to tell). The first
    option joins the best of them and the next keyword in MMR order that says something else
    ("A and B") when that keyword is at least `pair_ratio` as relevant and both fit in `max_words`.
    """
    phrases = candidates.phrases
    by_relevance = [int(i) for i in np.argsort(-relevance, kind="stable")]
    nameable = [
        i
        for i in by_relevance
        if len(phrases[i].split()) <= max_words and not (" " not in phrases[i] and looks_like_adjective(phrases[i]))
    ]
    heads = [i for i in nameable if candidates.head_share[i] >= settings.min_head_share]
    heads = [i for i in heads if len(phrases[i].split()) >= settings.min_label_words] + [
        i for i in heads if len(phrases[i].split()) < settings.min_label_words
    ]
    heads = _specific_first(heads, phrases, relevance, settings.specific_ratio)
    # A phrase whose last word mostly modifies another names the group only when nothing else can.
    options = [phrases[i] for i in heads + [i for i in nameable if i not in heads]]
    if heads:
        first = heads[0]
        partner = next((i for i in order if i in heads and not _says_the_same(phrases[i], phrases[first])), None)
        if partner is not None and relevance[partner] >= settings.pair_ratio * relevance[first]:
            pair = f"{phrases[first]} and {phrases[partner]}"
            if len(pair.split()) <= max_words:
                options.insert(0, pair)
    return options


def _specific_first(heads: list[int], phrases: Sequence[str], relevance: np.ndarray, ratio: float) -> list[int]:
    """`heads` with a lone first word replaced at the front by the best longer phrase built on it.

    A word alone ("bias", "generation") leaves the reader to guess which kind; the phrase the
    group uses it in ("gender bias", "text generation") says it, when it is nearly as relevant.
    A hyphenated compound counts as built on each of its parts ("aspect-based sentiment analysis").
    """
    if not heads or " " in phrases[heads[0]]:
        return heads
    word = phrases[heads[0]]
    limit = ratio * relevance[heads[0]]
    longer = next(
        (i for i in heads if " " in phrases[i] and relevance[i] >= limit and word in re.split(r"[ -]", phrases[i])),
        None,
    )
    return heads if longer is None else [longer] + [i for i in heads if i != longer]


def _says_the_same(first: str, second: str) -> bool:
    """Whether two phrases overlap: one inside the other, a shared root, or one the other's acronym."""
    if contains(first, second) or contains(second, first) or same_root(first, second):
        return True
    roots = {w[:4] for w in first.replace("-", " ").split()}
    if any(w[:4] in roots for w in second.replace("-", " ").split()):
        return True
    initials = {"".join(w[0] for w in p.replace("-", " ").split()) for p in (first, second)}
    return first.replace(" ", "") in initials or second.replace(" ", "") in initials


def _distinct_labels(options: dict[int, list[str]], sizes: dict[int, int]) -> dict[int, str]:
    """One label per group, bigger groups first: they have the most evidence for their best label."""
    labels: dict[int, str] = {}
    taken: set[str] = set()
    for group in sorted(options, key=lambda g: (-sizes[g], g)):
        label = next((o for o in options[group] if label_key(o) not in taken), None)
        if label is None:
            base = options[group][0] if options[group] else MIXED
            label = base if label_key(base) not in taken else _numbered(base, taken)
        taken.add(label_key(label))
        labels[group] = label
    return labels


def _numbered(base: str, taken: set[str]) -> str:
    return next(f"{base} {n}" for n in range(2, len(taken) + 3) if label_key(f"{base} {n}") not in taken)


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
