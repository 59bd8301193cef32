"""Shared fixtures: a deterministic fake embedder for plumbing, the real model once per session."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT.parent / "shared" / "corpus" / "workshop2025_abstract_book.txt"
WORKSHOP = ROOT / "data" / "workshop2025.jsonl"


class FakeEmbedder:
    """Hashes words into a fixed-size bag-of-words vector: deterministic, instant, no model.

    Texts that share words get similar vectors, which is all plumbing tests need.
    """

    model_id = "fake:hashed-bow-64"
    dimension = 64

    def encode(self, texts, *, batch_size=32, show_progress=False):
        from abstract_search.embed import normalize_rows

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in str(text).lower().split():
                bucket = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dimension
                out[row, bucket] += 1.0
            out[row, 0] += 1e-3  # never an all-zero row
        return normalize_rows(out)


@pytest.fixture(scope="session")
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled all-MiniLM-L6-v2, loaded once for the whole test session."""
    from abstract_search.embed import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def workshop_records():
    from abstract_search.records import read_records

    return read_records(WORKSHOP)
