"""Shared loader for the EMNLP 2020 evaluation data (papers, tracks, organizer sessions).

Embeddings of title + abstract with the bundled model are cached under
index/_bench/ so the topic and session benchmarks embed the 810 papers once.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EMNLP_DIR = ROOT.parent / "shared" / "eval" / "emnlp2020"
CACHE_DIR = ROOT / "index" / "_bench"


@dataclass(frozen=True)
class Paper:
    uid: str
    title: str
    abstract: str
    track: str  # "" for demo papers
    session: str

    @property
    def text(self) -> str:
        """What is embedded, clustered and labelled: the title, then the abstract."""
        return f"{self.title}. {self.abstract}"


def load_papers(data_dir: Path = EMNLP_DIR) -> list[Paper]:
    """The 810 main + demo papers that the organizers put in sessions, in session-file order."""
    rows = {}
    for name in ("main_papers.csv", "demo_papers.csv"):
        with open(data_dir / name, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows[row["UID"]] = row
    papers = []
    with open(data_dir / "paper_sessions.tsv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            uid, session_id, *_ = line.rstrip("\n").split("\t")
            row = rows[uid]
            track = row.get("track", "") if uid.startswith("main.") else ""
            papers.append(Paper(uid, row["title"], row["abstract"], track, session_id))
    return papers


def load_sessions(data_dir: Path = EMNLP_DIR) -> list[dict]:
    with open(data_dir / "sessions.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def paper_embeddings(papers: list[Paper], model: str | None = None) -> np.ndarray:
    """Unit vectors of title + abstract, cached on disk by model and paper ids."""
    from abstract_search.embed.backends import load_embedder, resolve_model

    model_id, _ = resolve_model(model)
    key = hashlib.sha256("\n".join([model_id, *(p.uid for p in papers)]).encode()).hexdigest()[:12]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    safe = model_id.replace("/", "_").replace(":", "_")
    path = CACHE_DIR / f"emnlp2020_{safe}_{len(papers)}_{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = load_embedder(model).encode([p.text for p in papers], show_progress=True)
    np.save(path, vectors)
    return vectors


def build_embeddings(papers: list[Paper]) -> np.ndarray:
    """Title + abstract vectors as `abstract-search build` makes them (int8, whole documents)."""
    from abstract_search.embed.cache import embed_documents
    from abstract_search.search.engine import embedder_for, index_model_id

    embedder = embedder_for(None, index_model_id(None))
    texts = [p.text for p in papers]
    return embed_documents(texts, embedder, CACHE_DIR / "embed_cache", show_progress=True)[0]


def in_tuning_half(uid: str) -> bool:
    """A stable half of the papers, by a hash of their id: settings are chosen on it, the other half
    reports them."""
    return hashlib.sha256(uid.encode()).digest()[0] % 2 == 0
