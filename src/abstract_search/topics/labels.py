"""Naming groups of texts: class-based TF-IDF over key phrases, and labels a person would write.

A group's keywords are the n-grams (1-3 words) that are frequent inside the group and rare
across the other groups (BERTopic's c-TF-IDF). Phrases never span a stop word or punctuation,
so "fracture of glass" yields "fracture" and "glass", never the made-up "fracture glass".
Labels are 2-4 words built from the best phrases and are made distinct across groups.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

# Words that carry no topic in scientific abstracts, on top of scikit-learn's English list.
SCIENTIFIC_BOILERPLATE = frozenset(
    """
    abstract paper papers work works study studies studied present presents presented propose
    proposes proposed approach approaches method methods result results show shows shown showed
    demonstrate demonstrates demonstrated use uses used using based new novel also however
    different various well can may might will able including include includes provide provides
    provided obtain obtained obtaining investigate investigated investigation discuss discussed
    particular particularly recent recently significant significantly important importantly
    furthermore moreover thus therefore respectively et al good better best high higher low
    lower large larger small smaller number numbers order terms way ways case cases example
    examples talk poster introduce introduces introduced allow allows allowed help helps
    """.split()
)

_TOKEN = re.compile(r"[^\W\d_][^\W_]*(?:[-'][^\W_]+)*|[.,;:!?()\[\]{}\"/]|\d[\w.]*")
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:[-'][^\W_]+)*")


@dataclass(frozen=True)
class GroupDescription:
    """What a group of texts is about: a short label and its top keywords."""

    group: int
    label: str
    keywords: tuple[str, ...]


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | SCIENTIFIC_BOILERPLATE


class PhraseAnalyzer:
    """Splits a text into 1..max_words-grams that never cross a stop word, number or punctuation."""

    def __init__(self, max_words: int = 3):
        self.max_words = max_words
        self.stop_words = _stop_words()

    def __call__(self, text: str) -> list[str]:
        grams: list[str] = []
        run: list[str] = []
        for token in _TOKEN.findall(text.lower()):
            if not _WORD.fullmatch(token) or token in self.stop_words or len(token) < 2:
                self._emit(run, grams)
                run = []
            else:
                run.append(token.strip("'"))
        self._emit(run, grams)
        return grams

    def _emit(self, run: list[str], grams: list[str]) -> None:
        for size in range(1, self.max_words + 1):
            for start in range(len(run) - size + 1):
                grams.append(" ".join(run[start : start + size]))


def count_phrases(texts: Sequence[str], *, max_words: int = 3, min_df: int | None = None):
    """Counts phrases per text; returns (sparse counts, vocabulary array).

    `min_df` defaults to 1 for small corpora and 2 from 500 texts on, which keeps the
    vocabulary of a 50,000-abstract corpus in memory without losing any topic's words.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    if min_df is None:
        min_df = 1 if len(texts) < 500 else 2
    vectorizer = CountVectorizer(analyzer=PhraseAnalyzer(max_words), min_df=min_df, dtype=np.float32)
    try:
        counts = vectorizer.fit_transform(list(texts))
    except ValueError:  # every text is empty or stop words only
        return sparse.csr_matrix((len(texts), 0), dtype=np.float32), np.array([], dtype=object)
    return counts.tocsr(), vectorizer.get_feature_names_out()


def _membership(groups: np.ndarray, group_ids: np.ndarray):
    """A sparse (groups x items) 0/1 matrix: row g marks the items of group g."""
    index = {g: i for i, g in enumerate(group_ids)}
    rows = np.array([index[g] for g in groups], dtype=np.int64)
    return sparse.csr_matrix(
        (np.ones(len(groups), dtype=np.float64), (rows, np.arange(len(groups)))),
        shape=(len(group_ids), len(groups)),
    )


def group_coverage(counts, groups: np.ndarray, group_ids: np.ndarray):
    """The fraction of each group's items that use each phrase, sparse (groups x phrases)."""
    used = counts.copy().tocsr()
    used.data[:] = 1.0
    membership = _membership(groups, group_ids)
    sizes = np.asarray(membership.sum(axis=1)).ravel()
    return (sparse.diags(1.0 / sizes) @ (membership @ used)).tocsr()


def class_tfidf(counts, groups: np.ndarray, group_ids: np.ndarray):
    """BERTopic's c-TF-IDF: tf within the group times log(1 + mean group length / term frequency).

    Returns (scores, per-group counts), both sparse (groups x phrases): a 50,000-abstract
    corpus has millions of phrases, too many for a dense matrix per group.
    """
    per_group = (_membership(groups, group_ids) @ counts.astype(np.float64)).tocsr()
    totals = np.asarray(per_group.sum(axis=0)).ravel()
    mean_words = per_group.sum() / len(group_ids)
    idf = np.log1p(mean_words / np.maximum(totals, 1e-12))
    lengths = np.asarray(per_group.sum(axis=1)).ravel()
    tf = sparse.diags(1.0 / np.maximum(lengths, 1e-12)) @ per_group
    return (tf @ sparse.diags(idf)).tocsr(), per_group


def surface_forms(texts: Sequence[str]) -> dict[str, str]:
    """How each word is usually written, so 'nmr' is shown as 'NMR' and 'sio2' as 'SiO2'.

    Title case is kept only for words never written in lower case (names such as 'Raman'):
    title-cased words in titles and at sentence starts are no evidence of a proper noun.
    """
    seen: dict[str, Counter] = {}
    for text in texts:
        for word in _WORD.findall(text):
            seen.setdefault(word.lower(), Counter())[word] += 1
    forms = {}
    for lower, spellings in seen.items():
        best, best_count = spellings.most_common(1)[0]
        inner_caps = any(c.isupper() for c in best[1:])
        if lower in spellings and (not inner_caps or spellings[lower] * 2 >= best_count):
            best = lower
        elif not inner_caps and sum(spellings.values()) < 2:
            best = lower
        forms[lower] = best
    return forms


def _stem(word: str) -> str:
    """A crude plural folding, enough to treat 'potential' and 'potentials' as one label."""
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _contains(longer: str, shorter: str) -> bool:
    """Whether `shorter` is a run of words inside `longer` (after plural folding)."""
    big, small = _label_key(longer).split(), _label_key(shorter).split()
    return any(big[i : i + len(small)] == small for i in range(len(big) - len(small) + 1))


def _same_root(first: str, second: str) -> bool:
    """Whether two phrases share a word root ('dialogue', 'dialog'): such a pair says nothing."""
    roots = {w[:5] for w in re.split(r"[\s-]+", first) if w}
    return any(w[:5] in roots for w in re.split(r"[\s-]+", second) if w)


def _label_key(label: str) -> str:
    return " ".join(_stem(w) for w in re.findall(r"[\w-]+", label.lower()))


def _absorb_fragments(phrases: list[str], counts: np.ndarray) -> dict[int, int]:
    """Maps a phrase to a longer phrase that contains it and occurs nearly as often.

    'machine learning' inside a group that mostly says 'machine learning potentials' is a
    fragment: the longer phrase is what people would write.
    """
    position = {phrase: i for i, phrase in enumerate(phrases)}
    longer: dict[int, int] = {}
    for i, phrase in enumerate(phrases):
        words = phrase.split(" ")
        for size in range(1, len(words)):
            for start in range(len(words) - size + 1):
                sub = position.get(" ".join(words[start : start + size]))
                if sub is None or counts[i] < 0.75 * counts[sub]:
                    continue
                best = longer.get(sub)
                if best is None or (counts[i], len(phrase)) > (counts[best], len(phrases[best])):
                    longer[sub] = i
    for sub in list(longer):  # follow chains: 'machine' -> 'machine learning' -> '... potentials'
        seen = {sub}
        while longer[sub] in longer and longer[longer[sub]] not in seen:
            seen.add(longer[sub])
            longer[sub] = longer[longer[sub]]
    return longer


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
    longer = _absorb_fragments(phrases, counts)
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
        if not any(_contains(other, phrase) for other in chosen):
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
        fits = len(first.split()) + len(second.split()) <= max_words and not _same_root(first, second)
        if fits and score[second] >= 0.75 * score[first]:
            candidates.insert(0, f"{first} / {second}")
    for i, first in enumerate(distinctive[:6]):
        for second in distinctive[i + 1 : 6]:
            if len(first.split()) + len(second.split()) <= max_words and not _same_root(first, second):
                candidates.append(f"{first} / {second}")
    candidates.extend(p for p in distinctive if p not in candidates)
    return candidates


def _display(label: str, forms: dict[str, str]) -> str:
    words = [forms.get(w, w) for w in label.split(" ")]
    if words and words[0] and words[0][0].islower():
        words[0] = words[0][0].upper() + words[0][1:]
    return " ".join(words)


def _display_keyword(keyword: str, forms: dict[str, str]) -> str:
    return " ".join(forms.get(w, w) for w in keyword.split(" "))


def describe_groups(
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
        label = next((c for c in candidates[group] if _label_key(c) not in taken), None)
        if label is None:
            label = f"{candidates[group][0] if candidates[group] else 'topic'} {group}"
        taken.add(_label_key(label))
        labels[group] = label
    return [
        GroupDescription(
            group=group,
            label=_display(labels[group], forms),
            keywords=tuple(_display_keyword(k, forms) for k in keywords[group]),
        )
        for group in group_ids.tolist()
    ]
