"""An on-disk embedding cache keyed by (model id, text hash), so rebuilds embed only what changed.

One folder per model under the cache root holds `vectors.npy` (float32 unit rows) and
`keys.json` (the SHA-256 of each row's text, in row order). Plain NumPy and JSON: nothing is
pickled, and a cache that does not parse is ignored and rebuilt rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from abstract_search.embed import Embedder, normalize_rows

INDEX_ROOT = Path(os.environ.get("ABSTRACT_SEARCH_INDEX", Path(__file__).resolve().parents[2] / "index"))
DEFAULT_CACHE_DIR = INDEX_ROOT / "_cache"


def text_key(text: str) -> str:
    """The cache key of a text: SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    folder.mkdir(parents=True, exist_ok=True)
    for name, write in (
        ("vectors.npy", lambda handle: np.save(handle, vectors, allow_pickle=False)),
        ("keys.json", lambda handle: handle.write(json.dumps(keys).encode())),
    ):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def embed_with_cache(
    texts: Sequence[str],
    embedder: Embedder,
    cache_dir: str | Path | None = DEFAULT_CACHE_DIR,
    *,
    batch_size: int = 32,
    show_progress: bool = False,
) -> np.ndarray:
    """Unit vectors of `texts`, embedding only texts the cache has not seen with this model.

    `cache_dir=None` disables the cache. Returns float32 rows aligned with `texts`.
    """
    if cache_dir is None:
        return embedder.encode(list(texts), batch_size=batch_size, show_progress=show_progress)
    from filelock import FileLock

    folder = model_folder(Path(cache_dir), embedder.model_id)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / ".lock"))
    wanted = [text_key(text) for text in texts]
    with lock:  # held only to read and write, never while the model runs
        keys, vectors = _load(folder, embedder.dimension)
    row_of = {key: row for row, key in enumerate(keys)}
    missing = list(dict.fromkeys(key for key in wanted if key not in row_of))
    if missing:
        text_of = dict(zip(wanted, texts, strict=True))
        new = normalize_rows(
            embedder.encode([text_of[key] for key in missing], batch_size=batch_size, show_progress=show_progress)
        )
        with lock:  # another process may have added rows meanwhile: merge, then save
            keys, vectors = _load(folder, embedder.dimension)
            row_of = {key: row for row, key in enumerate(keys)}
            fresh = [i for i, key in enumerate(missing) if key not in row_of]
            for i in fresh:
                row_of[missing[i]] = len(keys)
                keys.append(missing[i])
            vectors = np.concatenate([vectors, new[fresh]]) if len(vectors) else new[fresh]
            _save(folder, keys, vectors)
    if not wanted:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.ascontiguousarray(vectors[[row_of[key] for key in wanted]])


def chunk_text(text: str, words: int = 128, overlap: int = 32) -> list[str]:
    """Overlapping windows of `words` words (the whole text when it is short enough).

    MiniLM reads only 256 word pieces (about 180 words); a longer abstract is embedded as the
    mean of its windows so its second half still counts.
    """
    tokens = text.split()
    if words <= 0 or len(tokens) <= words:
        return [text]
    step = max(words - overlap, 1)
    return [" ".join(tokens[i : i + words]) for i in range(0, max(len(tokens) - overlap, 1), step)]


def embed_documents(
    texts: Sequence[str],
    embedder: Embedder,
    cache_dir: str | Path | None = DEFAULT_CACHE_DIR,
    *,
    chunk_words: int = 128,
    batch_size: int = 32,
    show_progress: bool = False,
) -> np.ndarray:
    """One unit vector per document: its whole-text vector plus the mean of its chunks' vectors.

    The whole text (as the model reads it: title first, cut at 256 word pieces) keeps the
    title's weight; the chunk mean brings in the rest of a long abstract. A text of at most
    `chunk_words` words is its own single chunk, so its vector is just its embedding.
    Measured: benchmarks/retrieval_scifact.py (train) and benchmarks/retrieval_workshop.py.
    `chunk_words=0` gives the whole-text vectors alone (one model pass, the plain model's vectors).
    """
    if chunk_words <= 0:
        return embed_with_cache(texts, embedder, cache_dir, batch_size=batch_size, show_progress=show_progress)
    pieces, owner = list(texts), list(range(len(texts)))
    for row, text in enumerate(texts):
        for piece in chunk_text(text, chunk_words):
            pieces.append(piece)
            owner.append(len(texts) + row)
    vectors = embed_with_cache(pieces, embedder, cache_dir, batch_size=batch_size, show_progress=show_progress)
    dimension = vectors.shape[1] if len(vectors) else embedder.dimension
    chunk_sums = np.zeros((2 * len(texts), dimension), dtype=np.float64)
    np.add.at(chunk_sums, np.asarray(owner, dtype=np.int64), vectors)
    whole, chunk_mean = chunk_sums[: len(texts)], normalize_rows(chunk_sums[len(texts) :])
    return normalize_rows(whole + chunk_mean)
