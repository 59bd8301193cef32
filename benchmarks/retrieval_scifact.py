"""SciFact retrieval: BM25 only, dense only and the default hybrid, on train and test.

The default embeds each abstract as a build does: int8 ONNX, the whole text read in windows of
512 tokens and mean-pooled (abstract_search.embed.cache.embed_documents). `*_plain` rows use the
plain model's vectors instead (fp32, the text cut at 256 word pieces, as SentenceTransformer.encode
gives them), and `*_int8_cut256` rows int8 vectors cut at 256 word pieces. Every
tuning choice is read off the train split (809 queries): the fusion grid below is printed for
train only, and the test split is evaluated with the default configuration from
abstract_search.search.fusion.FusionConfig. Also measures the recall@10 of an HNSW index against exact
search on the same vectors (the index switches to HNSW for large corpora). Embeddings are
cached under index/_bench/embed_cache (the first run embeds 5,183 abstracts, a few minutes per
variant; later runs take seconds).

    .venv/bin/python benchmarks/retrieval_scifact.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from abstract_search.embed.backends import load_embedder  # noqa: E402
from abstract_search.embed.cache import embed_documents, embed_with_cache  # noqa: E402
from abstract_search.evaluate import load_beir, mean_metrics, pipeline_rankings  # noqa: E402
from abstract_search.search.engine import embedder_for, index_model_id  # noqa: E402
from abstract_search.search.fusion import FusionConfig  # noqa: E402
from abstract_search.search.lexical import build_lexical_index  # noqa: E402

SCIFACT = ROOT.parent / "shared" / "eval" / "scifact"
CACHE = ROOT / "index" / "_bench" / "embed_cache"
RESULTS = ROOT / "benchmarks" / "results" / "retrieval_scifact.json"
GRID = (
    [("zscore", w, 0.1) for w in (0.4, 0.5, 0.6, 0.7)]
    + [("zscore", 0.6, f) for f in (0.0, 0.06, 0.08)]
    + [("minmax", w, 0.0) for w in (0.5, 0.6, 0.7)]
    + [("rrf", 0.5, 0.0)]
)


def hnsw_recall(doc_vectors: np.ndarray, query_vectors: np.ndarray, k: int = 10) -> dict:
    """recall@k of the HNSW index against exact inner-product search, and the speed ratio."""
    from abstract_search.search.index import faiss_search, make_faiss_index

    exact = make_faiss_index(doc_vectors, kind="flat")
    approx = make_faiss_index(doc_vectors, kind="hnsw")
    t0 = time.perf_counter()
    _, truth = faiss_search(exact, query_vectors, k)
    t1 = time.perf_counter()
    _, found = faiss_search(approx, query_vectors, k)
    t2 = time.perf_counter()
    recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(truth, found, strict=True)])
    return {"recall@10": round(float(recall), 4), "hnsw_vs_exact_time": round((t2 - t1) / max(t1 - t0, 1e-9), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    records, train = load_beir(SCIFACT, "train")
    _, test = load_beir(SCIFACT, "test")
    embedder = embedder_for(None, index_model_id(None))
    plain = load_embedder(backend="onnx")  # the plain model's vectors (torch's to 1e-6), faster
    texts = [r.text for r in records]
    doc_vectors, _ = embed_documents(texts, embedder, CACHE, show_progress=not args.json)
    variants = {
        "plain": (plain, embed_with_cache(texts, plain, CACHE, show_progress=not args.json)),
        "int8_cut256": (embedder, embed_with_cache(texts, embedder, CACHE, show_progress=not args.json)),
    }
    lexical = build_lexical_index(records)
    result: dict = {"documents": len(records), "model": embedder.model_id, "default": FusionConfig().__dict__}
    for name, queries in (("train", train), ("test", test)):
        query_vectors = embed_with_cache(list(queries.texts), embedder, CACHE)
        rankings = pipeline_rankings(records, queries.texts, doc_vectors, query_vectors, lexical=lexical)
        result[name] = {
            pipe: {m: v for m, v in mean_metrics(r, queries).items() if m in ("ndcg@10", "recall@100")}
            for pipe, r in rankings.items()
        }
        for variant, (variant_embedder, vectors) in variants.items():
            variant_queries = embed_with_cache(list(queries.texts), variant_embedder, CACHE)
            other = pipeline_rankings(records, queries.texts, vectors, variant_queries, lexical=lexical)
            for pipe in ("dense", "hybrid"):
                figures = mean_metrics(other[pipe], queries)
                result[name][f"{pipe}_{variant}"] = {m: figures[m] for m in ("ndcg@10", "recall@100")}
        result[name]["queries"] = len(queries.ids)
        if name == "train":
            grid = {}
            for method, weight, floor in GRID:
                config = FusionConfig(method=method, dense_weight=weight, dense_spread_floor=floor)
                hybrid = pipeline_rankings(
                    records, queries.texts, doc_vectors, query_vectors, lexical=lexical, fusion=config
                )["hybrid"]
                grid[f"{method}@{weight}/floor{floor}"] = mean_metrics(hybrid, queries)["ndcg@10"]
            result["train_fusion_grid_ndcg@10"] = grid
        else:
            result["hnsw"] = hnsw_recall(doc_vectors, query_vectors)
    if not args.json:
        print(f"SciFact, {len(records)} abstracts, {result['model']}")
        print(f"{'split':6s} {'pipeline':19s} {'nDCG@10':>8s} {'R@100':>8s}")
        for split in ("train", "test"):
            for pipe in ("bm25", "dense", "hybrid", *(f"{p}_{v}" for v in variants for p in ("dense", "hybrid"))):
                figures = result[split][pipe]
                print(f"{split:6s} {pipe:19s} {figures['ndcg@10']:8.4f} {figures['recall@100']:8.4f}")
        print(
            "fusion grid on train (nDCG@10):",
            ", ".join(f"{k} {v:.4f}" for k, v in result["train_fusion_grid_ndcg@10"].items()),
        )
        print(f"HNSW vs exact on test queries: recall@10 {result['hnsw']['recall@10']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
