"""An on-disk embedding cache keyed by (model id, text hash), so rebuilds embed only what changed.

One folder per model under the cache root holds `vectors.npy` (float32 unit rows) and
`keys.json` (the SHA-256 of each row's text, in row order). Vectors pooled from whole documents
live in their own folder (`<model>@window512`), keyed by the document's hash and, for its
sentences, `<hash>/<start>-<end>`. Plain NumPy and JSON: nothing is pickled, and a cache that
does not parse is ignored and rebuilt rather than trusted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from abstract_search.embed.backends import Embedder, normalize_rows
from abstract_search.records import text_hash, write_atomically

DEFAULT_CACHE_DIR = "<index folder>/_cache"  # resolved when used: the settings may change in tests


def resolve_cache_dir(cache_dir: str | Path | None) -> Path | None:
    """The embedding cache folder: the index folder's _cache/ by default, None for no cache."""
    if cache_dir == DEFAULT_CACHE_DIR:
        from abstract_search.settings import settings

        return settings().index_dir / "_cache"
    return None if cache_dir is None else Path(cache_dir)


def model_folder(cache_dir: Path, model_id: str) -> Path:
    return Path(cache_dir) / re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)


def _load(folder: Path, dimension: int) -> tuple[list[str], np.ndarray]:
    try:
        keys = json.loads((folder / "keys.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "vectors.npy", allow_pickle=False)
        # Rows are only appended and vectors.npy is replaced first, so a save killed between the
        # two renames leaves extra rows at the end: the first len(keys) rows are still right.
        if vectors.ndim != 2 or vectors.shape[0] < len(keys) or vectors.shape[1] != dimension:
            raise ValueError("shape mismatch")
        if vectors.dtype != np.float32:
            raise ValueError("dtype mismatch")
        return list(keys), vectors[: len(keys)]
    except (OSError, ValueError):
        return [], np.zeros((0, dimension), dtype=np.float32)


def _save(folder: Path, keys: list[str], vectors: np.ndarray) -> None:
    """Writes both files via temporary names and renames, vectors first."""
    write_atomically(folder / "vectors.npy", lambda handle: np.save(handle, vectors, allow_pickle=False))
    write_atomically(folder / "keys.json", lambda handle: handle.write(json.dumps(keys).encode()))


def _through_cache(
    folder: Path,
    dimension: int,
    wanted: Sequence[str],
    compute: Callable[[list[str]], tuple[list[str], np.ndarray]],
) -> np.ndarray:
    """The cached rows of `wanted` keys; `compute(missing keys)` makes (keys, rows) for the rest.

    `compute` may return more keys than it was asked for (a document brings its sentences).
    The lock is held only to read and write, never while the model runs.
    """
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / ".lock"))
    with lock:
        keys, vectors = _load(folder, dimension)
    row_of = {key: row for row, key in enumerate(keys)}
    missing = list(dict.fromkeys(key for key in wanted if key not in row_of))
    if missing:
        new_keys, new = compute(missing)
        with lock:  # another process may have added rows meanwhile: merge, then save
            keys, vectors = _load(folder, dimension)
            row_of = {key: row for row, key in enumerate(keys)}
            fresh = [i for i, key in enumerate(new_keys) if key not in row_of]
            for i in fresh:
                row_of[new_keys[i]] = len(keys)
                keys.append(new_keys[i])
            vectors = np.concatenate([vectors, new[fresh]]) if len(vectors) else new[fresh]
            _save(folder, keys, vectors)
    if not wanted:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.ascontiguousarray(vectors[[row_of[key] for key in wanted]])


def embed_with_cache(
    texts: Sequence[str],
    embedder: Embedder,
    cache_dir: str | Path | None = DEFAULT_CACHE_DIR,
    *,
    batch_size: int = 32,
    show_progress: bool = False,
) -> np.ndarray:
    """Unit vectors of `texts` as the model embeds them one by one, embedding only unseen texts.

    `cache_dir=None` disables the cache. Returns float32 rows aligned with `texts`.
    """
    cache_dir = resolve_cache_dir(cache_dir)
    if cache_dir is None:
        return embedder.encode(list(texts), batch_size=batch_size, show_progress=show_progress)
    text_of = {text_hash(text): text for text in texts}

    def compute(missing: list[str]) -> tuple[list[str], np.ndarray]:
        vectors = embedder.encode([text_of[key] for key in missing], batch_size=batch_size, show_progress=show_progress)
        return missing, normalize_rows(vectors)

    folder = model_folder(Path(cache_dir), embedder.model_id)
    return _through_cache(folder, embedder.dimension, [text_hash(text) for text in texts], compute)


def reads_whole_texts(embedder: Embedder) -> bool:
    """Whether the embedder pools document and sentence vectors from one pass (`encode_late`)."""
    return getattr(embedder, "window", 0) > 0 and hasattr(embedder, "encode_late")


def embed_documents(
    texts: Sequence[str],
    embedder: Embedder,
    cache_dir: str | Path | None = DEFAULT_CACHE_DIR,
    *,
    sentence_spans: Sequence[Sequence[tuple[int, int]]] | None = None,
    batch_size: int = 32,
    show_progress: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One unit vector per document, and one per sentence span when `sentence_spans` is given.

    With an embedder that reads whole texts (the ONNX backends) both come from one model pass:
    each document is read in full, in windows of up to 512 tokens, and its vector is the mean
    of all its token states; a sentence's vector is the mean of its own tokens' states
    (`abstract_search.embed.backends.late_chunk`). Other embedders embed the text (as the model cuts it)
    and then each sentence on its own. `sentence_spans[i]` are character spans of `texts[i]`.
    Measured: benchmarks/retrieval_workshop.py and benchmarks/retrieval_scifact.py (train).
    """
    cache_dir = resolve_cache_dir(cache_dir)
    with_sentences = sentence_spans is not None
    spans = [list(s) for s in sentence_spans] if with_sentences else [[] for _ in texts]
    if not reads_whole_texts(embedder):
        documents = embed_with_cache(texts, embedder, cache_dir, batch_size=batch_size, show_progress=show_progress)
        if not with_sentences:
            return documents, None
        pieces = [text[a:b] for text, text_spans in zip(texts, spans, strict=True) for a, b in text_spans]
        return documents, embed_with_cache(
            pieces, embedder, cache_dir, batch_size=batch_size, show_progress=show_progress
        ).reshape(-1, embedder.dimension)
    if cache_dir is None:
        documents, sentences = embedder.encode_late(texts, spans, batch_size=batch_size, show_progress=show_progress)
        return documents, sentences if with_sentences else None
    doc_keys = [text_hash(text) for text in texts]
    sentence_keys = [[f"{key}/{a}-{b}" for a, b in text_spans] for key, text_spans in zip(doc_keys, spans, strict=True)]
    row_of = {key: row for row, key in enumerate(doc_keys)}
    row_of.update({key: row for row, keys in enumerate(sentence_keys) for key in keys})

    def compute(missing: list[str]) -> tuple[list[str], np.ndarray]:
        rows = sorted({row_of[key] for key in missing})
        documents, sentences = embedder.encode_late(
            [texts[r] for r in rows], [spans[r] for r in rows], batch_size=batch_size, show_progress=show_progress
        )
        keys = [doc_keys[r] for r in rows] + [key for r in rows for key in sentence_keys[r]]
        return keys, np.concatenate([documents, sentences])

    folder = model_folder(Path(cache_dir), f"{embedder.model_id}@window{embedder.window}")
    wanted = doc_keys + [key for keys in sentence_keys for key in keys]
    vectors = _through_cache(folder, embedder.dimension, wanted, compute)
    return vectors[: len(texts)], (vectors[len(texts) :] if with_sentences else None)
