"""Retrieval evaluation: BEIR folders, graded query sets, and the standard ranking metrics.

A BEIR folder has `corpus.jsonl` ({_id, title, text}), `queries.jsonl` ({_id, text}) and
`qrels/<split>.tsv` (query-id, corpus-id, score). Gains are linear in the grade (trec_eval's
convention), so graded workshop judgments (0-3) and binary SciFact qrels use the same code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abstract_search.records import Abstract, CorpusError


@dataclass(frozen=True)
class QuerySet:
    """Queries and graded judgments: qrels[query_id][doc_id] = grade (> 0 is relevant)."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    qrels: Mapping[str, Mapping[str, int]]
    kinds: tuple[str, ...] = ()


def load_beir(folder: str | Path, split: str = "test") -> tuple[list[Abstract], QuerySet]:
    """Reads a BEIR folder into records (kind 'paper') and the judged queries of one split."""
    folder = Path(folder)
    qrels_path = folder / "qrels" / f"{split}.tsv"
    for path in (folder / "corpus.jsonl", folder / "queries.jsonl", qrels_path):
        if not path.is_file():
            splits = sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))
            raise CorpusError(
                f"{path}: missing (a BEIR folder needs corpus.jsonl, queries.jsonl, "
                f"qrels/SPLIT.tsv; splits here: {', '.join(splits) or 'none'})"
            )
    records = []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                doc = json.loads(line)
                doc_id = str(doc["_id"])
                records.append(
                    Abstract(id=doc_id, title=doc.get("title") or doc_id, abstract=doc.get("text") or "", kind="paper")
                )
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.strip().split("\t")
            if len(parts) < 3 or not parts[2].lstrip("-").isdigit():
                continue  # header
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries = {}
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                query = json.loads(line)
                queries[str(query["_id"])] = query["text"]
    ids = tuple(qid for qid in queries if qid in qrels)
    return records, QuerySet(ids, tuple(queries[q] for q in ids), {q: qrels[q] for q in ids})


def load_query_set(path: str | Path) -> QuerySet:
    """Reads a graded query set: one {"query", "kind", "relevant": {id: grade}} per line."""
    ids, texts, kinds, qrels = [], [], [], {}
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                row = json.loads(line)
                qid = f"q{number}"
                ids.append(qid)
                texts.append(row["query"])
                kinds.append(row.get("kind", ""))
                qrels[qid] = {str(k): int(v) for k, v in row["relevant"].items()}
    return QuerySet(tuple(ids), tuple(texts), qrels, tuple(kinds))


# --- metrics over one ranking ---------------------------------------------------------------


def ndcg_at(ranking: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    gains = [max(judged.get(doc, 0), 0) for doc in ranking[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranking: Sequence[str], judged: Mapping[str, int], k: int = 100) -> float:
    relevant = {doc for doc, grade in judged.items() if grade > 0}
    return len(relevant.intersection(ranking[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranking: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    for position, doc in enumerate(ranking[:k], start=1):
        if judged.get(doc, 0) > 0:
            return 1.0 / position
    return 0.0


METRICS: dict[str, Callable[[Sequence[str], Mapping[str, int]], float]] = {
    "ndcg@10": lambda r, j: ndcg_at(r, j, 10),
    "recall@10": lambda r, j: recall_at(r, j, 10),
    "recall@100": lambda r, j: recall_at(r, j, 100),
    "mrr@10": lambda r, j: mrr_at(r, j, 10),
}


def per_query_metrics(rankings: Sequence[Sequence[str]], queries: QuerySet) -> dict[str, np.ndarray]:
    """Each metric for each query (arrays aligned with `queries.ids`), for means and bootstraps."""
    return {
        name: np.array(
            [metric(ranking, queries.qrels[qid]) for qid, ranking in zip(queries.ids, rankings, strict=True)]
        )
        for name, metric in METRICS.items()
    }


def mean_metrics(rankings: Sequence[Sequence[str]], queries: QuerySet) -> dict[str, float]:
    return {name: round(float(values.mean()), 4) for name, values in per_query_metrics(rankings, queries).items()}


# --- the pipelines, run over a whole query set ----------------------------------------------


def pipeline_rankings(
    records: Sequence[Abstract],
    query_texts: Sequence[str],
    doc_vectors: np.ndarray,
    query_vectors: np.ndarray,
    *,
    lexical=None,
    fusion=None,
    k: int = 100,
) -> dict[str, list[list[str]]]:
    """Top-k ids per query for BM25 only, dense only and the default hybrid (same code as search)."""
    from abstract_search.search.fusion import FusionConfig, candidate_rows, fuse, top_rows
    from abstract_search.search.lexical import build_lexical_index

    fusion = fusion or FusionConfig()
    lexical = lexical or build_lexical_index(records)
    ids = [record.id for record in records]
    dense_all = query_vectors @ doc_vectors.T
    out: dict[str, list[list[str]]] = {"bm25": [], "dense": [], "hybrid": []}
    for text, dense in zip(query_texts, dense_all, strict=True):
        lex = lexical.scores(text)
        out["bm25"].append([ids[j] for j in top_rows(lex, k)])
        dense_top = top_rows(dense, max(k, fusion.candidates))
        out["dense"].append([ids[j] for j in dense_top[:k]])
        rows = candidate_rows(lex, dense_top, fusion.candidates)
        fused = fuse(lex[rows], dense[rows], fusion)
        out["hybrid"].append([ids[rows[j]] for j in top_rows(fused, k)])
    return out


def evaluate_beir(
    folder: str | Path,
    split: str = "test",
    model: str | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> dict:
    """Metrics of the default hybrid pipeline (top level) and of BM25 and dense alone.

    Documents are embedded exactly as `build_index` does (whole texts, same cache format);
    the cache defaults to index/_bench/embed_cache so benchmarks and this command share it.
    """
    from abstract_search.embed.cache import embed_documents, embed_with_cache
    from abstract_search.search.engine import embedder_for, index_model_id
    from abstract_search.settings import settings

    records, queries = load_beir(folder, split)
    cache_dir = cache_dir if cache_dir is not None else settings().index_dir / "_bench" / "embed_cache"
    # Embed exactly as `abstract-search build` would.
    embedder = embedder_for(model, index_model_id(model))
    doc_vectors, _ = embed_documents([r.text for r in records], embedder, cache_dir, show_progress=progress)
    query_vectors = embed_with_cache(list(queries.texts), embedder, cache_dir)
    rankings = pipeline_rankings(records, queries.texts, doc_vectors, query_vectors)
    result = {
        "dataset": Path(folder).name,
        "split": split,
        "queries": len(queries.ids),
        "documents": len(records),
        "model": embedder.model_id,
    }
    result.update(mean_metrics(rankings["hybrid"], queries))
    result["bm25"] = mean_metrics(rankings["bm25"], queries)
    result["dense"] = mean_metrics(rankings["dense"], queries)
    return result
