"""The dense index: FAISS over unit vectors, persisted with a manifest, built atomically.

`index/<corpus>/` holds `manifest.json` (model, dimension, corpus hash, record count, library
versions, build time), `dense.faiss`, `embeddings.npy` (rows aligned with the corpus),
`sentences.json` + `sentence_vectors.npy` (answer-sentence spans and their vectors). JSON,
NumPy and FAISS files only. A build writes a temporary folder and renames it into place under
a file lock, so a failed build leaves the previous index intact and two builds never mix.
Exact inner-product search by default; HNSW above `IndexConfig.approximate_above` vectors.
faiss is imported inside the functions that use it, and nothing here imports torch.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from abstract_search.embed import Embedder
from abstract_search.embed_cache import INDEX_ROOT, embed_documents, embed_with_cache
from abstract_search.records import Abstract, CorpusError, corpus_hash
from abstract_search.snippets import split_sentences

FORMAT_VERSION = 3  # bump whenever what is stored, or how documents are embedded, changes
CACHE_FOLDER = "_cache"


class IndexMismatchError(CorpusError):
    """A built index does not belong to this corpus or model; the message says what to run."""


@dataclass(frozen=True)
class IndexConfig:
    """How the dense index is built. HNSW only pays off for large corpora."""

    approximate_above: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 128
    sentence_vectors: bool = True
    batch_size: int = 32
    chunk_words: int = 128


@dataclass(frozen=True)
class Manifest:
    """What an index was built from; loading refuses anything else."""

    corpus: str
    corpus_hash: str
    records: int
    model: str
    dimension: int
    index_type: str
    versions: dict
    built_at: str
    chunk_words: int = 0
    format: int = FORMAT_VERSION

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown manifest field(s) {', '.join(unknown)}")
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {data.get('format')}, expected {FORMAT_VERSION}")
        return cls(**data)


def index_folder(corpus: str, root: str | Path | None = None) -> Path:
    """index/<corpus>/ (the root is `ABSTRACT_SEARCH_INDEX` or the project's index/ folder)."""
    if corpus.startswith(("_", ".")) or corpus != Path(corpus).name:
        raise CorpusError(f"corpus name {corpus!r} cannot name an index folder; rename the .jsonl file")
    return Path(root or INDEX_ROOT) / corpus


def library_versions() -> dict:
    import bm25s
    import faiss

    return {"faiss": faiss.__version__, "numpy": np.__version__, "bm25s": bm25s.__version__}


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

    def __init__(self, manifest: Manifest, embeddings: np.ndarray, faiss_index, sentences: SentenceTable):
        self.manifest = manifest
        self.embeddings = embeddings
        self.faiss_index = faiss_index
        self.sentences = sentences

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


def build_index(
    records: Sequence[Abstract],
    embedder: Embedder,
    corpus: str,
    *,
    root: str | Path | None = None,
    config: IndexConfig = IndexConfig(),
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> DenseIndex:
    """Embeds the records (through the cache), builds FAISS, and swaps the folder in atomically.

    The embedding cache lives in `<root>/_cache/`, shared by every corpus under that root.
    """
    from filelock import FileLock

    say = progress or (lambda message: None)
    folder = index_folder(corpus, root)
    cache_dir = folder.parent / CACHE_FOLDER if use_cache else None
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.parent / f".{corpus}.lock")):
        say(f"embedding {len(records)} records with {embedder.model_id}")
        embeddings = embed_documents(
            [r.text for r in records],
            embedder,
            cache_dir,
            chunk_words=config.chunk_words,
            batch_size=config.batch_size,
            show_progress=progress is not None,
        )
        rows, starts, ends = sentence_spans(records)
        sentence_vectors = None
        if config.sentence_vectors and len(rows):
            say(f"embedding {len(rows)} abstract sentences for answer snippets")
            texts = [records[r].abstract[s:e] for r, s, e in zip(rows, starts, ends, strict=True)]
            sentence_vectors = embed_with_cache(
                texts, embedder, cache_dir, batch_size=config.batch_size, show_progress=progress is not None
            )
        faiss_index = make_faiss_index(embeddings, config)
        manifest = Manifest(
            corpus=corpus,
            corpus_hash=corpus_hash(records),
            records=len(records),
            model=embedder.model_id,
            dimension=int(embeddings.shape[1]),
            index_type="hnsw" if len(records) > config.approximate_above else "flat",
            versions=library_versions(),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            chunk_words=config.chunk_words,
        )
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{corpus}.building-"))
        tmp.chmod(0o755)  # mkdtemp makes it private; the index is readable like any build output
        try:
            _write(tmp, manifest, embeddings, faiss_index, (rows, starts, ends), sentence_vectors)
            _swap_into_place(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        say(f"index written to {folder}")
    return DenseIndex(manifest, embeddings, faiss_index, SentenceTable(rows, starts, ends, sentence_vectors))


def _write(folder: Path, manifest: Manifest, embeddings, faiss_index, spans, sentence_vectors) -> None:
    import faiss

    np.save(folder / "embeddings.npy", embeddings, allow_pickle=False)
    faiss.write_index(faiss_index, str(folder / "dense.faiss"))
    rows, starts, ends = spans
    (folder / "sentences.json").write_text(
        json.dumps({"row": rows.tolist(), "start": starts.tolist(), "end": ends.tolist()}), encoding="utf-8"
    )
    if sentence_vectors is not None:
        np.save(folder / "sentence_vectors.npy", sentence_vectors, allow_pickle=False)
    # The manifest goes last: a folder without one is never loaded.
    (folder / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")


def _swap_into_place(tmp: Path, folder: Path) -> None:
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    if folder.exists():
        os.replace(folder, old)
    try:
        os.replace(tmp, folder)
    except BaseException:
        if old.exists():
            os.replace(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(corpus: str, root: str | Path | None = None) -> Manifest | None:
    path = index_folder(corpus, root) / "manifest.json"
    if not path.is_file():
        return None
    try:
        return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as err:
        raise IndexMismatchError(
            f"{path}: unreadable manifest ({err}); run `abstract-search build --corpus {corpus}`"
        ) from None


def check_manifest(manifest: Manifest, records: Sequence[Abstract], model_id: str, corpus: str) -> None:
    """Refuses an index built from other records, another model or another format."""
    fix = f"run `abstract-search build --corpus {corpus}` to rebuild it"
    if manifest.format != FORMAT_VERSION:
        raise IndexMismatchError(f"index of {corpus!r} has format {manifest.format}, expected {FORMAT_VERSION}; {fix}")
    if manifest.model != model_id:
        raise IndexMismatchError(
            f"index of {corpus!r} was built with model {manifest.model!r}, not {model_id!r}; {fix} "
            f"(or pass --model {manifest.model})"
        )
    if manifest.records != len(records) or manifest.corpus_hash != corpus_hash(records):
        raise IndexMismatchError(
            f"index of {corpus!r} was built from a different version of the corpus "
            f"({manifest.records} records then, {len(records)} now); {fix}"
        )


def load_index(records: Sequence[Abstract], corpus: str, model_id: str, root: str | Path | None = None) -> DenseIndex:
    """Loads index/<corpus>/ after checking its manifest against the records and the model."""
    import faiss

    manifest = read_manifest(corpus, root)
    if manifest is None:
        raise IndexMismatchError(f"no index for corpus {corpus!r}; run `abstract-search build --corpus {corpus}`")
    check_manifest(manifest, records, model_id, corpus)
    folder = index_folder(corpus, root)
    embeddings = np.load(folder / "embeddings.npy", allow_pickle=False)
    faiss_index = faiss.read_index(str(folder / "dense.faiss"))
    if isinstance(faiss_index, faiss.IndexHNSWFlat):
        faiss_index.hnsw.efSearch = IndexConfig().hnsw_ef_search
    spans = json.loads((folder / "sentences.json").read_text(encoding="utf-8"))
    vectors_path = folder / "sentence_vectors.npy"
    sentence_vectors = np.load(vectors_path, allow_pickle=False) if vectors_path.is_file() else None
    table = SentenceTable(
        *(np.asarray(spans[key], dtype=np.int64) for key in ("row", "start", "end")), sentence_vectors
    )
    return DenseIndex(manifest, embeddings, faiss_index, table)
