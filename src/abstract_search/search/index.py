"""The dense index: FAISS over unit vectors, persisted with a manifest, built atomically.

`index/<corpus>/` holds `manifest.json` (model, dimension, corpus hash, record count, library
versions, build time), `dense.faiss`, `embeddings.npy` (rows aligned with the corpus),
`sentences.json` + `sentence_vectors.npy` (answer-sentence spans and their vectors) and
`bm25/` (the saved BM25 arrays, so opening a large corpus does not re-tokenize it). JSON,
NumPy (allow_pickle=False) and FAISS files only; the manifest holds every file's size and
CRC-32, so a truncated or damaged file is refused on load instead of served.
A build writes a temporary folder and renames it into place under a file lock, so a failed or
killed build leaves the previous index intact and two builds never mix; readers also find the
previous index in the instant between the two renames of a swap. The manifest and its checks
are in `abstract_search.search.manifest`, the folder rules of that swap in
`abstract_search.search.storage`; this module builds, writes and opens the index.
Exact inner-product search by default (about 10 ms per query at 51k vectors); HNSW only above
`IndexConfig.approximate_above` vectors. faiss is imported inside the functions that use it,
and nothing here imports torch.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abstract_search.embed.backends import Embedder
from abstract_search.embed.cache import embed_documents, reads_whole_texts
from abstract_search.records import Abstract, corpus_hash
from abstract_search.search.manifest import (
    FORMAT_VERSION,
    IndexMismatchError,
    Manifest,
    check_manifest,
    library_versions,
    read_manifest,
    seal_manifest,
    verify_files,
)
from abstract_search.search.snippets import split_sentences
from abstract_search.search.storage import clean_leftovers, index_folder, served_folder, swap_into_place

__all__ = [
    "CACHE_FOLDER",
    "FORMAT_VERSION",
    "LEXICAL_FOLDER",
    "DenseIndex",
    "IndexConfig",
    "IndexMismatchError",
    "Manifest",
    "SentenceTable",
    "build_index",
    "check_manifest",
    "faiss_search",
    "index_folder",
    "library_versions",
    "load_index",
    "make_faiss_index",
    "read_manifest",
    "sentence_spans",
    "served_folder",
    "verify_files",
]

CACHE_FOLDER = "_cache"
LEXICAL_FOLDER = "bm25"


@dataclass(frozen=True)
class IndexConfig:
    """How the dense index is built.

    Sentence vectors come from the same model pass as the documents' (late chunking), so they
    cost no model time; they are stored only for corpora of at most `sentence_vectors_up_to`
    records (a program book, a journal volume), as they take about ten times the documents'
    space. Larger corpora get lexical snippets. HNSW only pays off far beyond 51k vectors
    (benchmarks/scale.py), and an exact index is rebuilt from the stored embeddings in
    milliseconds, which keeps rebuilds after a small edit cheap.
    """

    approximate_above: int = 250_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 128
    sentence_vectors: bool = True
    batch_size: int = 32
    sentence_vectors_up_to: int = 2_000

    def sentence_vectors_for(self, records: int) -> bool:
        return self.sentence_vectors and records <= self.sentence_vectors_up_to


# --- the FAISS backend ----------------------------------------------------------------------


def make_faiss_index(vectors: np.ndarray, config: IndexConfig = IndexConfig(), kind: str | None = None):
    """An exact (flat inner product) or HNSW index over unit rows."""
    import faiss

    kind = kind or ("hnsw" if len(vectors) > config.approximate_above else "flat")
    dimension = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dimension)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = config.hnsw_ef_construction
        index.hnsw.efSearch = config.hnsw_ef_search
    else:
        raise ValueError(f"unknown index type {kind!r}; valid: flat, hnsw")
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def faiss_search(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows) of the k best rows per query; rows are -1 past the end of a short corpus."""
    k = max(1, min(k, index.ntotal))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)


# --- built index ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SentenceTable:
    """Sentence spans of every record's abstract: sentence i is records[row[i]].abstract[start:end]."""

    row: np.ndarray
    start: np.ndarray
    end: np.ndarray
    vectors: np.ndarray | None

    def of_record(self, row: int) -> np.ndarray:
        return np.flatnonzero(self.row == row)


class DenseIndex:
    """A loaded or freshly built index: manifest, embeddings, FAISS index, sentence table."""

    def __init__(self, manifest: Manifest, embeddings: np.ndarray, faiss_index, sentences: SentenceTable, folder: Path):
        self.manifest = manifest
        self.embeddings = embeddings
        self.faiss_index = faiss_index
        self.sentences = sentences
        self.folder = folder

    def search(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return faiss_search(self.faiss_index, query_vectors, k)


def sentence_spans(records: Sequence[Abstract]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, starts, ends = [], [], []
    for row, record in enumerate(records):
        for start, end in split_sentences(record.abstract):
            rows.append(row)
            starts.append(start)
            ends.append(end)
    as_int = lambda values: np.asarray(values, dtype=np.int64)  # noqa: E731
    return as_int(rows), as_int(starts), as_int(ends)


def _text_spans(records: Sequence[Abstract], rows, starts, ends) -> list[list[tuple[int, int]]]:
    """Each record's sentence spans moved from its abstract into its `text` (title first)."""
    shift = [len(r.text) - len(r.abstract) if r.text.endswith(r.abstract) else r.text.find(r.abstract) for r in records]
    out: list[list[tuple[int, int]]] = [[] for _ in records]
    for row, start, end in zip(rows.tolist(), starts.tolist(), ends.tolist(), strict=True):
        out[row].append((start + shift[row], end + shift[row]))
    return out


def build_index(
    records: Sequence[Abstract],
    embedder: Embedder,
    corpus: str,
    *,
    root: str | Path | None = None,
    config: IndexConfig = IndexConfig(),
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
    lexical=None,
    records_hash: str | None = None,
) -> DenseIndex:
    """Embeds the records (through the cache), builds FAISS, and swaps the folder in atomically.

    The embedding cache lives in `<root>/_cache/`, shared by every corpus under that root, so a
    rebuild after editing a few records embeds only those. `lexical` (a fitted
    `abstract_search.search.lexical.LexicalIndex`) is saved with the index when given; `records_hash`
    is `corpus_hash(records)` when the caller has it already (it costs seconds at 50k records).
    """
    from filelock import FileLock

    say = progress or (lambda message: None)
    folder = index_folder(corpus, root)
    cache_dir = folder.parent / CACHE_FOLDER if use_cache else None
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.parent / f".{corpus}.lock")):
        clean_leftovers(folder)
        say(f"embedding {len(records)} records with {embedder.model_id}")
        # Without sentence vectors the spans are cut per hit at query time (Engine._snippet).
        with_vectors = config.sentence_vectors_for(len(records))
        rows, starts, ends = sentence_spans(records if with_vectors else [])
        embeddings, sentence_vectors = embed_documents(
            [r.text for r in records],
            embedder,
            cache_dir,
            sentence_spans=_text_spans(records, rows, starts, ends) if with_vectors else None,
            batch_size=config.batch_size,
            show_progress=progress is not None,
        )
        if sentence_vectors is not None and not len(sentence_vectors):
            sentence_vectors = None
        index_type = "hnsw" if len(records) > config.approximate_above else "flat"
        faiss_index = make_faiss_index(embeddings, config, index_type)
        manifest = Manifest(
            corpus=corpus,
            corpus_hash=records_hash or corpus_hash(records),
            records=len(records),
            model=embedder.model_id,
            dimension=int(embeddings.shape[1]),
            index_type=index_type,
            versions=library_versions(),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            window_tokens=getattr(embedder, "window", 0) if reads_whole_texts(embedder) else 0,
        )
        say("writing the index")
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{corpus}.building-"))
        tmp.chmod(0o755)  # mkdtemp makes it private; the index is readable like any build output
        try:
            _write(tmp, manifest, embeddings, faiss_index, (rows, starts, ends), sentence_vectors)
            if lexical is not None:
                lexical.save(tmp / LEXICAL_FOLDER)
            manifest = seal_manifest(tmp, manifest)  # the manifest goes last: a folder without one is never loaded
            swap_into_place(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        say(f"index written to {folder}")
    table = SentenceTable(rows, starts, ends, sentence_vectors)
    return DenseIndex(manifest, embeddings, faiss_index, table, folder)


def _write(folder: Path, manifest: Manifest, embeddings, faiss_index, spans, sentence_vectors) -> None:
    """The index's data files (the manifest is written after them, by `seal_manifest`)."""
    np.save(folder / "embeddings.npy", embeddings, allow_pickle=False)
    if manifest.index_type != "flat":  # a flat index is rebuilt from embeddings.npy on load
        import faiss

        faiss.write_index(faiss_index, str(folder / "dense.faiss"))
    rows, starts, ends = spans
    (folder / "sentences.json").write_text(
        json.dumps({"row": rows.tolist(), "start": starts.tolist(), "end": ends.tolist()}), encoding="utf-8"
    )
    if sentence_vectors is not None:
        np.save(folder / "sentence_vectors.npy", sentence_vectors, allow_pickle=False)


def load_index(
    records: Sequence[Abstract],
    corpus: str,
    model_id: str,
    root: str | Path | None = None,
    records_hash: str | None = None,
) -> DenseIndex:
    """Loads index/<corpus>/ after checking its manifest against the records, the model and its files."""
    for attempt in range(3):
        manifest = read_manifest(corpus, root)
        if manifest is None:
            raise IndexMismatchError(f"no index for corpus {corpus!r}; run `abstract-search build --corpus {corpus}`")
        check_manifest(manifest, records, model_id, corpus, records_hash)
        folder = served_folder(corpus, root)
        try:
            verify_files(folder, manifest, corpus)
            return _load_files(folder, manifest, records, corpus)
        except IndexMismatchError:
            if attempt == 2 or read_manifest(corpus, root) == manifest:
                raise  # damaged, not merely swapped by a build that finished meanwhile
    raise AssertionError("unreachable")


def _load_files(folder: Path, manifest: Manifest, records: Sequence[Abstract], corpus: str) -> DenseIndex:
    import faiss

    fix = f"run `abstract-search build --corpus {corpus}` to rebuild it"
    try:
        embeddings = np.load(folder / "embeddings.npy", allow_pickle=False)
        if manifest.index_type == "flat":
            faiss_index = make_faiss_index(embeddings, kind="flat")
        else:
            faiss_index = faiss.read_index(str(folder / "dense.faiss"))
            if isinstance(faiss_index, faiss.IndexHNSWFlat):
                faiss_index.hnsw.efSearch = IndexConfig().hnsw_ef_search
        spans = json.loads((folder / "sentences.json").read_text(encoding="utf-8"))
        vectors_path = folder / "sentence_vectors.npy"
        sentence_vectors = np.load(vectors_path, allow_pickle=False) if vectors_path.is_file() else None
        table = SentenceTable(
            *(np.asarray(spans[key], dtype=np.int64) for key in ("row", "start", "end")), sentence_vectors
        )
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        raise IndexMismatchError(f"index of {corpus!r} in {folder} cannot be read ({err}); {fix}") from None
    shape = (manifest.records, manifest.dimension)
    problems = []
    if embeddings.shape != shape or embeddings.dtype != np.float32:
        problems.append(f"embeddings are {embeddings.dtype}{list(embeddings.shape)}, expected float32{list(shape)}")
    if faiss_index.ntotal != manifest.records or faiss_index.d != manifest.dimension:
        problems.append(f"the FAISS index holds {faiss_index.ntotal}x{faiss_index.d} vectors")
    if not len(table.row) == len(table.start) == len(table.end):
        problems.append("sentence spans have unequal lengths")
    elif len(table.row) and (table.row.min() < 0 or table.row.max() >= len(records)):
        problems.append("sentence spans point past the records")
    if sentence_vectors is not None and sentence_vectors.shape != (len(table.row), manifest.dimension):
        problems.append(f"sentence vectors are {list(sentence_vectors.shape)}")
    if problems:
        raise IndexMismatchError(f"index of {corpus!r} in {folder} is inconsistent: {'; '.join(problems)}; {fix}")
    return DenseIndex(manifest, embeddings, faiss_index, table, folder)
