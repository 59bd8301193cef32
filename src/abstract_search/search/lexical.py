"""Lexical retrieval: a tokenizer that keeps scientific tokens whole, and field-weighted BM25.

Ordinary words are lower-cased, stop-listed and stemmed (PyStemmer English), so "cooling"
finds "cooled". Tokens that carry chemistry or notation (B2O3, 75Li2S-25P2S5, β-Li3PS4, 17O,
Q(n), Li⁺) are kept whole, lower-cased and unstemmed; hyphenated compounds are also indexed
by their parts, so "glass ceramics" finds "glass-ceramics". Text is NFKC-normalised (so Li⁺
is Li+ and B₂O₃ is B2O3) and accents are folded, so "Jose" finds "José".

BM25 runs per field (text = title + abstract, title, speakers, affiliations) with bm25s and
the field scores are summed with weights: a name or an affiliation is a strong signal even
though it is one word among hundreds in the abstract. The index is built from each text's token
counts, cached by text hash (`abstract_search.search.lexical_cache`), so a rebuild after an edit
tokenizes only the edited texts.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from abstract_search.records import Abstract

# Characters that separate tokens. Hyphens, dots, parentheses and plus/minus signs stay inside
# tokens (formulas, decimals, Q(n), Li+) and are trimmed from the edges afterwards.
_TOKEN_RE = re.compile(r"[^\s,;:!?\"'`“”‘’´\[\]{}<>=/\\|*&%$#@~^]+")
_WORD_RE = re.compile(r"[a-z]+")
_EDGE_PUNCT = ".,-–—_·…"
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})

# A small English stop list (bm25s' own) plus words that carry no topic in a question.
STOPWORDS = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their then
    there these they this to was will with from which who whom what when where why how does do did
    can could should would may might we our us you your i me my its than those been being were has
    have had about also between both each more most other some any all very et al""".split()
)
# Words about the event rather than the science ("talks from Alfred University", "in this talk").
EVENT_WORDS = frozenset("talk talks poster posters presentation presentations".split())


# Abbreviations common in affiliations, so "Tohoku Univ." matches "Tohoku University".
EXPANSIONS = {"univ": "university", "inst": "institute", "dept": "department", "natl": "national", "lab": "laboratory"}


@dataclass(frozen=True)
class TokenSpan:
    """One surface word of a text, where it is, and the index tokens it produces."""

    start: int
    end: int
    tokens: tuple[str, ...]


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def _fold(text: str) -> str:
    """NFKC (Li⁺ -> Li+, B₂O₃ -> B2O3), unified dashes, accents removed, lower case."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _trim(token: str) -> str:
    """Strips sentence punctuation and unbalanced or wrapping brackets from a token's edges."""
    previous = None
    while token != previous:
        previous = token
        token = token.strip(_EDGE_PUNCT)
        if token.startswith("(") and token.count("(") > token.count(")"):
            token = token[1:]
        if token.endswith(")") and token.count(")") > token.count("("):
            token = token[:-1]
        if token.startswith("(") and token.endswith(")") and _closing_bracket(token) == len(token) - 1:
            token = token[1:-1]
        if token.endswith("+") and token[:-1].endswith(("-", ".")):
            token = token[:-1]
    return token


def _closing_bracket(token: str) -> int:
    depth = 0
    for position, char in enumerate(token):
        depth += char == "("
        depth -= char == ")"
        if depth == 0:
            return position
    return -1


def _word_tokens(word: str) -> tuple[str, ...]:
    """Index tokens of one folded, trimmed word (see the module docstring)."""
    if len(word) < 2 and not word.isdigit():
        return ()
    if _WORD_RE.fullmatch(word):
        if word in STOPWORDS or word in EVENT_WORDS:
            return ()
        return (_stem(EXPANSIONS.get(word, word)),)
    if "(" in word:
        return _bracket_tokens(word)
    parts = [_trim(part) for part in word.split("-")]
    parts = [part for part in parts if part]
    if len(parts) > 1:
        if all(_WORD_RE.fullmatch(part) for part in parts):
            whole = "-".join(_stem(part) for part in parts)
        else:
            whole = word
        pieces = [token for part in parts for token in _word_tokens(part)]
        return (whole, *dict.fromkeys(p for p in pieces if p != whole))
    return (word,)


def _bracket_tokens(word: str) -> tuple[str, ...]:
    """Q(n) stays whole and also gives "qn"; Q(n)(mAl) also gives Q(n), qn and mal."""
    pieces = [p.strip("()") if p.startswith("(") else p for p in re.findall(r"[^()]+(?:\([^()]*\))?|\([^()]*\)", word)]
    out = [word, word.replace("(", "").replace(")", "")]
    for piece in pieces:
        if piece and piece != word:
            out.extend([piece, piece.replace("(", "").replace(")", "")])
    return tuple(t for t in dict.fromkeys(out) if len(t) > 1 and t not in STOPWORDS)


def token_spans(text: str) -> Iterator[TokenSpan]:
    """The surface words of `text` with their character spans and index tokens.

    Spans refer to the original text, so a snippet can mark the words that matched.
    """
    for match in _TOKEN_RE.finditer(text):
        tokens, lead, tail = _raw_word(match.group())
        if tokens:
            yield TokenSpan(match.start() + lead, match.end() - tail, tokens)


@lru_cache(maxsize=500_000)
def _raw_word(raw: str) -> tuple[tuple[str, ...], int, int]:
    """(index tokens, characters to skip at the start, at the end) of one surface word.

    Cached: a corpus repeats its words, so a 51k-abstract build folds each distinct one once.
    """
    folded = _trim(_fold(raw))
    tokens = _word_tokens(folded) if folded else ()
    if not tokens:
        return (), 0, 0
    lead = 0 if folded.startswith("(") else len(raw) - len(raw.lstrip("(" + _EDGE_PUNCT))
    keep = _EDGE_PUNCT if folded.endswith(")") else ")" + _EDGE_PUNCT
    return tokens, lead, len(raw) - len(raw.rstrip(keep))


def tokenize(text: str) -> list[str]:
    """Index tokens of a text, in order (a word may give several: a compound and its parts)."""
    tokens: list[str] = []
    for raw in _TOKEN_RE.findall(text):  # token_spans without the spans: the hot loop of a build
        tokens.extend(_raw_word(raw)[0])
    return tokens


# --- BM25 over weighted fields --------------------------------------------------------------


@dataclass(frozen=True)
class LexicalConfig:
    """BM25 settings; the defaults are Anserini's for BEIR (Lucene variant, k1 0.9, b 0.4)."""

    k1: float = 0.9
    b: float = 0.4
    method: str = "lucene"
    field_weights: tuple[tuple[str, float], ...] = field(
        default=(("text", 1.0), ("title", 0.0), ("speakers", 1.0), ("affiliations", 1.0))
    )


FIELDS = {
    "text": lambda r: r.text,
    "title": lambda r: r.title,
    "speakers": lambda r: " ".join(r.speakers),
    "affiliations": lambda r: " ".join(r.affiliations),
}


class LexicalIndex:
    """Field-weighted BM25: one bm25s index per non-empty field, scores summed with weights."""

    def __init__(self, config: LexicalConfig | None = None):
        self.config = config or LexicalConfig()
        unknown = sorted({name for name, _ in self.config.field_weights} - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown BM25 field(s) {', '.join(unknown)}; valid: {', '.join(FIELDS)}")
        self.fields_: dict[str, tuple[float, object]] = {}
        self.size_ = 0
        self.idf_: dict[str, float] = {}

    def fit(self, records: Sequence[Abstract], cache_dir: str | Path | None = None) -> LexicalIndex:
        """Indexes the records' fields; with `cache_dir`, only texts not seen before are tokenized.

        The token bags are cached by text hash (`abstract_search.search.lexical_cache`), so refitting after
        an edit re-tokenizes only the edited texts; the index is the same either way.
        """
        from abstract_search.search.lexical_cache import token_bags

        self.size_ = size = len(records)
        names = list(dict.fromkeys(["text", *(name for name, weight in self.config.field_weights if weight)]))
        texts = [FIELDS[name](record) for name in names for record in records]
        bags = token_bags(texts, tokenize, cache_dir, tokenizer_id())
        field_bags = {name: bags.select(np.arange(i * size, (i + 1) * size)) for i, name in enumerate(names)}
        self.idf_ = _idf(field_bags["text"], size)
        for name, weight in self.config.field_weights:
            if weight == 0:
                continue
            if not len(field_bags[name].terms):
                continue  # e.g. no speakers in a BEIR corpus
            self.fields_[name] = (weight, _bm25(field_bags[name], self.config))
        return self

    def field_scores(self, query: str | Sequence[str]) -> dict[str, np.ndarray]:
        """Weighted BM25 score of every document per indexed field, for a query (text or tokens)."""
        tokens = tokenize(query) if isinstance(query, str) else list(query)
        out = {}
        for name, (weight, bm25) in self.fields_.items():
            known = [t for t in dict.fromkeys(tokens) if t and t in bm25.vocab_dict]
            scores = np.zeros(self.size_, dtype=np.float32)
            if known:
                scores += weight * np.asarray(bm25.get_scores(known), dtype=np.float32)
            out[name] = scores
        return out

    def scores(self, query: str | Sequence[str], fields: Sequence[str] | None = None) -> np.ndarray:
        """Summed BM25 score of every document (over `fields`, default all); zeros if nothing matches."""
        total = np.zeros(self.size_, dtype=np.float32)
        for name, scores in self.field_scores(query).items():
            if fields is None or name in fields:
                total += scores
        return total

    def save(self, folder: str | Path) -> None:
        """Writes `lexical.json` and one bm25s folder per field (JSON and NumPy, no pickle)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, (_, bm25) in self.fields_.items():
            bm25.save(str(folder / name), allow_pickle=False, show_progress=False)
        state = {
            "config": asdict(self.config),
            "size": self.size_,
            "fields": {name: weight for name, (weight, _) in self.fields_.items()},
            "idf": self.idf_,
        }
        (folder / "lexical.json").write_text(json.dumps(state), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path, config: LexicalConfig | None = None) -> LexicalIndex | None:
        """The saved index, or None when it was saved with other settings (the caller refits)."""
        import bm25s

        folder = Path(folder)
        state = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
        index = cls(config)
        if state["config"] != json.loads(json.dumps(asdict(index.config))):
            return None
        index.size_, index.idf_ = int(state["size"]), dict(state["idf"])
        for name, weight in state["fields"].items():
            bm25 = bm25s.BM25.load(str(folder / name), load_corpus=False, allow_pickle=False)
            index.fields_[name] = (float(weight), bm25)
        return index


def build_lexical_index(
    records: Sequence[Abstract], config: LexicalConfig | None = None, cache_dir: str | Path | None = None
) -> LexicalIndex:
    """BM25 over the records' fields (saved with the dense index; see `LexicalIndex.save`)."""
    return LexicalIndex(config).fit(records, cache_dir)


# --- building BM25 from token bags ------------------------------------------------------------

TOKENIZER_VERSION = 1  # bump whenever `tokenize` changes what it returns for some text
_PROBE = (
    "How does the cooling rate change the glasses? B2O3 B₂O₃ 75Li2S-25P2S5 β-Li3PS4 17O NMR Q(n)(mAl) "
    "the (Q(n)) units Li⁺ glass–ceramics Sulfide Glass-Ceramics. 0.5 eV Tohoku Univ. José DERINGER's "
    "MLIPs. Fig. 1 (MD) talks posters et al."
)


@lru_cache(maxsize=1)
def tokenizer_id() -> str:
    """Names the token cache: the version and a hash of the tokens of a probe text.

    A tokenizer change that alters the probe's tokens gets a fresh cache even if nobody bumped
    TOKENIZER_VERSION.
    """
    import hashlib

    probe = hashlib.sha256(json.dumps(tokenize(_PROBE)).encode()).hexdigest()[:12]
    return f"v{TOKENIZER_VERSION}-{probe}"


def _idf(bags, size: int) -> dict[str, float]:
    """Token -> idf over `size` documents (the weights of snippet and key-term scoring)."""
    df = np.bincount(bags.terms, minlength=len(bags.vocab))
    present = sorted(np.flatnonzero(df).tolist(), key=bags.vocab.__getitem__)
    idf_of = {d: math.log(1 + (size - d + 0.5) / (d + 0.5)) for d in set(df[present].tolist())}
    return {bags.vocab[t]: idf_of[d] for t, d in zip(present, df[present].tolist(), strict=True)}


def _bm25(bags, config: LexicalConfig):
    """A bm25s index of the bags, through bm25s' public `index` (an empty text holds "" once).

    Each bag is handed over as its tokens in string order, so the saved files depend only on
    the texts, not on the order in which the token cache learned its tokens.
    """
    import bm25s

    rank = np.empty(len(bags.vocab), dtype=np.int64)
    rank[np.argsort(np.asarray(bags.vocab, dtype=object), kind="stable")] = np.arange(len(bags.vocab))
    doc = np.repeat(np.arange(len(bags)), np.diff(bags.offsets))
    order = np.lexsort((rank[bags.terms], doc))
    terms = [bags.vocab[t] for t in bags.terms[order].tolist()]
    counts, offsets = bags.counts[order].tolist(), bags.offsets.tolist()
    documents = [
        [token for token, count in zip(terms[a:b], counts[a:b], strict=True) for _ in range(count)] or [""]
        for a, b in zip(offsets[:-1], offsets[1:], strict=True)
    ]
    bm25 = bm25s.BM25(k1=config.k1, b=config.b, method=config.method)
    bm25.index(documents, show_progress=False)
    return bm25
