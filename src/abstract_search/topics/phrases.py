"""Key phrases of texts: splitting into phrases, counting them per group, and showing them.

Phrases never span a stop word or punctuation, so "fracture of glass" yields "fracture" and
"glass", never the made-up "fracture glass". Both labellers (`labels.py`, `labels_ctfidf.py`)
count phrases and score them with BERTopic's class-based TF-IDF from here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

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

# English endings of words that cannot end a noun phrase (adverbs, participles, verbs, and
# adjectives that are never nouns): "models trained", "performs significantly", "robust".
# An "-ly" word is an adverb unless it ends like "anomaly", "family", "assembly" or "supply".
_NOT_A_HEAD = re.compile(r"(?:(?<!a|i|p)(?<!mb)ly|[^e]ed|izes?|ify|ifies|ous|ful)$")
# Endings of words that cannot start one: adverbs and verbs ("largely", "optimize weights").
_NOT_A_START = re.compile(r"(?:(?<!a|i|p)(?<!mb)ly|izes?|ify|ifies)$")


# Endings of English adjectives ("visual", "chemical", "linguistic", "robust" aside): alone, such a
# word is no name for a topic, though "retrieval" or "topic" pay for the rule's bluntness.
_ADJECTIVE = re.compile(r"(?:al|ic|ous|ive|ful|able|ible)$")


# Prepositions scikit-learn's list lacks: "models like BERT" must not yield "like BERT".
MISSING_PREPOSITIONS = frozenset("like unlike versus vs".split())


def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | SCIENTIFIC_BOILERPLATE | MISSING_PREPOSITIONS


def word_runs(text: str, stop: frozenset[str]) -> list[list[str]]:
    """The runs of content words of a text: split at stop words, numbers and punctuation."""
    runs: list[list[str]] = []
    run: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        if not _WORD.fullmatch(token) or token in stop or len(token) < 2:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(token.strip("'"))
    if run:
        runs.append(run)
    return runs


def is_noun_phrase(words: Sequence[str]) -> bool:
    """Whether a run of words can be a noun phrase, judged by English word endings alone."""
    if not words:
        return False
    head = words[-1]
    return not (len(head) > 4 and _NOT_A_HEAD.search(head)) and not (
        len(words[0]) > 4 and _NOT_A_START.search(words[0])
    )


def looks_like_adjective(word: str) -> bool:
    """Whether a word ends like an English adjective ("visual", "chemical", "linguistic")."""
    return len(word) > 4 and bool(_ADJECTIVE.search(word))


def noun_phrase(run: Sequence[str]) -> list[str]:
    """A run trimmed to a noun phrase: words that cannot start or end one are cut off the ends."""
    start, end = 0, len(run)
    while start < end and len(run[start]) > 4 and _NOT_A_START.search(run[start]):
        start += 1
    while end > start and len(run[end - 1]) > 4 and _NOT_A_HEAD.search(run[end - 1]):
        end -= 1
    return list(run[start:end])


class PhraseAnalyzer:
    """Splits a text into 1..max_words-grams that never cross a stop word, number or punctuation.

    With `noun_phrases_up_to`, each run trimmed to a noun phrase is also emitted whole when it is
    longer than max_words but no longer than that ("neural machine translation systems").
    """

    def __init__(self, max_words: int = 3, noun_phrases_up_to: int = 0):
        self.max_words = max_words
        self.noun_phrases_up_to = noun_phrases_up_to
        self.stop_words = stop_words()

    def __call__(self, text: str) -> list[str]:
        grams: list[str] = []
        for run in word_runs(text, self.stop_words):
            for size in range(1, self.max_words + 1):
                for start in range(len(run) - size + 1):
                    grams.append(" ".join(run[start : start + size]))
            chunk = noun_phrase(run)
            if self.max_words < len(chunk) <= self.noun_phrases_up_to:
                grams.append(" ".join(chunk))
        return grams


def count_phrases(texts: Sequence[str], *, max_words: int = 3, min_df: int | None = None, noun_phrases_up_to: int = 0):
    """Counts phrases per text; returns (sparse counts, vocabulary array).

    `min_df` defaults to 1 for small corpora and 2 from 500 texts on, which keeps the
    vocabulary of a 50,000-abstract corpus in memory without losing any topic's words.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    if min_df is None:
        min_df = 1 if len(texts) < 500 else 2
    analyzer = PhraseAnalyzer(max_words, noun_phrases_up_to)
    vectorizer = CountVectorizer(analyzer=analyzer, min_df=min_df, dtype=np.float32)
    try:
        counts = vectorizer.fit_transform(list(texts))
    except ValueError:  # every text is empty or stop words only
        return sparse.csr_matrix((len(texts), 0), dtype=np.float32), np.array([], dtype=object)
    return counts.tocsr(), vectorizer.get_feature_names_out()


def head_shares(words: set[str], totals: np.ndarray, vocabulary: np.ndarray) -> dict[str, float]:
    """How often each word ends its run of content words rather than modifying the next word.

    "visual" and "event" mostly come before another word ("visual question answering", "event
    extraction"): they are modifiers, and a label ending in one has lost its head. A word's
    uses that are followed by another word are exactly the counts of the two-word phrases it
    starts, which sit right after it in the sorted vocabulary.
    """
    shares = {}
    for word in words:
        at = int(np.searchsorted(vocabulary, word))
        if at >= len(vocabulary) or vocabulary[at] != word or totals[at] <= 0:
            continue
        end = int(np.searchsorted(vocabulary, word + "!"))  # "!" sorts right after " "
        followed = sum(totals[i] for i in range(at + 1, end) if vocabulary[i].count(" ") == 1)
        shares[word] = max(0.0, 1.0 - float(followed) / float(totals[at]))
    return shares


def membership(groups: np.ndarray, group_ids: np.ndarray):
    """A sparse (groups x items) 0/1 matrix: row g marks the items of group g."""
    index = {g: i for i, g in enumerate(group_ids)}
    rows = np.array([index[g] for g in groups], dtype=np.int64)
    return sparse.csr_matrix(
        (np.ones(len(groups), dtype=np.float64), (rows, np.arange(len(groups)))),
        shape=(len(group_ids), len(groups)),
    )


def group_document_frequency(counts, groups: np.ndarray, group_ids: np.ndarray):
    """How many of each group's items use each phrase, sparse (groups x phrases)."""
    used = counts.copy().tocsr()
    used.data[:] = 1.0
    return (membership(groups, group_ids) @ used).tocsr()


def group_coverage(counts, groups: np.ndarray, group_ids: np.ndarray):
    """The fraction of each group's items that use each phrase, sparse (groups x phrases)."""
    sizes = np.asarray(membership(groups, group_ids).sum(axis=1)).ravel()
    return (sparse.diags(1.0 / sizes) @ group_document_frequency(counts, groups, group_ids)).tocsr()


def class_tfidf(counts, groups: np.ndarray, group_ids: np.ndarray):
    """BERTopic's c-TF-IDF: tf within the group times log(1 + mean group length / term frequency).

    Returns (scores, per-group counts), both sparse (groups x phrases): a 50,000-abstract
    corpus has millions of phrases, too many for a dense matrix per group.
    """
    per_group = (membership(groups, group_ids) @ counts.astype(np.float64)).tocsr()
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


def stem(word: str) -> str:
    """A crude plural folding, enough to treat 'potential' and 'potentials' as one label."""
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def label_key(label: str) -> str:
    """What two labels must differ in: their words after plural folding, case ignored."""
    return " ".join(stem(w) for w in re.findall(r"[\w-]+", label.lower()))


def contains(longer: str, shorter: str) -> bool:
    """Whether `shorter` is a run of words inside `longer` (after plural folding)."""
    big, small = label_key(longer).split(), label_key(shorter).split()
    return any(big[i : i + len(small)] == small for i in range(len(big) - len(small) + 1))


def same_root(first: str, second: str) -> bool:
    """Whether two phrases share a word root ('dialogue', 'dialog'): such a pair says nothing."""
    roots = {w[:5] for w in re.split(r"[\s-]+", first) if w}
    return any(w[:5] in roots for w in re.split(r"[\s-]+", second) if w)


def absorb_fragments(phrases: list[str], counts: np.ndarray) -> dict[int, int]:
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


def display_label(label: str, forms: dict[str, str]) -> str:
    """A label in its usual spelling, with a capital first letter ('NMR of borates', 'Glass')."""
    words = [forms.get(w, w) for w in label.split(" ")]
    if words and words[0] and words[0][0].islower():
        words[0] = words[0][0].upper() + words[0][1:]
    return " ".join(words)


def display_keyword(keyword: str, forms: dict[str, str]) -> str:
    """A keyword in its usual spelling."""
    return " ".join(forms.get(w, w) for w in keyword.split(" "))
