"""SciFact, train split only: signals tried on top of the default hybrid and not adopted.

Each row changes one thing in the default pipeline (the same lexical scores, document vectors and
fusion as retrieval_scifact.py) and reports nDCG@10 on the 809 train queries:

- `dense_prf`: pseudo-relevance feedback on the dense side (Rocchio). The query's dense scores are
  mixed with the similarity to the softmax-weighted centre of the top-m fused documents.
- `hubness`: CSLS-style hubness correction. A document's dense score loses beta times its mean
  similarity to its k nearest documents, so "hub" abstracts that are near everything drop.
- `title_vector`: a third signal, the query's similarity to the title alone, z-scored and added.

The test split is never read here. Uses the embedding cache of retrieval_scifact.py (run that
first, or this embeds the corpus: a few minutes).

    .venv/bin/python benchmarks/retrieval_scifact_ablations.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from retrieval_scifact import CACHE, ROOT, SCIFACT  # noqa: E402 - one place for the data and cache paths

from abstract_search.embed.backends import normalize_rows  # noqa: E402
from abstract_search.embed.cache import embed_documents, embed_with_cache  # noqa: E402
from abstract_search.evaluate import load_beir, mean_metrics  # noqa: E402
from abstract_search.search.engine import embedder_for, index_model_id  # noqa: E402
from abstract_search.search.fusion import FusionConfig, candidate_rows, fuse, top_rows, zscore  # noqa: E402
from abstract_search.search.lexical import build_lexical_index  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "retrieval_scifact_ablations.json"


def hybrid_ndcg(queries, ids, lexical_scores, dense_scores, rerank=None) -> float:
    """nDCG@10 of the default fusion; `rerank(i, rows, fused)` may rescore one query's candidates."""
    config = FusionConfig()
    rankings = []
    for i, (lex, dense) in enumerate(zip(lexical_scores, dense_scores, strict=True)):
        rows = candidate_rows(lex, top_rows(dense, config.candidates), config.candidates)
        fused = fuse(lex[rows], dense[rows], config)
        if rerank is not None:
            fused = rerank(i, rows, fused)
        rankings.append([ids[rows[j]] for j in top_rows(fused, 100)])
    return mean_metrics(rankings, queries)["ndcg@10"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    records, queries = load_beir(SCIFACT, "train")
    ids = [r.id for r in records]
    embedder = embedder_for(None, index_model_id(None))
    docs, _ = embed_documents([r.text for r in records], embedder, CACHE, show_progress=not args.json)
    titles = embed_with_cache([r.title or r.text[:200] for r in records], embedder, CACHE, show_progress=False)
    query_vectors = embed_with_cache(list(queries.texts), embedder, CACHE)
    lexical = build_lexical_index(records)
    lexical_scores = [lexical.scores(text) for text in queries.texts]
    dense_scores = query_vectors @ docs.T
    config = FusionConfig()
    result: dict = {
        "split": "train",
        "queries": len(queries.ids),
        "default": hybrid_ndcg(queries, ids, lexical_scores, dense_scores),
    }

    def prf(alpha: float, m: int):
        def rerank(i, rows, fused):
            top = top_rows(fused, m)
            weights = np.exp(fused[top] - fused[top].max())
            centre = normalize_rows((weights[:, None] * docs[rows[top]]).sum(axis=0, keepdims=True))[0]
            mixed = (1 - alpha) * dense_scores[i][rows] + alpha * (docs[rows] @ centre)
            return fuse(lexical_scores[i][rows], mixed, config)

        return rerank

    result["dense_prf"] = {
        f"alpha{alpha}/m{m}": hybrid_ndcg(queries, ids, lexical_scores, dense_scores, prf(alpha, m))
        for alpha in (0.2, 0.4)
        for m in (3, 10)
    }
    neighbours = docs @ docs.T
    np.fill_diagonal(neighbours, -1.0)
    result["hubness"] = {}
    for k in (5, 20):
        hubness = np.sort(neighbours, axis=1)[:, -k:].mean(axis=1)
        for beta in (0.25, 0.5):
            result["hubness"][f"k{k}/beta{beta}"] = hybrid_ndcg(
                queries, ids, lexical_scores, dense_scores - beta * hubness[None, :]
            )
    title_scores = query_vectors @ titles.T

    def with_title(weight: float):
        return lambda i, rows, fused: fused + weight * zscore(title_scores[i][rows], config.dense_spread_floor)

    result["title_vector"] = {
        f"weight{w}": hybrid_ndcg(queries, ids, lexical_scores, dense_scores, with_title(w)) for w in (0.1, 0.2, 0.3)
    }
    best = max(v for key in ("dense_prf", "hubness", "title_vector") for v in result[key].values())
    result["best_ablation"] = best
    result["best_gain_over_default"] = round(best - result["default"], 4)
    if not args.json:
        print(f"SciFact train, {len(queries.ids)} queries: default hybrid nDCG@10 {result['default']:.4f}")
        for key in ("dense_prf", "hubness", "title_vector"):
            print(f"  {key:13s}", ", ".join(f"{name} {value:.4f}" for name, value in result[key].items()))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
