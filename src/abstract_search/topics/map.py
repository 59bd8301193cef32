"""The map: a 2-D UMAP layout of the corpus, and placing new texts and queries on it.

The layout is computed once (fixed seed, n_neighbors adapted to the corpus size) and saved
as layout.npy + layout.json. New texts are placed without re-running UMAP: a point lands at
the similarity-weighted average of the positions of its k most similar corpus items
(weights exp(similarity / temperature)). We chose this over UMAP's own `transform` because
that needs the fitted UMAP object, which could only be saved by pickling (not allowed), and
because it is instant, deterministic and puts a query among the talks it is most similar to,
which is what a reader of the map expects; a text identical to an item lands on that item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abstract_search.embed.backends import normalize_rows

FORMAT_VERSION = 1
LAYOUT_FILE = "layout.npy"
LAYOUT_META = "layout.json"


@dataclass(frozen=True, eq=False)
class MapLayout:
    """2-D positions of the corpus items (one row per record, same order as the index)."""

    coordinates: np.ndarray  # (n, 2) float32
    n_neighbors: int
    random_state: int
    method: str  # "umap", or "fixed" for corpora too small for UMAP


def map_neighbours_for(n_items: int) -> int:
    """UMAP's n_neighbors for the map: 15 for big corpora, about a third of a tiny one."""
    return int(max(2, min(15, n_items // 3)))


def compute_layout(embeddings: np.ndarray, random_state: int = 0, fit_sample: int = 20000) -> MapLayout:
    """Lays the corpus out in 2-D with UMAP (cosine), deterministic for a fixed random_state.

    Corpora bigger than `fit_sample` fit UMAP on a random sample of that size and place the
    rest with UMAP's own transform (in memory, during this call only), to keep 50,000 items
    to minutes on a CPU.
    """
    vectors = normalize_rows(embeddings)
    n_items = len(vectors)
    if n_items < 4:  # UMAP needs a few neighbours; place tiny corpora on a line, in order
        coordinates = np.column_stack([np.arange(n_items, dtype=np.float32), np.zeros(n_items)])
        return MapLayout(coordinates.astype(np.float32), 0, random_state, "fixed")
    import umap

    n_neighbors = map_neighbours_for(n_items)
    reducer = umap.UMAP(
        n_neighbors=n_neighbors,
        n_components=2,
        min_dist=0.1,
        metric="cosine",
        init="spectral" if n_items > 50 else "pca",
        random_state=random_state,
        n_jobs=1,
    )
    if n_items <= fit_sample:
        coordinates = np.asarray(reducer.fit_transform(vectors), dtype=np.float32)
        return MapLayout(coordinates, n_neighbors, random_state, "umap")
    sample = np.sort(np.random.default_rng(random_state).choice(n_items, size=fit_sample, replace=False))
    coordinates = np.empty((n_items, 2), dtype=np.float32)
    coordinates[sample] = reducer.fit_transform(vectors[sample])
    rest = np.setdiff1d(np.arange(n_items), sample)
    coordinates[rest] = reducer.transform(vectors[rest])
    return MapLayout(coordinates, n_neighbors, random_state, "umap-sampled")


def place_on_map(
    new_embeddings: np.ndarray,
    corpus_embeddings: np.ndarray,
    layout: MapLayout,
    *,
    k: int = 5,
    temperature: float = 0.05,
) -> np.ndarray:
    """2-D positions for new texts or queries on an existing map, shape (m, 2).

    Each point is the weighted mean of the positions of its k most similar corpus items,
    with weights exp(similarity / temperature): the nearest items dominate, a tie splits.
    """
    queries = normalize_rows(new_embeddings)
    corpus = normalize_rows(corpus_embeddings)
    if len(corpus) != len(layout.coordinates):
        raise ValueError(f"the map has {len(layout.coordinates)} points but {len(corpus)} embeddings")
    similarity = queries @ corpus.T
    k = min(k, len(corpus))
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    sims = np.take_along_axis(similarity, nearest, axis=1)
    weights = np.exp((sims - sims[:, :1]) / temperature)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("mk,mkd->md", weights, layout.coordinates[nearest]).astype(np.float32)


def save_layout(layout: MapLayout, folder: str | Path) -> Path:
    """Writes layout.npy (coordinates) and layout.json (how they were made) into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / LAYOUT_FILE, np.asarray(layout.coordinates, dtype=np.float32), allow_pickle=False)
    meta = {
        "format_version": FORMAT_VERSION,
        "n_items": int(len(layout.coordinates)),
        "n_neighbors": layout.n_neighbors,
        "random_state": layout.random_state,
        "method": layout.method,
    }
    (folder / LAYOUT_META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return folder


def load_layout(folder: str | Path) -> MapLayout:
    """Reads what save_layout wrote; refuses a mismatched or foreign layout."""
    folder = Path(folder)
    meta_path = folder / LAYOUT_META
    if not meta_path.is_file():
        raise FileNotFoundError(f"{meta_path}: no saved map layout (compute it first)")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{meta_path}: format version {meta.get('format_version')}, expected {FORMAT_VERSION}")
    coordinates = np.load(folder / LAYOUT_FILE, allow_pickle=False)
    if coordinates.shape != (meta["n_items"], 2):
        raise ValueError(f"{folder / LAYOUT_FILE}: shape {coordinates.shape}, expected ({meta['n_items']}, 2)")
    return MapLayout(coordinates, meta["n_neighbors"], meta["random_state"], meta["method"])
