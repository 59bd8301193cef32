"""Workshop retrieval: nDCG@10 of BM25, dense and hybrid on the hand-judged query set.

The judgments (tests/data/workshop_queries.jsonl, grades 0-3) were written by reading the
abstracts before any system was run on them. Besides the three default pipelines (documents
read whole by the int8 model, in windows of 512 tokens, as a build embeds them) this measures
the alternatives: the plain model's vectors (fp32, cut at 256 word pieces), int8 vectors cut at
256, no floor on the dense spread, RRF and min-max fusion, and the best single-sentence
similarity as a third signal.

    .venv/bin/python benchmarks/retrieval_workshop.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from abstract_search.embed.backends import load_embedder  # noqa: E402
from abstract_search.embed.cache import embed_with_cache  # noqa: E402
from abstract_search.evaluate import load_query_set, per_query_metrics, pipeline_rankings  # noqa: E402
from abstract_search.search.engine import Engine  # noqa: E402
from abstract_search.search.fusion import FusionConfig, fuse, top_rows  # noqa: E402

QUERIES = ROOT / "tests" / "data" / "workshop_queries.jsonl"
CACHE = ROOT / "index" / "_cache"
RESULTS = ROOT / "benchmarks" / "results" / "retrieval_workshop.json"


def cut_scores(engine: Engine, queries, backend: str) -> np.ndarray:
    """(queries x docs) cosine of vectors as `backend` embeds a text one by one (cut at 256 word pieces)."""
    embedder = load_embedder(backend=backend)
    documents = embed_with_cache([r.text for r in engine.records], embedder, CACHE)
    return embed_with_cache(list(queries), embedder, CACHE) @ documents.T


def sentence_max(engine: Engine, query_vectors: np.ndarray) -> np.ndarray:
    """(queries x docs) best single-sentence cosine (whole-text cosine for title-only posters)."""
    table = engine.index.sentences
    out = query_vectors @ engine.embeddings.T
    sims = query_vectors @ table.vectors.T
    for row in np.unique(table.row):
        out[:, row] = sims[:, table.row == row].max(axis=1)
    return out


def hybrid_from(
    engine: Engine, texts, dense: np.ndarray, sentence: np.ndarray | None = None, config: FusionConfig | None = None
) -> list[list[str]]:
    config = config or FusionConfig()
    ids = [r.id for r in engine.records]
    rankings = []
    for i, text in enumerate(texts):
        lexical = engine.lexical.scores(text)
        fused = fuse(lexical, dense[i], config, None if sentence is None else sentence[i])
        rankings.append([ids[j] for j in top_rows(fused, 100)])
    return rankings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    engine = Engine.open(progress=not args.json, build="stale")
    queries = load_query_set(QUERIES)
    query_vectors = engine.embed_queries(list(queries.texts))
    rankings = pipeline_rankings(
        engine.records, queries.texts, engine.embeddings, query_vectors, lexical=engine.lexical
    )
    rankings["engine"] = [[h.id for h in hits] for hits in engine.search_many(list(queries.texts), top_k=100)]
    dense_all = query_vectors @ engine.embeddings.T
    sentence = sentence_max(engine, query_vectors)
    plain = cut_scores(engine, queries.texts, "onnx")  # torch's vectors to 1e-6
    int8_cut = cut_scores(engine, queries.texts, "onnx-int8")
    experiments = {
        "dense_plain": [[engine.records[j].id for j in top_rows(s, 100)] for s in plain],
        "hybrid_plain": hybrid_from(engine, queries.texts, plain),
        "hybrid_int8_cut256": hybrid_from(engine, queries.texts, int8_cut),
        "hybrid_no_spread_floor": hybrid_from(
            engine, queries.texts, dense_all, config=FusionConfig(dense_spread_floor=0.0)
        ),
        "hybrid_rrf": hybrid_from(
            engine, queries.texts, dense_all, config=FusionConfig(method="rrf", dense_weight=0.5)
        ),
        "hybrid_minmax": hybrid_from(engine, queries.texts, dense_all, config=FusionConfig(method="minmax")),
        "hybrid_plus_sentence_0.2": hybrid_from(
            engine, queries.texts, dense_all, sentence, FusionConfig(sentence_weight=0.2)
        ),
        "hybrid_plus_sentence_0.4": hybrid_from(
            engine, queries.texts, dense_all, sentence, FusionConfig(sentence_weight=0.4)
        ),
    }
    rankings.update(experiments)
    kinds = sorted(set(queries.kinds))
    result: dict = {"queries": len(queries.ids), "documents": len(engine.records), "model": engine.index.manifest.model}
    for name, ranking in rankings.items():
        ndcg = per_query_metrics(ranking, queries)["ndcg@10"]
        result[name] = {"ndcg@10": round(float(ndcg.mean()), 4)}
        for kind in kinds:
            mask = np.array([k == kind for k in queries.kinds])
            result[name][kind] = round(float(ndcg[mask].mean()), 4)
    if not args.json:
        print(f"workshop: {len(queries.ids)} judged queries over {len(engine.records)} records")
        print(f"{'pipeline':26s} {'nDCG@10':>8s} " + " ".join(f"{k:>10s}" for k in kinds))
        for name in rankings:
            row = result[name]
            print(f"{name:26s} {row['ndcg@10']:8.4f} " + " ".join(f"{row[k]:10.4f}" for k in kinds))
        hybrid = per_query_metrics(rankings["hybrid"], queries)["ndcg@10"]
        for qid, text, score in zip(queries.ids, queries.texts, hybrid, strict=True):
            if score < 0.8:
                print(f"  weak for hybrid: {qid} {text!r} nDCG@10 {score:.3f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
