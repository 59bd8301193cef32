"""abstract-search: semantic search, topics, maps and session planning for abstracts.

The pipeline is the file tree: `ingest/` (books, programs, tables -> records), `embed/` (models
and the vector cache), `search/` (index, BM25, fusion, snippets, the engine), `topics/` (model,
labels, map, figures), `plan/` (frames, the annealing search, schedules and exports), and
`evaluate`. `service` is the small API that both `cli` and the Streamlit `app.py` call.

The names below are the public API; each is imported on first use, so `import abstract_search`
(and `abstract-search --help`) stays instant.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "Abstract": "abstract_search.records",
    "UserError": "abstract_search.records",
    "CorpusError": "abstract_search.records",
    "read_records": "abstract_search.records",
    "write_records": "abstract_search.records",
    "settings": "abstract_search.settings",
    "ingest_file": "abstract_search.ingest",
    "IngestResult": "abstract_search.ingest",
    "load_embedder": "abstract_search.embed.backends",
    "Engine": "abstract_search.search.engine",
    "Filters": "abstract_search.search.fusion",
    "Hit": "abstract_search.search.fusion",
    "compute_topics": "abstract_search.topics.corpus",
    "plan_sessions": "abstract_search.plan.planner",
    "Constraints": "abstract_search.plan.frame",
    "evaluate_beir": "abstract_search.evaluate",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'abstract_search' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
