"""The service API the CLI and the app share: open a corpus once, then search and relate.

`Engine.open()` reads the records, loads the index (building it on first use) and the BM25
fields saved with it; the embedding model is loaded only when a query has to be embedded,
through `abstract_search.embed.backends.load_embedder`, so opening an engine never imports torch.
With the default backend ("auto") corpora are embedded with the int8 ONNX model (model id
`...#int8w7`, see abstract_search.embed.backends.INT8_SUFFIX), and their queries then are too.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

from abstract_search.embed.backends import INT8_SUFFIX, Embedder, EmbedError, load_embedder, resolve_model
from abstract_search.records import Abstract, CorpusError, corpus_hash, read_records, resolve_corpus
from abstract_search.search.fusion import (
    Filters,
    FusionConfig,
    Hit,
    Scores,
    candidate_rows,
    filter_mask,
    fuse,
    prepare_query,
    top_rows,
)
from abstract_search.search.index import (
    CACHE_FOLDER,
    LEXICAL_FOLDER,
    DenseIndex,
    IndexConfig,
    IndexMismatchError,
    build_index,
    index_folder,
    load_index,
    served_folder,
)
from abstract_search.search.lexical import LexicalIndex, build_lexical_index, token_spans, tokenize
from abstract_search.search.snippets import Snippet, build_snippet, matched_spans, sentence_scores, split_sentences
from abstract_search.settings import settings

BUILD_POLICIES = ("missing", "stale", "never")


def index_model_id(model: str | None) -> str:
    """The model id an index of this model is built with: int8 ONNX unless a backend was chosen.

    int8 reads whole documents in one pass; its speed against a plain sentence-transformers
    encode depends on the CPU (benchmarks/embed_backends.py prints it, with the CPU), and its
    nDCG@10 against fp32 vectors is printed by benchmarks/retrieval_*.py.
    """

    return resolve_model(model)[0] + (INT8_SUFFIX if settings().backend == "auto" else "")


def embedder_for(model: str | None, model_id: str) -> Embedder:
    """The embedder that produces `model_id`'s vectors (8-bit ONNX for an id ending in INT8_SUFFIX)."""
    if model_id.endswith(INT8_SUFFIX):
        try:
            return load_embedder(model, backend="onnx-int8")
        except EmbedError:
            raise
        except Exception as err:  # noqa: BLE001 - export or onnxruntime failed for this model
            raise EmbedError(
                f"cannot run {model_id.removesuffix(INT8_SUFFIX)!r} with onnxruntime ({err}); "
                "set ABSTRACT_SEARCH_BACKEND=torch to build and search with sentence-transformers"
            ) from err
    return load_embedder(model)


def _open_lexical(index: DenseIndex, records: Sequence[Abstract]) -> LexicalIndex:
    """The BM25 index saved with the dense index (its files were checked by `load_index`), else a refit."""
    folder = index.folder / LEXICAL_FOLDER
    if (folder / "lexical.json").is_file():
        try:
            saved = LexicalIndex.load(folder)
        except (OSError, ValueError, KeyError, TypeError):
            saved = None
        if saved is not None and saved.size_ == len(records):
            return saved
    return build_lexical_index(records)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Engine:
    """Records, their index and BM25 fields, and the query operations over them."""

    def __init__(
        self,
        corpus: str,
        records: Sequence[Abstract],
        index: DenseIndex,
        lexical: LexicalIndex | Callable[[], LexicalIndex],
        model: str | None = None,
        embedder: Embedder | None = None,
        fusion: FusionConfig | None = None,
        notify: Callable[[str], None] = _stderr,
    ):
        self.corpus = corpus
        self.records = list(records)
        self.index = index
        self._lexical = lexical
        self._load_lock = threading.Lock()  # what is loaded at its first use
        self.fusion = fusion or FusionConfig()
        self.notify = notify
        self._model = model
        self._embedder = embedder
        self._row_of = {record.id: row for row, record in enumerate(self.records)}

    @property
    def lexical(self) -> LexicalIndex:
        """The BM25 fields, opened at their first use: the topic and map pages never need them,
        and importing bm25s (with numba) is most of the time it takes to open an index."""
        with self._load_lock:  # the app's sessions share one engine across threads
            if not isinstance(self._lexical, LexicalIndex):
                self._lexical = self._lexical()
            return self._lexical

    def record(self, id: str) -> Abstract:
        """The record with this id (KeyError when the corpus has none)."""
        return self.records[self._row_of[id]]

    @classmethod
    def open(
        cls,
        corpus: str | Path | None = None,
        model: str | None = None,
        progress: bool = True,
        *,
        embedder: Embedder | None = None,
        root: str | Path | None = None,
        build: str = "missing",
        fusion: FusionConfig | None = None,
        index_config: IndexConfig | None = None,
    ) -> Engine:
        """Opens a corpus (default workshop2025), building its index if `build` allows.

        build: "missing" builds only when there is no index, "stale" also rebuilds one made from
        another corpus version or model, "never" only loads.
        """
        if build not in BUILD_POLICIES:
            raise ValueError(f"unknown build policy {build!r}; valid: {', '.join(BUILD_POLICIES)}")
        name, path = resolve_corpus(str(corpus) if corpus else None)
        records = read_records(path)
        config = index_config or IndexConfig()
        model_id = embedder.model_id if embedder else index_model_id(model)
        notify = _stderr if progress else (lambda message: None)
        has_index = (served_folder(name, root) / "manifest.json").is_file()
        records_hash = corpus_hash(records)
        if build == "never" or (build == "missing" and has_index):
            index = load_index(records, name, model_id, root, records_hash)  # refuses with the command to run
            lexical = partial(_open_lexical, index, records)
            return cls(name, records, index, lexical, model, embedder, fusion, notify)
        if has_index:  # build == "stale": serve it if it is this corpus, model and format, intact
            try:
                index = load_index(records, name, model_id, root, records_hash)
                lexical = partial(_open_lexical, index, records)
                return cls(name, records, index, lexical, model, embedder, fusion, notify)
            except IndexMismatchError as err:
                notify(f"rebuilding: {err}")
        notify(f"building the index of {name!r} ({len(records)} records); this happens once")
        embedder = embedder or embedder_for(model, model_id)
        # Token bags are cached beside the embeddings, so a rebuild tokenizes only edited records.
        lexical = build_lexical_index(records, cache_dir=index_folder(name, root).parent / CACHE_FOLDER)
        index = build_index(
            records,
            embedder,
            name,
            root=root,
            config=config,
            progress=notify if progress else None,
            lexical=lexical,
            records_hash=records_hash,
        )
        return cls(name, records, index, lexical, model, embedder, fusion, notify)

    # --- embeddings ---------------------------------------------------------------------------

    @property
    def embeddings(self) -> np.ndarray:
        """Unit rows aligned with `records` (inner product is cosine)."""
        return self.index.embeddings

    def embedder(self) -> Embedder:
        with self._load_lock:  # loaded once, whichever thread asks first
            if self._embedder is None:
                self._embedder = embedder_for(self._model, self.index.manifest.model)
        if self._embedder.model_id != self.index.manifest.model:
            raise IndexMismatchError(
                f"index built with {self.index.manifest.model!r}, query model is "
                f"{self._embedder.model_id!r}; run `abstract-search build --corpus {self.corpus}`"
            )
        return self._embedder

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder().encode(list(texts))

    def prepare_queries(self) -> None:
        """Loads what a query needs that opening did not (the query encoder and the BM25 fields),
        so a page can do it while the person is still typing."""
        self.embed_queries(["warm up"])
        self.lexical.scores(["warm"])

    # --- search -------------------------------------------------------------------------------

    def search(self, query: str, top_k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The best `top_k` records for a query, each with its score breakdown and answer snippet."""
        return self.search_many([query], top_k, filters)[0]

    def search_many(self, queries: Sequence[str], top_k: int = 10, filters: Filters | None = None) -> list[list[Hit]]:
        """Searches several queries with one model call (batch mode)."""
        prepared = []
        for query in queries:
            text, truncated = prepare_query(query)
            # A lone surrogate (undecodable bytes in argv arrive so) cannot reach the tokenizer.
            text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            if truncated:
                _stderr(f"note: the query was {len(query)} characters; searched its first {len(text)}")
            prepared.append(text)
        allowed = filter_mask(self.records, filters)
        vectors = self.embed_queries(prepared)
        return [self._rank(text, vector, top_k, allowed) for text, vector in zip(prepared, vectors, strict=True)]

    def _rank(self, query: str, vector: np.ndarray, top_k: int, allowed: np.ndarray | None) -> list[Hit]:
        lexical_all = self.lexical.scores(query)
        _, dense_rows = self.index.search(vector[None, :], self.fusion.candidates)
        rows = candidate_rows(lexical_all, dense_rows[0], self.fusion.candidates, allowed)
        if len(rows) == 0:
            return []
        dense = self.embeddings[rows] @ vector
        sentence = self._sentence_max(rows, vector, dense) if self.fusion.sentence_weight else None
        fused = fuse(lexical_all[rows], dense, self.fusion, sentence)
        order = top_rows(fused, top_k)
        query_tokens = set(tokenize(query))
        return [
            self._hit(
                int(rows[i]),
                Scores(float(lexical_all[rows[i]]), float(dense[i]), float(fused[i])),
                query_tokens,
                vector,
                rank,
            )
            for rank, i in enumerate(order, start=1)
        ]

    def _sentence_max(self, rows: np.ndarray, vector: np.ndarray, dense: np.ndarray) -> np.ndarray:
        """Best single-sentence cosine per candidate (its whole-text cosine if it has no sentences)."""
        table = self.index.sentences
        if table.vectors is None:
            return dense
        best = np.full(len(self.records), -np.inf)
        np.maximum.at(best, table.row, table.vectors @ vector)
        return np.where(np.isfinite(best[rows]), best[rows], dense)

    def _hit(
        self,
        row: int,
        scores: Scores,
        query_tokens: set[str],
        vector: np.ndarray | None,
        rank: int,
        matched: Sequence[str] = (),
    ) -> Hit:
        record = self.records[row]
        snippet = self._snippet(row, query_tokens, vector)
        people = " ; ".join((record.title, *record.speakers, *record.affiliations))
        extra = [people[s:e] for s, e in matched_spans(people, query_tokens)]
        terms = tuple(dict.fromkeys([*matched, *snippet.matched_terms, *extra]))
        return Hit(
            id=record.id,
            title=record.title,
            speakers=record.speakers,
            kind=record.kind,
            score=scores.fused,
            scores=scores,
            snippet=snippet.text,
            highlights=snippet.highlights,
            matched_terms=terms,
            affiliations=record.affiliations,
            date=record.date,
            session=record.session,
            rank=rank,
            extra=record.extra,
        )

    def _snippet(self, row: int, query_tokens: set[str], vector: np.ndarray | None) -> Snippet:
        record = self.records[row]
        table = self.index.sentences
        if table.vectors is None:  # large corpora store no sentence table: cut this hit's sentences now
            spans, vectors = split_sentences(record.abstract), None
        else:
            which = table.of_record(row)
            spans = list(zip(table.start[which].tolist(), table.end[which].tolist(), strict=True))
            vectors = table.vectors[which]
        if not spans:
            return build_snippet(record.title, [(0, len(record.title))], np.ones(1), query_tokens)
        texts = [record.abstract[s:e] for s, e in spans]
        scores = sentence_scores(texts, query_tokens, self.lexical.idf_, vectors, vector)
        return build_snippet(record.abstract, spans, scores, query_tokens)

    # --- related ------------------------------------------------------------------------------

    def related(self, id: str, k: int = 5) -> list[Hit]:
        """The talks/posters nearest to one record, each with the key terms they share as the reason."""
        if id not in self._row_of:
            sample = ", ".join(list(self._row_of)[:20])
            raise CorpusError(f"no record with id {id!r} in {self.corpus!r}; ids look like: {sample}")
        row = self._row_of[id]
        vector = self.embeddings[row]
        key_terms = self.key_terms(row, 20)
        lexical = self.lexical.scores([token for token, _ in key_terms])
        dense = self.embeddings @ vector
        others = np.flatnonzero(np.arange(len(self.records)) != row)
        fused = fuse(lexical[others], dense[others], self.fusion)
        hits = []
        own = {token: surface for token, surface in self.key_terms(row, 60)}
        for rank, i in enumerate(top_rows(fused, k), start=1):
            other = int(others[i])
            theirs = dict(self.key_terms(other, 60))
            common = sorted((t for t in own if t in theirs), key=lambda t: -self.lexical.idf_.get(t, 0.0))
            shared = [own[token] for token in common[:6]]
            scores = Scores(float(lexical[other]), float(dense[other]), float(fused[i]))
            hits.append(self._hit(other, scores, set(own).intersection(theirs), None, rank, shared))
        return hits

    def key_terms(self, row: int, n: int = 10) -> list[tuple[str, str]]:
        """A record's most distinctive (token, surface word) pairs by tf-idf."""
        record = self.records[row]
        counts: dict[str, int] = {}
        surface: dict[str, str] = {}
        for span in token_spans(record.text):
            for token in span.tokens[:1]:
                counts[token] = counts.get(token, 0) + 1
                surface.setdefault(token, record.text[span.start : span.end])
        weights = {t: (1 + np.log(c)) * self.lexical.idf_.get(t, 0.0) for t, c in counts.items() if not t.isdigit()}
        best = sorted(weights, key=lambda t: -weights[t])[:n]
        return [(t, surface[t]) for t in best]
