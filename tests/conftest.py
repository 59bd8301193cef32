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
BUNDLED = ROOT / "src" / "abstract_search" / "bundled"
BOOK = BUNDLED / "workshop2025_abstract_book.txt"  # the bundled corpus's source, in the repository
WORKSHOP = BUNDLED / "workshop2025.jsonl"


@pytest.fixture(scope="session", autouse=True)
def private_folders(tmp_path_factory):
    """Every test runs with its own data and index folders: a test run never writes to the
    user's data/ or index/ (tests that need other folders set the variables themselves)."""
    saved = {key: os.environ.get(key) for key in ("ABSTRACT_SEARCH_DATA", "ABSTRACT_SEARCH_INDEX")}
    os.environ["ABSTRACT_SEARCH_DATA"] = str(tmp_path_factory.mktemp("data"))
    os.environ["ABSTRACT_SEARCH_INDEX"] = str(tmp_path_factory.mktemp("index"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def fresh_settings():
    """Settings are read once per process; a test that changes the environment gets them anew."""
    from abstract_search.settings import settings

    settings.cache_clear()
    yield
    settings.cache_clear()


class FakeEmbedder:
    """Hashes words into a fixed-size bag-of-words vector: deterministic, instant, no model.

    Texts that share words get similar vectors, which is all plumbing tests need.
    """

    model_id = "fake:hashed-bow-64"
    dimension = 64

    def encode(self, texts, *, batch_size=32, show_progress=False):
        from abstract_search.embed.backends import normalize_rows

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
    from abstract_search.embed.backends import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def workshop_records():
    from abstract_search.records import read_records

    return read_records(WORKSHOP)


# --- search stage: a tiny corpus and an engine over it (fake embedder, private index root) ---

MINI_CORPUS = [
    {
        "id": "T01",
        "title": "Certification of boroxol ring population in vitreous B2O3",
        "kind": "talk",
        "speakers": ["Shingo Urata"],
        "affiliations": ["AGC Inc."],
        "date": "2025-08-08",
        "session": "MLIP",
        "tags": ["MLIP"],
        "abstract": "We certify the boroxol ring population in B2O3 glass. The fraction is "
        "0.75 as in Fig. 1. Machine learning potentials were trained on DFT data.",
    },
    {
        "id": "T02",
        "title": "Effect of forming procedure on network glasses",
        "kind": "talk",
        "speakers": ["Jincheng Du"],
        "affiliations": ["University of North Texas"],
        "date": "2025-08-07",
        "session": "MD/MC",
        "tags": ["MD"],
        "abstract": "The quench rate changes the glass structure. Faster "
        "cooling gives a higher fictive temperature, as Smith et al. reported.",
    },
    {
        "id": "T03",
        "title": "Alkali ions in mixed lithium-sodium silicates",
        "kind": "talk",
        "speakers": ["Alastair N. Cormack"],
        "affiliations": ["Alfred University"],
        "date": "2025-08-06",
        "session": "MD",
        "tags": ["MD"],
        "abstract": "Lithium and sodium environments in mixed alkali "
        "silicates from molecular dynamics. Li⁺ ions cluster near non-bridging oxygens.",
    },
    {
        "id": "P01",
        "title": "Novel electronic-conductive Nb2O5-BaO-SiO2 glass-ceramics",
        "kind": "poster",
        "speakers": ["Tetsuya Nakashima"],
        "affiliations": ["AGC Inc."],
    },
]


@pytest.fixture()
def mini_corpus(tmp_path):
    import json

    path = tmp_path / "mini.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in MINI_CORPUS), encoding="utf-8")
    return path


@pytest.fixture()
def mini_engine(mini_corpus, tmp_path, fake_embedder):
    from abstract_search.search.engine import Engine

    return Engine.open(mini_corpus, embedder=fake_embedder, root=tmp_path / "index", progress=False)


@pytest.fixture()
def fake_cli(monkeypatch, tmp_path, fake_embedder):
    """Points the CLI (and the engines it opens) at private data and index roots and the fake embedder."""
    import abstract_search.embed.backends as embed
    import abstract_search.search.engine as engine

    monkeypatch.setenv("ABSTRACT_SEARCH_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("ABSTRACT_SEARCH_DATA", str(tmp_path / "data"))  # topic seeds and edits land here
    monkeypatch.setattr(engine, "load_embedder", lambda model=None: fake_embedder)
    monkeypatch.setattr(embed, "load_embedder", lambda model=None: fake_embedder)
    monkeypatch.setattr(engine, "index_model_id", lambda model=None: fake_embedder.model_id)
    return tmp_path


def write_file(folder: Path, name: str, content: str | bytes) -> Path:
    """A file in `folder` holding `content` (text is written as UTF-8)."""
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def import_error(path: Path, **options) -> str:
    """The message of the CorpusError that ingesting `path` raises (the test fails when none is)."""
    from abstract_search.ingest import ingest_file
    from abstract_search.records import CorpusError

    with pytest.raises(CorpusError) as err:
        ingest_file(path, **options)
    return str(err.value)


def run_python(code: str) -> str:
    """Runs a snippet in a fresh interpreter (to see what it imports) and returns its stdout."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
